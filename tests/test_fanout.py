"""Several components: one event each, sent concurrently under Compass's rate limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools.action_runner import Run
from tools.compass_contract import contract_errors
from tools.compass_standin import RateLimit, ScriptedAnswer, Standin

from .conftest import COMPONENT, EMAIL, TOKEN, credentials
from .inprocess import InProcess

WORKSPACE = COMPONENT.rsplit("/", 1)[0]


def components(count: int) -> list[str]:
    """Component ARIs of one workspace, as Compass mints them (a UUID each)."""
    return [f"{WORKSPACE}/{index:08x}-aaaa-4bbb-8ccc-0123456789ab" for index in range(count)]


def several(server: Standin, ids: list[str], **extra: str) -> dict[str, str]:
    return credentials(server) | {
        "component-id": "\n".join(ids),
        "environment": "production",
        **extra,
    }


def results(outputs: dict[str, str]) -> list[dict[str, Any]]:
    return list(json.loads(outputs["results"]))


def test_one_event_per_component_with_the_same_keys_and_own_sources(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    ids = components(3)
    # Comma-separated works as one per line does; a repeat is sent once.
    with_ = several(standin, ids) | {"component-id": f"{ids[0]}, {ids[1]},\n{ids[2]}, {ids[0]}"}
    result = in_process(Run(), with_, workdir)

    assert result.exit_code == 0, result.stdout
    bodies = [json.loads(body) for body in standin.bodies()]
    assert sorted(body["componentId"] for body in bodies) == sorted(ids)
    events = [body["event"]["deployment"] for body in bodies]
    # The same deployment keys for every component...
    for key in ("pipeline", "environment", "sequenceNumber"):
        assert len({json.dumps(e["deploymentProperties"][key]) for e in events}) == 1
    # ...and never one event source for two of them.
    assert len({e["externalEventSourceId"] for e in events}) == 3
    assert all(contract_errors(body) == [] for body in bodies)
    assert results(result.outputs) == [
        {"component": component, "status": "202", "delivered": True} for component in ids
    ]
    assert result.outputs["delivered"] == "true"
    assert (
        result.outputs["pipeline-id"] == events[0]["deploymentProperties"]["pipeline"]["pipelineId"]
    )
    for component in ids:  # each a row of the summary (its ":" escaped there)
        assert component.rsplit("/", 1)[1] in result.summary


def test_a_single_component_keeps_its_outputs_and_has_one_result(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    result = in_process(Run(), several(standin, [COMPONENT]), workdir)
    assert result.exit_code == 0
    assert results(result.outputs) == [{"component": COMPONENT, "status": "202", "delivered": True}]
    assert result.outputs["payload"] == standin.bodies()[0]


NO_SOURCE = ScriptedAnswer(404, json.dumps({"errors": [{"type": "CREATE_EVENT_SOURCE_NOT_FOUND"}]}))
OVERLOADED = ScriptedAnswer(503, "Service Unavailable", {"Retry-After": "5"})


@pytest.mark.parametrize(
    ("answer", "fail_on", "exit_code", "status"),
    [
        (NO_SOURCE, "config", 1, "404"),
        (NO_SOURCE, "any", 1, "404"),
        (NO_SOURCE, "never", 0, "404"),
        (OVERLOADED, "config", 0, "503"),
        (OVERLOADED, "any", 1, "503"),
        (OVERLOADED, "never", 0, "503"),
    ],
)
def test_one_failing_component_fails_or_warns_as_fail_on_says(
    in_process: InProcess,
    workdir: Path,
    answer: ScriptedAnswer,
    fail_on: str,
    exit_code: int,
    status: str,
) -> None:
    ids = components(4)
    failing = ids[2]
    with Standin(EMAIL, TOKEN, answers_for={failing: answer}) as server:
        result = in_process(
            Run(), several(server, ids, **{"fail-on": fail_on, "timeout": "20"}), workdir
        )
        stored = {
            event["deploymentProperties"]["pipeline"]["pipelineId"] for event in server.events()
        }

    assert result.exit_code == exit_code, result.stdout
    level = "error" if exit_code else "warning"
    [annotation] = [line for line in result.stdout.splitlines() if line.startswith(f"::{level}")]
    assert annotation.startswith(f"::{level} title=Compass event for ari%3Acloud")
    assert failing.rsplit("/", 1)[1] in annotation
    assert len(stored) == 1  # the other three were stored, under one pipeline
    by_component = {item["component"]: item for item in results(result.outputs)}
    assert by_component[failing] == {"component": failing, "status": status, "delivered": False}
    assert all(by_component[c]["delivered"] for c in ids if c != failing)
    assert result.outputs["delivered"] == "false" and result.outputs["status"] == status
    assert "3 of 4 components" in result.summary


def test_a_dry_run_shows_every_component(in_process: InProcess, workdir: Path) -> None:
    ids = components(2)
    with_ = {"component-id": ",".join(ids), "dry-run": "true", "environment": "production"}
    result = in_process(Run(), with_, workdir)
    assert result.exit_code == 0
    assert [item["status"] for item in results(result.outputs)] == ["dry-run", "dry-run"]
    assert all(component in result.stdout for component in ids)


def test_an_explicit_event_source_is_refused_for_several_components(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    with_ = several(standin, components(2), **{"external-event-source-id": "acme-ci"})
    result = in_process(Run(), with_, workdir)
    assert result.exit_code == 1 and standin.bodies() == []
    assert "::error title=Input external-event-source-id::must be empty" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("count", [20, 150])
def test_the_fan_out_never_trips_the_rate_limit(
    in_process: InProcess, workdir: Path, count: int
) -> None:
    # The stand-in counts on the run's skipping clock, so the pacer's waits are real to it.
    limit = RateLimit(clock=in_process.waits.monotonic)
    ids = components(count)
    with Standin(EMAIL, TOKEN, rate_limit=limit) as server:
        result = in_process(Run(), several(server, ids, **{"timeout": "120"}), workdir)
        received = server.received()

    assert result.exit_code == 0, result.stdout[-2000:]
    assert limit.refused == 0 and all(item.status == 202 for item in received)
    assert len(received) == count
    assert all(item["delivered"] for item in results(result.outputs))
    # Past 100 the pacer waited out the minute (plus its slack), and only then.
    waited = sum(in_process.waits.slept)
    assert (waited >= 60) == (count > 100)
