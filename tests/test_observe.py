"""observe.py's rules, without servers: the keys a job gets, and which deployment is whose."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from compass_action.clients.github_api import Job, WorkflowRun
from compass_action.events.builder import build_event
from compass_action.events.identity import UpdateSequence
from compass_action.github.run_context import RunContext
from compass_action.inputs import ActionInputs
from compass_action.observe import Observed, observed_events

COMPONENT = (
    "ari:cloud:compass:83673fa7-fd28-4f4a-9738-f584064570a7:"
    "component/db43f86d-7f1e-4a6b-9c0d-1b2c3d4e5f60/1e475014-aaaa-bbbb-cccc-0123456789ab"
)
RUN_ID, CHECK_RUN = 19_600_000_123, 51_725_241_954
STARTED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ENDED = datetime(2026, 11, 22, 12, 3, tzinfo=UTC)


def context(**values: Any) -> RunContext:
    base = {"repository": "acme/shop", "repository_id": "123", "run_attempt": 1}
    run = RunContext.model_validate(base | values)
    run.__dict__["event"] = {}
    return run


def inputs(**values: Any) -> ActionInputs:
    return ActionInputs.model_validate(
        {"site": "acme", "component_id": COMPONENT, "job_status": "success"} | values
    )


def keys(body: dict[str, Any]) -> tuple[Any, ...]:
    envelope = body["event"].get("build") or body["event"]["deployment"]
    props = envelope.get("buildProperties") or envelope["deploymentProperties"]
    return (
        envelope["externalEventSourceId"],
        props["pipeline"]["pipelineId"],
        props.get("environment", {}).get("environmentId"),
        props.get("sequenceNumber"),
    )


def test_an_observed_job_gets_the_keys_a_live_send_in_it_derives() -> None:
    """Derive both for one job: a step in it (GITHUB_* and job.check_run_id), and the observer
    (the API's run and job), and compare every key."""
    triggering = WorkflowRun(id=RUN_ID, run_attempt=2, event="push", head_sha="a" * 40)
    job = Job(
        id=CHECK_RUN,
        run_id=RUN_ID,
        run_attempt=2,
        name="deploy (eu)",
        status="completed",
        conclusion="success",
        started_at=STARTED,
        completed_at=ENDED,
    )
    observed = Observed(triggering, [job], {CHECK_RUN: "Production"})
    listener = context(run_id=1, job="report", event_name="workflow_run")
    numbers = UpdateSequence()
    given = inputs(build_unit="job")
    sent = observed_events(given, listener, observed, [COMPONENT], lambda _: numbers).events
    live_run = context(run_id=RUN_ID, run_attempt=2, job="deploy", event_name="push")
    for kind, environment in (("build", None), ("deployment", "Production")):
        live_inputs = inputs(event_type=kind, check_run_id=CHECK_RUN, environment=environment)
        live = build_event(live_inputs, live_run, lambda: ENDED, UpdateSequence())
        [twin] = [event for event in sent if event.event_type.value == kind]
        assert keys(twin.body) == keys(live.body)


def test_the_observed_times_are_the_jobs_own() -> None:
    triggering = WorkflowRun(id=RUN_ID, event="push")
    job = Job(
        id=CHECK_RUN,
        run_id=RUN_ID,
        name="test",
        status="completed",
        conclusion="timed_out",
        started_at=STARTED,
        completed_at=ENDED,
    )
    listener = context(run_id=1, job="report", event_name="workflow_run")
    observed = Observed(triggering, [job], {})
    numbers = UpdateSequence()
    given = inputs(build_unit="job")
    [event] = observed_events(given, listener, observed, [COMPONENT], lambda _: numbers).events
    props: Any = event.body["event"]
    build = props["build"]["buildProperties"]
    assert build["state"] == "TIMED_OUT"
    assert build["startedAt"] == "2026-11-22T12:00:00.000Z"
    assert build["completedAt"] == "2026-11-22T12:03:00.000Z"
