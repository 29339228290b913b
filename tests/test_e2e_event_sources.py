"""Issue 9 end to end: event sources set up on first use, components by slug, verify, preflight.

The stand-in's GraphQL endpoint (tools/standin_graphql.py) executes the action's documents
against a schema of the Compass subset, so a field Compass does not have fails here. Its clock
is the in-process runner's skipping clock: a processing delay passes as the action's polls wait,
with no real sleep.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pytest

from tools.action_runner import Run, StepResult, run_step
from tools.compass_contract import contract_errors
from tools.compass_standin import Standin
from tools.standin_graphql import Failure, FakeComponent

from .conftest import CLOUD_ID, COMPONENT, EMAIL, TOKEN, credentials
from .inprocess import InProcess

BUILD_RUN = Run(event_name="push", ref="refs/heads/main")
DEPLOY_RUN = Run(ref="refs/tags/v1.2.3", event_name="push")


@pytest.fixture
def compass(standin: Standin, in_process: InProcess) -> Standin:
    """The stand-in in the older flow: no event without its attached source."""
    standin.state.graphql.require_source = True
    standin.state.graphql.clock = in_process.waits.monotonic
    return standin


def printed(result: StepResult) -> str:
    return result.stdout + result.stderr


def event_posts(server: Standin) -> list[tuple[int, dict[str, object]]]:
    """The answer's status and the body of every POST to the events endpoint, in order."""
    posts = ((item.status, json.loads(item.body)) for item in server.received() if item.body)
    return [(status, body) for status, body in posts if "query" not in body]


def events_sent(server: Standin) -> list[dict[str, object]]:
    return [body for _, body in event_posts(server)]


def sources(server: Standin) -> dict[tuple[str, str], str]:
    return dict(server.state.graphql.sources)


# -- first use ----------------------------------------------------------------------------


