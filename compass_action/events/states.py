"""How the ``state`` input becomes a Compass state: the one place that rule lives."""

from __future__ import annotations

from .contract import BuildState, DeploymentState, EventType

# `job.status` as a step sees it (the default of the `state` input) is one of these three.
_JOB_STATUS = {
    "success": "SUCCESSFUL",
    "failure": "FAILED",
    "cancelled": "CANCELLED",
}

_STATES: dict[EventType, tuple[str, ...]] = {
    EventType.DEPLOYMENT: tuple(state.value for state in DeploymentState),
    EventType.BUILD: tuple(state.value for state in BuildState),
}

# States after which nothing more happens to the event; only these carry `completedAt`.
# PENDING, IN_PROGRESS and UNKNOWN say nothing about an end, so they get none.
_TERMINAL = frozenset({"SUCCESSFUL", "FAILED", "CANCELLED", "ROLLED_BACK", "ERROR", "TIMED_OUT"})


# A GitHub deployment status (``deployment_status.state``) as a Compass deployment state. GitHub
# sets ``inactive`` on an earlier deployment when a later one to the environment succeeds: that
# deployment did not fail or roll back, and sending anything would overwrite its real outcome, so
# it has no entry and is not reported. ``error`` is a failure to deploy, as Atlassian's Jira app
# counts it; Compass's deployments have no ERROR state.
_DEPLOYMENT_STATUS = {
    "queued": "PENDING",
    "waiting": "PENDING",
    "pending": "PENDING",
    "in_progress": "IN_PROGRESS",
    "success": "SUCCESSFUL",
    "failure": "FAILED",
    "error": "FAILED",
}


def deployment_status_state(github_state: str) -> str | None:
    """The Compass state of a GitHub deployment status; None for one that must not be sent."""
    return _DEPLOYMENT_STATUS.get(github_state.strip().lower())


def resolve_state(raw: str, event_type: EventType) -> str:
    """Map a `job.status` value or a Compass state name (any case) to the Compass state.

    Raises ValueError with a message that lists what is accepted.
    """
    cleaned = raw.strip()
    lowered = cleaned.lower()
    if lowered in _JOB_STATUS:
        return _JOB_STATUS[lowered]
    # "in-progress" and "in progress" are common spellings of IN_PROGRESS.
    candidate = cleaned.upper().replace("-", "_").replace(" ", "_")
    if candidate in _STATES[event_type]:
        return candidate
    accepted = ", ".join(sorted(_JOB_STATUS)) + "; or " + ", ".join(_STATES[event_type])
    raise ValueError(f"{cleaned!r} is not a {event_type.value} state; use one of {accepted}")


def is_terminal(state: str) -> bool:
    return state in _TERMINAL
