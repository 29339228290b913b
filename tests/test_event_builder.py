"""From inputs and run context to the request body."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from compass_action.events.builder import BuiltEvent, build_event
from compass_action.events.contract import BuildState, DeploymentState, EventType
from compass_action.events.identity import UpdateSequence
from compass_action.events.ledger import Entry, JobLedger
from compass_action.github.run_context import RunContext
from compass_action.inputs import ActionInputs
from compass_action.problems import InputProblems
from compass_action.text import COMPASS_TEXT as MAX_TEXT
from tools.compass_contract import contract_errors

from .conftest import COMPONENT

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


def inputs(**values: Any) -> ActionInputs:
    return ActionInputs.model_validate(
        {"component_id": COMPONENT, "state": "success", "dry_run": True} | values
    )


def run(event_path: Path | None = None, **values: Any) -> RunContext:
    base: dict[str, Any] = {
        "repository": "acme/shop",
        "repository_id": "123",
        "run_id": 19_500_000_001,
        "run_attempt": 2,
        "run_number": 42,
        "job": "deploy",
        "workflow": "Deploy",
        "sha": "0123456789abcdef",
        "ref": "refs/heads/main",
        "ref_type": "branch",
        "ref_name": "main",
        "event_name": "push",
        "actor": "octocat",
        "event_path": event_path,
    }
    return RunContext.model_validate(base | values)


def build(
    given: ActionInputs, context: RunContext, now: Callable[[], datetime] = lambda: NOW
) -> BuiltEvent:
    return build_event(given, context, now, UpdateSequence())


@pytest.mark.parametrize(
    ("event_type", "state"),
    [(EventType.DEPLOYMENT, s.value) for s in DeploymentState]
    + [(EventType.BUILD, s.value) for s in BuildState],
)
def test_every_state_of_every_kind_gives_a_valid_body(event_type: EventType, state: str) -> None:
    event = build(inputs(event_type=event_type, state=state, environment="staging"), run())
    assert contract_errors(event.body) == []
    props = event.body["event"][event_type.value][f"{event_type.value}Properties"]  # type: ignore[index]
    ended = state not in ("PENDING", "IN_PROGRESS", "UNKNOWN")
    assert ("completedAt" in props) is ended


def test_the_deployment_body_carries_the_derived_keys() -> None:
    event = build(inputs(environment="Production"), run())
    body: Any = event.body
    deployment = body["event"]["deployment"]
    props = deployment["deploymentProperties"]
    assert body["cloudId"] == COMPONENT.split(":")[3] and body["componentId"] == COMPONENT
    assert props["sequenceNumber"] == 19_500_000_001 * 1000 + 2
    assert props["pipeline"]["pipelineId"] == "acme/shop/runs/19500000001/attempts/2/jobs/deploy"
    assert props["environment"] == {
        "category": "PRODUCTION",
        "displayName": "Production",
        "environmentId": "production",
    }
    # One source per repository and component: the component's own id ends it.
    assert deployment["externalEventSourceId"] == (
        "github.com:repository:123:component:" + COMPONENT.rsplit("/", 1)[1]
    )
    assert deployment["url"] == "https://github.com/acme/shop/actions/runs/19500000001/attempts/2"
    assert "https://github.com/acme/shop/commit/0123456789abcdef" in deployment["description"]
    assert deployment["lastUpdated"] == props["completedAt"] == "2026-11-22T12:00:00.000Z"


def test_the_pipeline_links_to_the_job_when_its_check_run_is_known() -> None:
    body: Any = build(inputs(environment="dev", check_run_id=555), run()).body
    pipeline = body["event"]["deployment"]["deploymentProperties"]["pipeline"]
    assert pipeline["url"] == "https://github.com/acme/shop/actions/runs/19500000001/job/555"
    assert pipeline["pipelineId"] == "acme/shop/runs/19500000001/attempts/2/jobs/555"


def test_overrides_win_over_derived_values() -> None:
    given = inputs(
        environment="prod",
        environment_id="prod-main",
        pipeline_id="p-1",
        sequence_number=5,
        update_sequence_number=9,
        external_event_source_id="src",
        display_name="Ship it",
        description="why",
        url="https://example.com/d/1",
        environment_category="STAGING",
    )
    body: Any = build(given, run()).body
    deployment = body["event"]["deployment"]
    props = deployment["deploymentProperties"]
    assert (
        props["pipeline"]["pipelineId"],
        props["sequenceNumber"],
        deployment["updateSequenceNumber"],
    ) == ("p-1", 5, 9)
    assert props["environment"] == {
        "category": "STAGING",
        "displayName": "prod",
        "environmentId": "prod-main",
    }
    assert (
        deployment["externalEventSourceId"],
        deployment["displayName"],
        deployment["description"],
    ) == ("src", "Ship it", "why")
    assert deployment["url"] == "https://example.com/d/1"


def test_long_texts_are_cut_to_255_with_a_warning() -> None:
    event = build(inputs(environment="dev", display_name="x" * 300, description="y" * 1000), run())
    deployment: Any = event.body["event"]
    assert len(deployment["deployment"]["displayName"]) == MAX_TEXT
    assert len(deployment["deployment"]["description"]) == MAX_TEXT
    assert deployment["deployment"]["displayName"].endswith("…")
    assert len(event.warnings) == 2 and "300 characters" in event.warnings[0]


def test_the_first_send_starts_now_and_later_sends_of_the_event_keep_that(tmp_path: Path) -> None:
    ledger = JobLedger(tmp_path / "home" / "ledger.json")
    earlier = NOW - timedelta(minutes=7)
    first = build_event(
        inputs(environment="prod", state="in_progress"),
        run(),
        lambda: earlier,
        UpdateSequence(),
        ledger,
    )
    ledger.put(*first.ledger_entry)  # Compass accepted it
    final = build_event(inputs(environment="prod"), run(), lambda: NOW, UpdateSequence(), ledger)
    other_env = build_event(inputs(environment="qa"), run(), lambda: NOW, UpdateSequence(), ledger)

    def props(event: BuiltEvent) -> Any:
        return event.request.to_json_dict()["event"]["deployment"]["deploymentProperties"]  # type: ignore[index]

    assert props(first)["startedAt"] == props(final)["startedAt"] == "2026-11-22T11:53:00.000Z"
    assert props(final)["completedAt"] == "2026-11-22T12:00:00.000Z"
    assert props(other_env)["startedAt"] == "2026-11-22T12:00:00.000Z"  # another event


def test_update_sequence_numbers_continue_above_an_earlier_step(tmp_path: Path) -> None:
    ledger = JobLedger(tmp_path / "ledger.json")
    ahead = UpdateSequence(clock_ns=lambda: 2_000_000_000_000_000_000)
    behind = UpdateSequence(clock_ns=lambda: 1_000_000_000_000_000_000)  # a clock that stepped back
    first = build_event(inputs(event_type="build"), run(), lambda: NOW, ahead, ledger)
    ledger.put(*first.ledger_entry)  # Compass accepted it
    second = build_event(inputs(event_type="build"), run(), lambda: NOW, behind, ledger)
    assert second.update_sequence_number == first.update_sequence_number + 1


OTHER_COMPONENT = COMPONENT.rsplit("/", 1)[0] + "/2f586125-bbbb-cccc-dddd-0123456789ab"


@pytest.mark.parametrize("event_type", ["deployment", "build"])
def test_a_job_that_reports_two_components_keeps_their_events_apart(
    tmp_path: Path, event_type: str
) -> None:
    # One job, one pipeline (and environment and sequence number), two components: each
    # component's event starts when it was first sent and numbers its updates on its own.
    ledger = JobLedger(tmp_path / "ledger.json")
    earlier = NOW - timedelta(minutes=7)
    given = {"event_type": event_type, "environment": "prod", "state": "in_progress"}
    first = build_event(inputs(**given), run(), lambda: earlier, UpdateSequence(lambda: 0), ledger)
    ledger.put(*first.ledger_entry)  # Compass accepted it
    other = build_event(
        inputs(**given, component_id=OTHER_COMPONENT),
        run(),
        lambda: NOW,
        UpdateSequence(lambda: 0),
        ledger,
    )
    ledger.put(*other.ledger_entry)
    again = build_event(inputs(**given), run(), lambda: NOW, UpdateSequence(lambda: 0), ledger)

    assert first.pipeline_id == other.pipeline_id == again.pipeline_id
    starts = [_started_at(event) for event in (first, other, again)]
    assert starts == ["2026-11-22T11:53:00.000Z", "2026-11-22T12:00:00.000Z", starts[0]]
    numbers = [e.update_sequence_number for e in (first, other, again)]
    assert numbers == [1, 1, 2]


def _started_at(event: BuiltEvent) -> str:
    body: Any = event.request.to_json_dict()["event"]
    [kind] = body.values()
    [props] = [value for key, value in kind.items() if key.endswith("Properties")]
    return str(props["startedAt"])


def test_the_ledger_lives_in_the_job_home_on_github_only(tmp_path: Path) -> None:
    entry = Entry("2026-11-22T12:00:00.000Z", 5)
    on_github = JobLedger.for_environ({"GITHUB_ACTIONS": "true", "HOME": str(tmp_path)})
    on_github.put("k", entry)
    assert (
        JobLedger.for_environ({"GITHUB_ACTIONS": "true", "HOME": str(tmp_path)}).get("k") == entry
    )
    elsewhere = JobLedger.for_environ({"HOME": str(tmp_path)})
    assert elsewhere.get("k") is None


def test_a_ledger_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    ledger = JobLedger(blocker / "ledger.json")
    ledger.put("k", Entry("2026-11-22T12:00:00.000Z", 5))
    assert ledger.get("k") is None
    event = build_event(inputs(event_type="build"), run(), lambda: NOW, UpdateSequence(), ledger)
    assert contract_errors(event.body) == []


def test_started_at_input_is_used_and_may_not_lie_in_the_future() -> None:
    given = inputs(environment="dev", started_at="2026-11-22T13:30:00+02:00")
    body: Any = build(given, run()).body
    assert (
        body["event"]["deployment"]["deploymentProperties"]["startedAt"]
        == "2026-11-22T11:30:00.000Z"
    )
    with pytest.raises(InputProblems, match="started-at: is in the future"):
        build(inputs(environment="dev", started_at="2026-11-23T00:00:00Z"), run())


def test_outside_a_run_the_keys_must_be_given() -> None:
    with pytest.raises(InputProblems) as caught:
        build(inputs(environment="dev"), RunContext.model_validate({}))
    assert {p.input for p in caught.value.problems} == {
        "external-event-source-id",
        "pipeline-id",
        "url",
        "sequence-number",
    }


def test_a_deployment_needs_an_environment_but_a_build_does_not() -> None:
    with pytest.raises(InputProblems, match="environment: is required for a deployment"):
        build(inputs(), run())
    assert build(inputs(event_type="build"), run()).facts.outputs() == {}


def test_update_sequence_numbers_grow_between_two_builds_in_one_process() -> None:
    sequence = UpdateSequence(clock_ns=lambda: 1_795_000_000_000_000_000)
    first = build_event(
        inputs(state="in_progress", environment="dev"), run(), lambda: NOW, sequence
    )
    second = build_event(inputs(environment="dev"), run(), lambda: NOW, sequence)
    assert second.update_sequence_number > first.update_sequence_number
    assert first.pipeline_id == second.pipeline_id
    assert first.facts.log_keys() == second.facts.log_keys()  # environment and sequence number


def test_deployment_only_inputs_on_a_build_are_named_in_a_warning() -> None:
    event = build(inputs(event_type="build", environment_id="prod", sequence_number=3), run())
    assert event.warnings == [
        "environment-id applies to deployments only; a build event ignores it",
        "sequence-number applies to deployments only; a build event ignores it",
    ]
