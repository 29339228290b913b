"""Issue 21, item 1: metric values sent with the step's event, or on their own.

Against the Compass stand-in: its metrics endpoint checks every body against the published
schema (contract/metrics-and-uploads.openapi.json) and answers 404 while the component has no
metric source of the definition; its GraphQL endpoint executes the action's documents for
metric definitions and sources against a schema written from Atlassian's published types.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compass_action.extras.metric_values import parse_metrics
from tools.action_runner import Run, StepResult
from tools.compass_contract import METRICS_OPENAPI, schema_errors
from tools.compass_standin import Standin
from tools.standin_graphql import STANDIN_METRIC_DEFINITIONS, FakeComponent

from .conftest import CLOUD_ID, COMPONENT, credentials
from .inprocess import InProcess

PUSH = Run(event_name="push", ref="refs/heads/main")
COVERAGE, UNIT, DERIVED, TESTS, FAILURES = STANDIN_METRIC_DEFINITIONS
SECOND = (
    f"ari:cloud:compass:{CLOUD_ID}:component/"
    "db43f86d-7f1e-4a6b-9c0d-1b2c3d4e5f60/2f586125-aaaa-bbbb-cccc-0123456789ab"
)
BY_DEFINITION = "InsertMetricByMetricDefinitionRequestDto"


def printed(result: StepResult) -> str:
    return result.stdout + result.stderr


def metric_posts(server: Standin) -> list[tuple[int, dict[str, object]]]:
    posts = []
    for item in server.received():
        body = json.loads(item.body) if item.body.startswith("{") else {}
        if "metricDefinitionId" in body:
            posts.append((item.status, body))
    return posts


def event_posts(server: Standin) -> list[dict[str, object]]:
    bodies = (json.loads(item.body) for item in server.received() if item.body.startswith("{"))
    return [body for body in bodies if "event" in body]


def step(server: Standin, **extra: str) -> dict[str, str]:
    return credentials(server) | {"event-type": "build", "state": "successful"} | extra


# -- the values as given -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("Code coverage: 85%", "write the percentage as a plain number"),
        ("Code coverage: 1,234", "without thousands separators"),
        ("Code coverage: 1_234", "without thousands separators"),
        ("Code coverage: 0x1A", "not a number"),
        ("Code coverage: 1:30", "not a number"),
        ("Code coverage: .nan", "not a number"),
        ("Code coverage:", "is the output that should give it empty"),
        ("Code coverage: [85]", "a list or mapping"),
        ("Code coverage: 1\nCode coverage: 2", "names 'Code coverage' twice"),
        ("a: &n 1\nb: *n", "alias"),
        ("- 85", "must be a mapping"),
        ("ari:cloud:compass:x:component/a/b: 1", "not a metric definition ARI"),
    ],
)
def test_a_value_that_is_not_plainly_a_number_is_refused_naming_it(given: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        parse_metrics(given)


def test_numbers_are_read_as_written() -> None:
    values = parse_metrics(f"Code coverage: 85.5\n{COVERAGE.id}: 42\nTests: '-1e3'\nx: +.5")
    assert [(v.metric, v.value) for v in values] == [
        ("Code coverage", 85.5),
        (COVERAGE.id, 42.0),
        ("Tests", -1000.0),
        ("x", 0.5),
    ]
    assert values[1].is_ari and not values[0].is_ari


def test_metrics_larger_than_the_limit_are_refused() -> None:
    with pytest.raises(ValueError, match="bytes long"):
        parse_metrics("a: 1\n" + "#" * 20_000)


def test_a_bad_number_stops_the_step_before_any_request(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(PUSH, step(standin, metrics="Code coverage: 85%"), workdir)

    assert result.exit_code == 1
    assert "Input metrics" in printed(result) and "'Code coverage'" in printed(result)
    assert standin.received() == []


# -- sending -------------------------------------------------------------------------------


def test_names_are_looked_up_once_a_missing_source_is_created_and_the_value_resent(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    metrics = f"Code coverage: 85.5\n{TESTS.id}: 120"
    result = in_process(PUSH, step(standin, metrics=metrics), workdir)

    assert result.exit_code == 0, printed(result)
    assert len(event_posts(standin)) == 1  # the step's event, as without metrics
    posts = metric_posts(standin)
    assert [status for status, _ in posts] == [404, 200, 404, 200]
    for _, body in posts:
        assert schema_errors(body, BY_DEFINITION, METRICS_OPENAPI) == []
        assert body["componentId"] == COMPONENT
    assert [body["value"] for _, body in posts] == [85.5, 85.5, 120, 120]
    assert {body["metricDefinitionId"] for _, body in posts} == {COVERAGE.id, TESTS.id}
    # every value of the step carries one time, the step's
    assert len({body["timestamp"] for _, body in posts}) == 1
    calls = standin.state.graphql.calls
    assert calls.count("compassActionMetricDefinitions") == 1
    assert calls.count("compassActionCreateMetricSource") == 2
    sources = standin.state.graphql.metric_sources
    assert set(sources) == {(COMPONENT, COVERAGE.id), (COMPONENT, TESTS.id)}
    external = sources[(COMPONENT, COVERAGE.id)][1]
    assert external.startswith("github.com:repository:123456789:component:")
    assert external.endswith(":metric:5e1f0c4a")
    assert [v["value"] for v in standin.state.graphql.metric_values] == [85.5, 120]
    entries = json.loads(result.outputs["metrics"])
    assert [(e["metric"], e["value"], e["status"], e["delivered"]) for e in entries] == [
        ("Code coverage", "85.5", "200", True),
        (TESTS.id, "120", "200", True),
    ]
    assert "| Code coverage | 85&#46;5 | 200 | yes |" in result.summary
    assert result.outputs["delivered"] == "true"  # the event's output, as before


def test_a_second_run_finds_the_source_and_sends_once(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    in_process(PUSH, step(standin, metrics="Code coverage: 80"), workdir)
    before = len(standin.state.graphql.calls)
    result = in_process(PUSH, step(standin, metrics="Code coverage: 81"), workdir)

    assert result.exit_code == 0, printed(result)
    assert [status for status, _ in metric_posts(standin)] == [404, 200, 200]
    assert standin.state.graphql.calls[before:] == ["compassActionMetricDefinitions"]


def test_a_derived_definition_is_refused_before_sending(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    metrics = "Deployment Frequency: 3\nCode coverage: 90"
    result = in_process(PUSH, step(standin, metrics=metrics), workdir)

    assert result.exit_code == 1
    assert "computed by Compass from the component's deployment events" in printed(result)
    sent = {body["metricDefinitionId"] for _, body in metric_posts(standin)}
    assert sent == {COVERAGE.id}  # the other value still went


def test_an_unknown_name_is_named_with_the_definitions_that_take_values(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(PUSH, step(standin, metrics="Coverage: 90"), workdir)

    assert result.exit_code == 1
    said = printed(result)
    assert "no metric definition named 'Coverage'" in said and "'Code coverage'" in said
    assert "Deployment Frequency" not in said
    assert metric_posts(standin) == []


def test_fail_on_never_only_warns(standin: Standin, in_process: InProcess, workdir: Path) -> None:
    result = in_process(
        PUSH, step(standin, metrics="Coverage: 90", **{"fail-on": "never"}), workdir
    )
    assert result.exit_code == 0 and "::warning" in result.stdout


def test_event_type_none_sends_only_the_values_and_writes_every_output(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(standin) | {"event-type": "none", "metrics": "Unit test coverage: 77"}
    result = in_process(PUSH, with_, workdir)

    assert result.exit_code == 0, printed(result)
    assert event_posts(standin) == []
    assert [status for status, _ in metric_posts(standin)] == [404, 200]
    assert result.outputs["delivered"] == "true" and result.outputs["payload"] == ""
    assert json.loads(result.outputs["results"]) == []


def test_event_type_none_needs_something_to_send(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(PUSH, credentials(standin) | {"event-type": "none"}, workdir)
    assert result.exit_code == 1 and "Input event-type" in printed(result)
    assert standin.received() == []


def test_event_type_none_with_a_bad_value_names_only_that_value(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    # No event is derived with event-type: none, so the kind it stands on internally (custom)
    # must not add its own problems (a display-name "required for a custom event").
    with_ = credentials(standin) | {"event-type": "none", "metrics": "Bundle size: 12,3"}
    result = in_process(PUSH, with_, workdir)

    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and "Input metrics" in errors[0] and "'12,3'" in errors[0], errors
    assert standin.received() == []


def test_every_component_gets_every_value(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    standin.state.graphql.components.append(FakeComponent(SECOND, "shop-web", "Shop web"))
    with_ = step(standin, metrics="Code coverage: 70\nTests: 12") | {
        "component-id": f"{COMPONENT}\n{SECOND}"
    }
    result = in_process(PUSH, with_, workdir)

    assert result.exit_code == 0, printed(result)
    accepted = [(b["componentId"], b["value"]) for s, b in metric_posts(standin) if s == 200]
    assert sorted(accepted) == sorted(
        [(COMPONENT, 70), (COMPONENT, 12), (SECOND, 70), (SECOND, 12)]
    )
    assert len(json.loads(result.outputs["metrics"])) == 4
    externals = {external for _, external in standin.state.graphql.metric_sources.values()}
    assert len(externals) == 4  # no two components share a metric source
    # What docs/metrics-and-uploads.md says it costs: the 2 events, 1 definitions page, and for
    # each of the 2 x 2 values its send plus 3 for a new source (404, sources read, create).
    assert len(standin.received()) == 2 + 1 + 2 * 2 * (1 + 3)
    again = in_process(PUSH, with_, workdir)
    assert again.exit_code == 0 and len(standin.received()) == 19 + 2 + 1 + 2 * 2


def test_a_dry_run_shows_the_bodies_and_sends_nothing(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = {"dry-run": "true", "component-id": COMPONENT, "event-type": "none"} | {
        "metrics": "Code coverage: 85"
    }
    result = in_process(PUSH, with_, workdir)

    assert result.exit_code == 0, printed(result)
    assert standin.received() == []
    assert "Dry run: the metric value that would be sent for Code coverage" in result.stdout
    assert json.loads(result.outputs["metrics"])[0]["status"] == "dry-run"


def test_a_built_in_definition_is_given_by_its_ari_without_a_cloud_id(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    assert UNIT.id.startswith("ari:cloud:compass::metric-definition/builtin/")
    result = in_process(PUSH, step(standin, metrics=f"{UNIT.id}: 64.25"), workdir)

    assert result.exit_code == 0, printed(result)
    assert [(s, b["metricDefinitionId"]) for s, b in metric_posts(standin)] == [
        (404, UNIT.id),
        (200, UNIT.id),
    ]


def test_a_derived_definition_given_by_its_ari_is_refused_too(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(PUSH, step(standin, metrics=f"{DERIVED.id}: 2"), workdir)
    assert result.exit_code == 1 and "cannot take a value sent to it" in printed(result)
    assert metric_posts(standin) == []


def test_reconcile_takes_no_metrics(standin: Standin, in_process: InProcess, workdir: Path) -> None:
    with_ = credentials(standin) | {"reconcile": "1d", "metrics": "Code coverage: 1"}
    result = in_process(Run(event_name="schedule"), with_, workdir)
    assert result.exit_code == 1 and "Input reconcile" in printed(result)
    assert standin.received() == []


def test_with_track_job_the_values_are_sent_by_the_main_step_only(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(standin) | {
        "track-job": "true",
        "environment": "production",
        "metrics": "Code coverage: 91",
    }
    main = in_process(Run(job_status="success"), with_, workdir)
    post = in_process.post(Run(job_status="success"), with_, workdir, main)

    assert main.exit_code == 0 and post is not None and post.exit_code == 0
    assert [status for status, _ in metric_posts(standin)] == [404, 200]
    assert len(event_posts(standin)) == 2  # IN_PROGRESS, then the job's status


def test_a_report_metric_that_is_no_ari_is_an_input_problem(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = credentials(standin) | {
        "event-type": "none",
        "coverage-report": "coverage.xml",
        "coverage-metric": "ari:cloud:compass:x:component/a/b",
    }
    result = in_process(PUSH, with_, workdir)
    assert result.exit_code == 1 and "Input coverage-metric" in printed(result)
    assert "not a metric definition ARI" in printed(result)
