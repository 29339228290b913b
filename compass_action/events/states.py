"""How the ``state`` input becomes a Compass state: the one place that rule lives."""

from __future__ import annotations

from .contract import (
    AlertStatus,
    BuildState,
    DeploymentState,
    EventType,
    FlagStatus,
    IncidentState,
    LifecycleStage,
    VulnerabilityState,
)

# `job.status` as a step sees it (the default of the `state` input) is one of these three.
_JOB_STATUS = {
    "success": "SUCCESSFUL",
    "failure": "FAILED",
    "cancelled": "CANCELLED",
}

_STATES: dict[EventType, tuple[str, ...]] = {
    EventType.DEPLOYMENT: tuple(state.value for state in DeploymentState),
    EventType.BUILD: tuple(state.value for state in BuildState),
    EventType.INCIDENT: tuple(state.value for state in IncidentState),
    EventType.VULNERABILITY: tuple(state.value for state in VulnerabilityState),
    EventType.ALERT: tuple(state.value for state in AlertStatus),
    EventType.FLAG: tuple(state.value for state in FlagStatus),
    EventType.LIFECYCLE: tuple(state.value for state in LifecycleStage),
}

# Only deployments and builds are about the job; their state defaults to the job's status.
JOB_STATUS_KINDS = frozenset({EventType.DEPLOYMENT, EventType.BUILD})

# What an event of a kind that is not about the job reports when `state` is empty: a new
# incident, vulnerability or alert is open. A flag flip and a lifecycle stage have no such
# default: each says what changed, so `state` is required for them.
DEFAULT_STATE: dict[EventType, str] = {
    EventType.INCIDENT: IncidentState.OPEN.value,
    EventType.VULNERABILITY: VulnerabilityState.OPEN.value,
    EventType.ALERT: AlertStatus.OPENED.value,
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


def is_job_status(raw: str) -> bool:
    """A `job.status` value: the state of deployments and builds, ignored by the other kinds."""
    return raw.strip().lower() in _JOB_STATUS


def accepted_states(event_type: EventType) -> str:
    """The states of the kind, as a message lists them."""
    own = ", ".join(_STATES[event_type])
    if event_type in JOB_STATUS_KINDS:
        return ", ".join(sorted(_JOB_STATUS)) + "; or " + own
    return own


def resolve_state(raw: str, event_type: EventType) -> str:
    """Map a `job.status` value (deployments and builds) or a state name of the kind, in any
    case, to the state Compass takes.

    Raises ValueError with a message that lists what is accepted.
    """
    cleaned = raw.strip()
    lowered = cleaned.lower()
    if event_type not in _STATES:
        raise ValueError(f"{event_type.a} event has no state; leave state empty")
    if event_type in JOB_STATUS_KINDS and lowered in _JOB_STATUS:
        return _JOB_STATUS[lowered]
    # "in-progress" and "in progress" are common spellings of IN_PROGRESS.
    candidate = cleaned.upper().replace("-", "_").replace(" ", "_")
    if event_type is EventType.FLAG:
        candidate = candidate.lower()  # Compass's feed shows flag statuses in lower case
    if candidate in _STATES[event_type]:
        return candidate
    accepted = accepted_states(event_type)
    raise ValueError(f"{cleaned!r} is not {event_type.a} state; use one of {accepted}")


def is_terminal(state: str) -> bool:
    return state in _TERMINAL
