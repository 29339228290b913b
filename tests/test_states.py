"""How the state input maps to a Compass state."""

from __future__ import annotations

import pytest

from compass_action.events.contract import BuildState, DeploymentState, EventType
from compass_action.events.states import JOB_STATUS_KINDS, is_terminal, resolve_state


@pytest.mark.parametrize("event_type", sorted(JOB_STATUS_KINDS))
@pytest.mark.parametrize(
    ("job_status", "state"),
    [
        ("success", "SUCCESSFUL"),
        ("failure", "FAILED"),
        ("cancelled", "CANCELLED"),
        ("Success", "SUCCESSFUL"),
    ],
)
def test_job_status_maps_to_compass_states(
    job_status: str, state: str, event_type: EventType
) -> None:
    assert resolve_state(job_status, event_type) == state


@pytest.mark.parametrize("state", [s.value for s in DeploymentState])
def test_every_deployment_state_is_accepted_in_any_case(state: str) -> None:
    assert resolve_state(state.lower(), EventType.DEPLOYMENT) == state
    assert resolve_state(state.title(), EventType.DEPLOYMENT) == state


@pytest.mark.parametrize("state", [s.value for s in BuildState])
def test_every_build_state_is_accepted_in_any_case(state: str) -> None:
    assert resolve_state(state.lower(), EventType.BUILD) == state


def test_common_spellings_of_in_progress() -> None:
    for spelling in ("in-progress", "In Progress", "IN_PROGRESS"):
        assert resolve_state(spelling, EventType.DEPLOYMENT) == "IN_PROGRESS"


@pytest.mark.parametrize(
    ("raw", "event_type"),
    [
        ("rolled_back", EventType.BUILD),
        ("pending", EventType.BUILD),
        ("error", EventType.DEPLOYMENT),
        ("timed_out", EventType.DEPLOYMENT),
        ("skipped", EventType.DEPLOYMENT),
        ("", EventType.BUILD),
    ],
)
def test_states_of_the_other_kind_or_unknown_words_are_refused(
    raw: str, event_type: EventType
) -> None:
    with pytest.raises(ValueError, match=f"is not a {event_type.value} state"):
        resolve_state(raw, event_type)


def test_only_ended_states_are_terminal() -> None:
    ended = {"SUCCESSFUL", "FAILED", "CANCELLED", "ROLLED_BACK", "ERROR", "TIMED_OUT"}
    every = {s.value for s in DeploymentState} | {s.value for s in BuildState}
    assert {s for s in every if is_terminal(s)} == ended