def test_first_send_creates_and_attaches_the_source_then_delivers(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(DEPLOY_RUN, credentials(compass), workdir)

    assert result.exit_code == 0, printed(result)
    assert result.outputs["delivered"] == "true" and result.outputs["status"] == "202"
    [(external, kind)] = sources(compass)
    assert kind == "DEPLOYMENT"
    [source_id] = sources(compass).values()
    assert (source_id, COMPONENT) in compass.state.graphql.attachments
    assert f"Created the DEPLOYMENT event source {external}" in result.stdout
    assert "Sending the event again, once" in result.stdout
    sent = events_sent(compass)
    assert [status for status, _ in event_posts(compass)] == [404, 202]
    assert sent[0] == sent[1] and contract_errors(sent[0]) == []
    assert len(compass.events()) == 1


def test_the_second_send_makes_no_graphql_call(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    in_process(DEPLOY_RUN, credentials(compass), workdir)
    calls = len(compass.state.graphql.calls)

    again = in_process(DEPLOY_RUN, credentials(compass), workdir)

    assert again.exit_code == 0, printed(again)
    assert len(compass.state.graphql.calls) == calls
    assert "GraphQL requests" not in again.stdout


def test_a_build_next_to_a_deployment_source_gets_its_own_build_source(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    in_process(DEPLOY_RUN, credentials(compass), workdir / "deploy")

    result = in_process(BUILD_RUN, credentials(compass) | {"event-type": "build"}, workdir)

    assert result.exit_code == 0, printed(result)
    kinds = sorted(kind for _, kind in sources(compass))
    assert kinds == ["BUILD", "DEPLOYMENT"]
    assert len({external for external, _ in sources(compass)}) == 1  # one ID, two types
    assert "has a DEPLOYMENT event source" in result.stdout
    assert "a build event needs its own BUILD source" in result.stdout


def test_setup_never_reports_the_missing_source_and_asks_nothing(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    inputs = credentials(compass) | {"setup-event-source": "never"}
    result = in_process(DEPLOY_RUN, inputs, workdir)

    assert result.exit_code == 1
    assert result.outputs["delivered"] == "false" and result.outputs["status"] == "404"
    assert compass.state.graphql.calls == []
    assert "found no event source" in printed(result)


def test_a_source_attached_elsewhere_is_reported_plainly(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    compass.state.graphql.failures.append(
        Failure(
            "attachEventSource",
            "success_false",
            status=409,
            error_type="EVENT_SOURCE_ALREADY_ATTACHED",
            message="Event source is attached to another component",
        )
    )
    result = in_process(DEPLOY_RUN, credentials(compass), workdir)

    assert result.exit_code == 1
    assert "EVENT_SOURCE_ALREADY_ATTACHED" in printed(result)
    assert "could not be attached to component Shop API" in printed(result)
    assert "detach it there" in printed(result)
    assert result.outputs["delivered"] == "false"
    assert len(events_sent(compass)) == 1  # not sent again


# -- components by slug -------------------------------------------------------------------


def test_a_slug_is_resolved_with_the_cloud_id_looked_up_from_the_site(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    compass.state.graphql.require_source = False
    result = in_process(DEPLOY_RUN, credentials(compass) | {"component-id": "shop-api"}, workdir)

    assert result.exit_code == 0, printed(result)
    assert compass.state.graphql.calls[:2] == ["compassActionCloudId", "compassActionComponents"]
    assert f"Component shop-api: Shop API (service), {COMPONENT}" in result.stdout
    [body] = events_sent(compass)
    assert body["componentId"] == COMPONENT and body["cloudId"] == CLOUD_ID


def test_a_slug_with_a_cloud_id_needs_no_site_lookup(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    compass.state.graphql.require_source = False
    inputs = credentials(compass) | {"component-id": "shop-api", "cloud-id": CLOUD_ID}
    result = in_process(DEPLOY_RUN, inputs, workdir)

    assert result.exit_code == 0, printed(result)
    assert compass.state.graphql.calls == ["compassActionComponents"]


def test_an_unknown_slug_is_named_and_nothing_is_sent(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(DEPLOY_RUN, credentials(compass) | {"component-id": "shop-apj"}, workdir)

    assert result.exit_code == 1
    assert "no component with the slug 'shop-apj'" in printed(result)
    assert "Input component-id" in printed(result)
    assert events_sent(compass) == []
    assert "shop-apj" in result.summary


def test_a_site_compass_does_not_know_is_named(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    compass.state.graphql.site_hosts = set()
    result = in_process(DEPLOY_RUN, credentials(compass) | {"component-id": "shop-api"}, workdir)

    assert result.exit_code == 1
    assert "Compass knows no site of that name" in printed(result)
    assert events_sent(compass) == []


# -- verify -------------------------------------------------------------------------------


def test_verify_reports_recorded_after_the_processing_delay(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    compass.state.graphql.processing_delay = 5.0
    result = in_process(DEPLOY_RUN, credentials(compass) | {"verify": "true"}, workdir)

    assert result.exit_code == 0, printed(result)
    assert result.outputs["recorded"] == "true"
    assert "Recorded by Compass" in result.stdout and "Recorded by Compass" in result.summary
    # Looked at 2 s (not yet: 5 s of processing), then at 2 + 4 s.
    assert in_process.waits.slept[-2:] == [2.0, 4.0]


def test_verify_reports_an_update_superseded_by_a_newer_one(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    first = in_process(DEPLOY_RUN, credentials(compass), workdir)
    newer = int(first.outputs["update-sequence-number"])
    inputs = credentials(compass) | {"verify": "true", "update-sequence-number": str(newer - 1)}

    result = in_process(DEPLOY_RUN, inputs, workdir)

    assert result.outputs["delivered"] == "true" and result.outputs["recorded"] == "false"
    assert result.exit_code == 1  # fail-on config: a set-up to fix
    assert "Superseded: Compass holds a newer update of this event (state SUCCESSFUL, " in (
        printed(result)
    )
    assert f"updateSequenceNumber {newer} > {newer - 1}" in html.unescape(result.summary)


def test_verify_reports_not_seen_in_time(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    compass.state.graphql.processing_delay = 3600.0
    inputs = credentials(compass) | {"verify": "true", "timeout": "30"}
    result = in_process(DEPLOY_RUN, inputs, workdir)

    assert result.outputs["delivered"] == "true" and result.outputs["recorded"] == "false"
    assert result.exit_code == 0  # fail-on config: Compass being slow only warns
    assert (
        "warning" in printed(result) and "Not seen in Compass within the timeout" in result.stdout
    )
    assert sum(in_process.waits.slept) <= 30


def test_verify_takes_its_last_look_as_late_as_the_timeout_allows(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    # Looks at 2 s and 6 s see nothing yet; the next wait (8 s) does not fit in the 8 s budget,
    # so the last look comes at the end of it (half a second left for the request), and sees it.
    compass.state.graphql.processing_delay = 7.0
    inputs = credentials(compass) | {"verify": "true", "timeout": "8"}
    result = in_process(DEPLOY_RUN, inputs, workdir)

    assert result.outputs["recorded"] == "true", result.stdout
    assert result.exit_code == 0
    assert sum(in_process.waits.slept) <= 8


def test_without_verify_recorded_is_empty(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(DEPLOY_RUN, credentials(compass), workdir)
    assert result.outputs["recorded"] == ""
    assert "compassActionSourceEvents" not in compass.state.graphql.calls


# -- preflight ----------------------------------------------------------------------------


def test_preflight_on_a_good_setup_sends_nothing_and_says_ready(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(DEPLOY_RUN, credentials(compass) | {"preflight": "true"}, workdir)

    assert result.exit_code == 0, printed(result)
    assert events_sent(compass) == []
    assert result.outputs["status"] == "preflight" and result.outputs["delivered"] == "false"
    assert "OK: Token: belongs to Deploy Bot" in result.stdout
    assert f"OK: Site: 127.0.0.1, cloud ID {CLOUD_ID}" in result.stdout
    assert "OK: Component: Shop API (service, slug shop-api)" in result.stdout
    assert "it will be created and attached on the first send" in result.stdout
    assert "### Compass setup check: ready" in result.summary


def test_preflight_on_a_broken_setup_names_each_problem_and_its_fix(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    other = COMPONENT.replace("1e475014", "2e475014")
    compass.state.graphql.components.append(FakeComponent(other, "other", "Other"))
    compass.state.graphql.cloud_id = "00000000-1111-2222-3333-444444444444"
    inputs = credentials(compass) | {"preflight": "true", "setup-event-source": "never"}

    result = in_process(DEPLOY_RUN, inputs, workdir)

    assert result.exit_code == 1
    assert "Problem: Site: 127.0.0.1 has the cloud ID 00000000-1111" in result.stdout
    assert "fix: give the site of the component" in result.stdout
    assert "Problem: DEPLOYMENT event source" in result.stdout
    assert "fix: set setup-event-source: auto" in result.stdout
    assert "2 problem(s) to fix" in result.summary
    assert events_sent(compass) == []


@pytest.mark.parametrize(("fail_on", "code"), [("config", 1), ("any", 1), ("never", 0)])
def test_preflight_problems_fail_the_step_as_fail_on_says(
    compass: Standin, in_process: InProcess, workdir: Path, fail_on: str, code: int
) -> None:
    inputs = credentials(compass) | {
        "preflight": "true",
        "setup-event-source": "never",
        "fail-on": fail_on,
    }
    result = in_process(DEPLOY_RUN, inputs, workdir)

    assert result.exit_code == code
    level = "error" if code else "warning"
    assert f"::{level} title=Preflight%3A DEPLOYMENT event source::" in result.stdout


def test_a_dry_run_with_a_slug_looks_it_up_and_sends_nothing(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    inputs = credentials(compass) | {"component-id": "shop-api", "dry-run": "true"}
    result = in_process(DEPLOY_RUN, inputs, workdir)

    assert result.exit_code == 0, printed(result)
    assert json.loads(result.outputs["payload"])["componentId"] == COMPONENT
    assert events_sent(compass) == []


def test_preflight_with_a_wrong_token_stops_at_the_token(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    inputs = credentials(compass) | {"preflight": "true", "api-token": "x" * 24}
    result = in_process(DEPLOY_RUN, inputs, workdir)

    assert result.exit_code == 1
    assert "Problem: Token: Could not find out whose API token this is" in result.stdout
    assert "HTTP 401" in result.stdout
    assert compass.state.graphql.calls == ["compassActionTokenOwner"]


# -- no secret in any GraphQL error path --------------------------------------------------

BASIC = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
SECRET_FORMS = [TOKEN, BASIC, base64.b64encode(TOKEN.encode()).decode()]
ECHO = f"{TOKEN} Authorization: Basic {BASIC}"

FAILURES = {
    "http 403 echoing": Failure("compassActionEventSource", "http", 403, json.dumps(ECHO)),
    "http 500 echoing": Failure("compassActionEventSource", "http", 500, ECHO),
    "top-level errors": Failure("createEventSource", "errors", 400, message=ECHO),
    "success false": Failure("createEventSource", "success_false", 400, message=ECHO),
    "query error": Failure("eventSource", "query_error", 403, message=ECHO),
    "html page": Failure("compassActionEventSource", "html"),
    "not json": Failure("compassActionEventSource", "not_json"),
    "oversized": Failure("compassActionEventSource", "oversized"),
    "component query error": Failure("component", "query_error", 500, message=ECHO),
}


def leaks(result: StepResult) -> list[str]:
    seen = "\n".join(
        line for line in result.stdout.splitlines() if not line.startswith("::add-mask::")
    )
    everything = "\n".join([seen, result.stderr, json.dumps(result.outputs), result.summary])
    everything += html.unescape(everything.replace("<span>", "").replace("</span>", ""))
    return [form for form in SECRET_FORMS if form.lower() in everything.lower()]


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_no_graphql_error_path_shows_a_secret(
    compass: Standin, in_process: InProcess, workdir: Path, failure: Failure
) -> None:
    # A 5xx is retried: it is played until the timeout ends the retries.
    transient = failure.form == "http" and failure.status >= 500
    compass.state.graphql.failures.extend([failure] * (30 if transient else 1))
    result = in_process(DEPLOY_RUN, credentials(compass) | {"timeout": "20"}, workdir)

    assert result.exit_code in (0, 1)
    assert "setting one up failed: Could not" in printed(result)
    assert leaks(result) == []


def test_no_secret_in_a_failed_slug_lookup_nor_in_preflight(
    compass: Standin, in_process: InProcess, workdir: Path
) -> None:
    compass.state.graphql.failures += [
        Failure("compassActionComponents", "html"),
        Failure("compassActionTokenOwner", "errors", message=ECHO),
    ]
    slug = in_process(DEPLOY_RUN, credentials(compass) | {"component-id": "shop-api"}, workdir)
    check = in_process(DEPLOY_RUN, credentials(compass) | {"preflight": "true"}, workdir)

    assert slug.exit_code == 1 and check.exit_code == 1
    assert "an HTML page titled 'Gateway error'" in printed(slug)
    assert leaks(slug) == [] and leaks(check) == []


# -- as the runner runs it ----------------------------------------------------------------


@pytest.mark.slow
def test_first_use_by_slug_in_a_subprocess(standin: Standin, workdir: Path) -> None:
    standin.state.graphql.require_source = True
    inputs = credentials(standin) | {"component-id": "shop-api", "verify": "true"}
    result = run_step(DEPLOY_RUN, inputs, workdir)

    assert result.exit_code == 0, printed(result)
    assert result.outputs["delivered"] == "true"
    assert result.outputs["recorded"] == "true"
    assert "Created the DEPLOYMENT event source" in result.stdout
    assert "Recorded by Compass" in result.summary
