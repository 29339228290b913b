"""Reading and checking the COMPASS_* inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from compass_action.events.contract import EnvironmentCategory, EventType
from compass_action.inputs import (
    events_url_for_site,
    load_inputs,
    parse_component_ari,
    read_inputs,
)
from compass_action.problems import InputProblems

from .conftest import CLOUD_ID, COMPONENT, EMAIL, TOKEN

VALID = {
    "COMPASS_SITE": "acme",
    "COMPASS_USER_EMAIL": EMAIL,
    "COMPASS_API_TOKEN": TOKEN,
    "COMPASS_COMPONENT_ID": COMPONENT,
    "COMPASS_STATE": "success",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in VALID.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def problems_of(env: pytest.MonkeyPatch) -> dict[str, str]:
    with pytest.raises(InputProblems) as caught:
        load_inputs()
    return {problem.input: problem.message for problem in caught.value.problems}


@pytest.mark.parametrize(
    ("site", "url"),
    [
        ("acme", "https://acme.atlassian.net/gateway/api/compass/v1/events"),
        ("ACME", "https://acme.atlassian.net/gateway/api/compass/v1/events"),
        ("acme.atlassian.net", "https://acme.atlassian.net/gateway/api/compass/v1/events"),
        ("https://acme.atlassian.net/", "https://acme.atlassian.net/gateway/api/compass/v1/events"),
        (
            "https://acme.atlassian.net/gateway/api",
            "https://acme.atlassian.net/gateway/api/compass/v1/events",
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/gateway/api/compass/v1/events"),
        ("http://localhost:9", "http://127.0.0.1:9/gateway/api/compass/v1/events"),
        ("http://[::1]:9", "http://[::1]:9/gateway/api/compass/v1/events"),
    ],
)
def test_site_forms_lead_to_the_events_endpoint(site: str, url: str) -> None:
    assert events_url_for_site(site) == url


@pytest.mark.parametrize(
    ("site", "complaint"),
    [
        ("http://acme.atlassian.net", "unencrypted"),
        ("http://10.0.0.1:8080", "unencrypted"),
        ("ftp://acme.atlassian.net", "not a site name"),
        ("https://user:pw@acme.atlassian.net", "must not carry credentials"),
        ("https://acme.atlassian.net/?x=1", "query"),
    ],
)
def test_unsafe_or_malformed_sites_are_refused(site: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        events_url_for_site(site)


def test_the_cloud_id_comes_from_the_component_ari() -> None:
    assert parse_component_ari(COMPONENT).cloud_id == CLOUD_ID


@pytest.mark.parametrize(
    "ari",
    [
        "1e475014-aaaa-bbbb-cccc-0123456789ab",
        f"ari:cloud:jira:{CLOUD_ID}:component/a/b",
        f"ari:cloud:compass:{CLOUD_ID}:metric-source/a/b",
        f"ari:cloud:compass:{CLOUD_ID}:component/a",
        "ari:cloud:compass::component/a/b",
    ],
)
def test_malformed_component_aris_are_refused(ari: str) -> None:
    with pytest.raises(ValueError, match="is not a component ARI"):
        parse_component_ari(ari)


def test_valid_inputs_load_with_defaults(env: pytest.MonkeyPatch) -> None:
    inputs = load_inputs()
    assert inputs.event_type is EventType.DEPLOYMENT
    assert inputs.state == "SUCCESSFUL"
    assert inputs.fail_on == "config" and inputs.budget == 60 and inputs.dry_run is False
    assert inputs.component.cloud_id == CLOUD_ID


def test_empty_inputs_count_as_unset(env: pytest.MonkeyPatch) -> None:
    # The runner sets every declared input, an unset one to "".
    for name in (
        "COMPASS_EVENT_TYPE",
        "COMPASS_DRY_RUN",
        "COMPASS_TIMEOUT",
        "COMPASS_ENVIRONMENT_CATEGORY",
        "COMPASS_CHECK_RUN_ID",
    ):
        env.setenv(name, "")
    env.setenv("COMPASS_ENVIRONMENT", "   ")
    inputs = load_inputs()
    assert inputs.event_type is EventType.DEPLOYMENT and inputs.dry_run is False
    assert inputs.environment is None and inputs.environment_category is None


def test_enumerations_are_case_insensitive(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_EVENT_TYPE", "Build")
    env.setenv("COMPASS_STATE", "Timed_Out")
    env.setenv("COMPASS_ENVIRONMENT_CATEGORY", "staging")
    env.setenv("COMPASS_FAIL_ON", "NEVER")
    inputs = load_inputs()
    assert inputs.event_type is EventType.BUILD and inputs.state == "TIMED_OUT"
    assert inputs.environment_category is EnvironmentCategory.STAGING and inputs.fail_on == "never"


def test_every_bad_input_is_named_at_once(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_STATE", "sideways")
    env.setenv("COMPASS_ENVIRONMENT_CATEGORY", "prodish")
    env.setenv("COMPASS_COMPONENT_ID", "Not an ARI")
    env.setenv("COMPASS_STARTED_AT", "2026-01-01T10:00:00")
    env.setenv("COMPASS_SEQUENCE_NUMBER", str(2**53))
    env.setenv("COMPASS_TIMEOUT", "0")
    env.setenv("COMPASS_FAIL_ON", "sometimes")
    env.setenv("COMPASS_URL", "example.com/x")
    problems = problems_of(env)
    assert set(problems) == {
        "state",
        "environment-category",
        "component-id",
        "started-at",
        "sequence-number",
        "timeout",
        "fail-on",
        "url",
    }
    assert "use one of" in problems["state"]
    assert "time zone" in problems["started-at"]


def test_a_build_state_is_checked_against_build_states(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_EVENT_TYPE", "build")
    env.setenv("COMPASS_STATE", "rolled_back")  # a deployment state only
    assert "not a build state" in problems_of(env)["state"]


def test_credentials_are_required_unless_dry_run(env: pytest.MonkeyPatch) -> None:
    for name in ("COMPASS_SITE", "COMPASS_USER_EMAIL", "COMPASS_API_TOKEN"):
        env.delenv(name)
    assert set(problems_of(env)) == {"site", "user-email", "api-token"}
    env.setenv("COMPASS_DRY_RUN", "true")
    assert load_inputs().dry_run is True


def test_a_state_or_job_status_is_required_and_an_empty_component_id_is_left_to_compass_files(
    env: pytest.MonkeyPatch,
) -> None:
    env.delenv("COMPASS_COMPONENT_ID")
    env.delenv("COMPASS_STATE")
    # Both empty: what is missing is the job's status (state is meant to be empty).
    assert set(problems_of(env)) == {"job-status"}


def test_component_id_takes_several_per_line_or_comma_separated(env: pytest.MonkeyPatch) -> None:
    other = COMPONENT.rsplit("/", 1)[0] + "/2f586125-bbbb-cccc-dddd-0123456789ab"
    env.setenv("COMPASS_COMPONENT_ID", f"{COMPONENT},\n {other}\n\n{COMPONENT}, ")
    inputs = load_inputs()
    # Blanks and repeats dropped, the order kept; each a copy of the inputs of its own.
    assert inputs.component_ids == [COMPONENT, other]
    assert [inputs.for_component(c).component.ari for c in inputs.component_ids] == [
        COMPONENT,
        other,
    ]


def test_each_component_reference_is_checked(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_COMPONENT_ID", f"{COMPONENT}\nNot an ARI")
    assert "'Not an ARI' is not a component ARI" in problems_of(env)["component-id"]


def test_track_job_wants_no_state(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_TRACK_JOB", "true")
    assert "must be empty with track-job" in problems_of(env)["state"]


def test_a_cloud_id_that_contradicts_the_component_is_refused(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_CLOUD_ID", "11111111-2222-3333-4444-555555555555")
    assert "is not the cloud of component-id" in problems_of(env)["cloud-id"]


@pytest.mark.parametrize(
    "site",
    [
        "https://acme.atlassian.net/compass",
        "acme.atlassian.net/compass/",
        "https://acme.atlassian.net/jira/software/projects",
        "https://ACME.Atlassian.NET./wiki",
    ],
)
def test_a_path_on_an_atlassian_site_is_refused(env: pytest.MonkeyPatch, site: str) -> None:
    env.setenv("COMPASS_SITE", site)
    message = problems_of(env)["site"]
    assert message.startswith(f"{site!r} has the path '/")
    assert "Compass's API is at the root of an atlassian.net site" in message


@pytest.mark.parametrize(
    "site",
    [
        "https://acme.atlassian.net/gateway/api/compass/v1/events",
        "https://acme.atlassian.net/gateway/api/",
        "https://compass-proxy.example.com/atlassian",  # a proxy may serve the API under a path
    ],
)
def test_the_api_path_or_another_host_with_a_path_is_kept(
    env: pytest.MonkeyPatch, site: str
) -> None:
    env.setenv("COMPASS_SITE", site)
    assert load_inputs().site == site


def test_any_input_that_is_not_utf8_is_named_without_its_value(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_ENVIRONMENT", "stag\udce9ing")
    env.setenv("COMPASS_API_TOKEN", TOKEN[:10] + "\udcff" + TOKEN[10:])
    problems = problems_of(env)
    assert problems == {
        "environment": "is not valid UTF-8 text; set it again from a clean copy",
        "api-token": "is not valid UTF-8 text; set it again from a clean copy",
    }


def test_wrong_inputs_are_left_unset_and_the_rest_still_checked(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_EVENT_TYPE", "deploy")
    env.setenv("COMPASS_TIMEOUT", "soon")
    env.delenv("COMPASS_USER_EMAIL")
    loaded = read_inputs()
    assert [p.input for p in loaded.problems] == ["event-type", "timeout", "user-email"]
    # state is checked against event-type, so with that wrong it is neither valid nor missing.
    assert loaded.unchecked == {"event_type", "severity", "state", "timeout"}
    assert loaded.inputs.budget == 60 and loaded.inputs.state is None


def test_a_token_too_short_to_be_an_api_token_is_refused_without_echoing_it(
    env: pytest.MonkeyPatch,
) -> None:
    messages = set()
    for token in ["x", "tok", "p" * 15, f"  {'q' * 15}  "]:
        env.setenv("COMPASS_API_TOKEN", token)
        problems = problems_of(env)
        assert list(problems) == ["api-token"]
        messages.add(problems["api-token"])
    # One message for every token: none of them is in it.
    assert len(messages) == 1
    assert messages.pop().startswith("is shorter than 16 characters, so it is not an Atlassian")


def test_a_token_of_the_minimum_length_is_accepted(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_API_TOKEN", "p" * 16)
    assert load_inputs().api_token is not None


# -- issue 9: slugs, set-up, verify, preflight ----------------------------------------------


@pytest.mark.parametrize("slug", ["shop-api", "payments2", "a", "edge-gateway-v2"])
def test_a_slug_is_accepted_and_kept_for_the_lookup(env: pytest.MonkeyPatch, slug: str) -> None:
    env.setenv("COMPASS_COMPONENT_ID", slug)
    inputs = load_inputs()
    assert inputs.component_slugs == [slug] and inputs.cloud_id is None


def test_an_ari_is_no_slug(env: pytest.MonkeyPatch) -> None:
    assert load_inputs().component_slugs == []


@pytest.mark.parametrize("value", ["Shop API", "shop_api", "-shop", "ari:cloud:jira:x:y/z"])
def test_neither_ari_nor_slug_says_both_forms(env: pytest.MonkeyPatch, value: str) -> None:
    env.setenv("COMPASS_COMPONENT_ID", value)
    message = problems_of(env)["component-id"]
    assert "is not a component ARI" in message
    assert "or give the component's slug (lower-case letters, digits and hyphens" in message


def test_a_slug_in_a_dry_run_without_credentials_asks_for_them_or_the_ari(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("COMPASS_COMPONENT_ID", "shop-api")
    env.setenv("COMPASS_DRY_RUN", "true")
    env.delenv("COMPASS_API_TOKEN")
    message = problems_of(env)["component-id"]
    assert "needs site, user-email and api-token; give them, or the component's ARI" in message


def test_the_new_switches_read_their_values(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_SETUP_EVENT_SOURCE", "Never")
    env.setenv("COMPASS_VERIFY", "true")
    env.setenv("COMPASS_PREFLIGHT", "true")
    inputs = load_inputs()
    assert (inputs.setup_event_source, inputs.verify, inputs.preflight) == ("never", True, True)
    assert inputs.graphql_url == "https://acme.atlassian.net/gateway/api/graphql"


def test_a_wrong_setup_value_is_named(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_SETUP_EVENT_SOURCE", "always")
    assert "'auto' or 'never'" in problems_of(env)["setup-event-source"]


@pytest.mark.parametrize("kind", ["incident", "push", "flag"])
def test_track_job_is_for_deployments_and_builds_only(env: pytest.MonkeyPatch, kind: str) -> None:
    env.setenv("COMPASS_TRACK_JOB", "true")
    env.setenv("COMPASS_EVENT_TYPE", kind)
    env.delenv("COMPASS_STATE", raising=False)
    assert "applies only to deployment and build events" in problems_of(env)["track-job"]


def test_vulnerabilities_names_alert_sources_each_once(env: pytest.MonkeyPatch) -> None:
    assert load_inputs().vulnerability_sources == []  # empty: off
    env.setenv("COMPASS_RECONCILE", "7d")  # alerts are read by a reconcile run only
    env.setenv("COMPASS_VULNERABILITIES", "Dependabot, code-scanning\ndependabot")
    assert load_inputs().vulnerability_sources == ["dependabot", "code-scanning"]


def test_an_unknown_alert_source_is_named_with_the_accepted_ones(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_VULNERABILITIES", "code-scanning, secret-scan")
    message = problems_of(env)["vulnerabilities"]
    assert "names secret-scan;" in message
    assert "code-scanning, dependabot, secret-scanning or several" in message


def test_environment_categories_that_cannot_be_read_are_an_input_problem(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("COMPASS_ENVIRONMENT_CATEGORIES", "{customer-portal: PROD}")
    message = problems_of(env)["environment-categories"]
    assert "'PROD' is not a category" in message


def test_build_unit_is_run_or_job(env: pytest.MonkeyPatch) -> None:
    env.setenv("COMPASS_BUILD_UNIT", "workflow")
    assert "build-unit" in problems_of(env)


def test_inputs_are_read_from_variables_in_any_case_and_only_with_the_prefix(
    env: pytest.MonkeyPatch,
) -> None:
    # pydantic-settings' rule, which settings.py's own source keeps: names in any case.
    env.delenv("COMPASS_SITE")
    env.setenv("compass_site", "beta")
    env.setenv("Compass_Dry_Run", "true")
    env.setenv("SITE", "not-ours")  # no prefix: not an input
    env.setenv("COMPASS_ENVIRONMENT_ID", "")  # empty: unset, so the default
    inputs = load_inputs()
    assert inputs.site == "beta"
    assert inputs.dry_run is True
    assert inputs.environment_id is None


def test_a_settings_model_with_configuration_the_source_does_not_read_is_refused() -> None:
    from pydantic_settings import SettingsConfigDict

    from compass_action.settings import FromEnvironment

    class CaseSensitive(FromEnvironment):
        model_config = SettingsConfigDict(env_prefix="X_", case_sensitive=True)

    with pytest.raises(TypeError, match="case_sensitive=False"):
        CaseSensitive()


def test_a_dotenv_file_in_the_working_directory_changes_no_input(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # pydantic-settings reads a .env file once a model's configuration names one; settings.py
    # reads only the environment, whatever the configuration says, so a file a workflow (or a
    # pull request) leaves in the workspace cannot send the token elsewhere.
    (tmp_path / ".env").write_text(
        "COMPASS_SITE=attacker\nCOMPASS_DRY_RUN=true\nCOMPASS_TIMEOUT=1\n", encoding="utf-8"
    )
    env.chdir(tmp_path)
    env.delenv("COMPASS_DRY_RUN", raising=False)
    inputs = load_inputs()
    assert inputs.site == VALID["COMPASS_SITE"]
    assert inputs.dry_run is False
    assert inputs.timeout is None
