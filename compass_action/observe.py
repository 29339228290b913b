"""Observer runs: in a ``workflow_run`` run, report the run that triggered it, not this one.

One small workflow ``on: workflow_run`` reports every run of the workflows it names, without a
step in their jobs. From GitHub's REST API (``github-token``, permission ``actions: read``, and
``deployments: read`` for deployments) it reads the triggering run's attempt and its jobs, and
builds for each job the events a live send in that job would have sent, with the same keys
(events/identity.py: the job is its check run id, which the API returns as the job's ``id``):

- every job as a build, its state from the job's conclusion (``CONCLUSION_STATES``), its
  ``startedAt`` and ``completedAt`` the job's own;
- every job that deployed to an environment also as a deployment to it. GitHub creates a
  deployment for such a job, for the run's head commit, and points its statuses' ``log_url``
  (and ``target_url``) at the job's log, ``.../actions/runs/<run id>/job/<job id>``: that link,
  which carries the job's id, is what ties a deployment to its job.

Only the ``completed`` action reports: at ``requested`` and ``in_progress`` the jobs have not
ended, most have not started, and the completed run reports them all anyway; an IN_PROGRESS
build sent then would be a guess at times GitHub records exactly later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from .clients.github_api import (
    Deployment,
    GitHubApi,
    Job,
    WorkflowRun,
    api_base,
)
from .clients.http import Clock
from .events.builder import BuiltEvent, build_event
from .events.contract import EventType
from .events.identity import UpdateSequence
from .events.states import JOB_STATUS_KINDS
from .github.run_context import OBSERVED_EVENT, PRE_MERGE_EVENTS, RunContext
from .inputs import ActionInputs
from .limits import Deadline
from .problems import InputProblems, Problem

# Runs whose live deployments are keyed by their release or GitHub deployment, from the run's
# payload, which the API's answer lacks: their deployments are left to the live steps.
_OWN_DEPLOYMENT_KEYS = frozenset({"release", "deployment", "deployment_status"})

# A job's conclusion as (the build's state, the deployment's state); None: not sent. The one
# table of this rule, shown in the README ("Observe other workflows").
CONCLUSION_STATES: dict[str, tuple[str | None, str | None]] = {
    "success": ("SUCCESSFUL", "SUCCESSFUL"),
    "failure": ("FAILED", "FAILED"),
    "cancelled": ("CANCELLED", "CANCELLED"),
    # Compass builds have TIMED_OUT; its deployments do not, and a deployment that ran out of
    # time did not deploy.
    "timed_out": ("TIMED_OUT", "FAILED"),
    # The job could not start (a bad runner label, a workflow file error): it failed.
    "startup_failure": ("FAILED", "FAILED"),
    # GitHub counts neutral as passing (a required check that is neutral does not block).
    "neutral": ("SUCCESSFUL", "SUCCESSFUL"),
    # Never ran: skipped by an `if:`, waiting for an approval that did not come, or replaced
    # (stale). Sending them would count builds and deployments that did not happen.
    "skipped": (None, None),
    "action_required": (None, None),
    "stale": (None, None),
}

Log = Callable[[str], None]


def is_observer_run(inputs: ActionInputs, run: RunContext) -> bool:
    return run.event_name == OBSERVED_EVENT and inputs.event_type in JOB_STATUS_KINDS


def observer_problems(inputs: ActionInputs, run: RunContext) -> list[Problem]:
    """What must be fixed before an observer run asks GitHub anything."""
    if not is_observer_run(inputs, run):
        return []
    if inputs.github_token is None:
        return [
            Problem(
                "github-token",
                "is empty; a workflow_run run reads the run it reports from GitHub's API. "
                "Leave it at its default (${{ github.token }}) and give the job "
                "`permissions: actions: read` (and `deployments: read`)",
            )
        ]
    return []


def skip_reason(run: RunContext) -> str | None:
    """Why this observer run reports nothing yet."""
    action = run.event.get("action")
    if action != "completed":
        return (
            f"this workflow_run run is for the {action or 'unknown'} action; the triggering run "
            "is reported once it has completed (`on: workflow_run: types: [completed]`)"
        )
    return None


@dataclass(frozen=True)
class Observed:
    """What GitHub's API says about the triggering run's attempt."""

    run: WorkflowRun
    jobs: list[Job]
    deployments: dict[int, str]  # job id -> the environment its deployment went to
    # The triggering event's payload, where known: a reconcile finds a release run's release
    # (reconcile.py), which keys its deployments as a live step's. Empty: not known.
    payload: dict[str, Any] = field(default_factory=dict)


def triggering_run(run: RunContext) -> WorkflowRun:
    try:
        return WorkflowRun.model_validate(run.event.get("workflow_run"))
    except ValidationError:
        raise InputProblems(
            [Problem("GITHUB_EVENT_PATH", "holds no workflow_run with an id (the run to report)")]
        ) from None


def read_observed(
    inputs: ActionInputs,
    run: RunContext,
    environ: Mapping[str, str],
    deadline: Deadline,
    clock: Clock,
    log: Log,
) -> Observed:
    """The triggering run's attempt, its jobs, and which of them deployed where."""
    assert inputs.github_token is not None and run.repository is not None
    triggering = triggering_run(run)
    token = inputs.github_token.get_secret_value()
    # A GitHubApiError goes up to main, which reports it as fail-on says.
    with GitHubApi(api_base(environ), token, clock, log) as api:
        jobs = api.jobs(run.repository, triggering.id, triggering.run_attempt, deadline)
        deployed = deployed_jobs(api, run.repository, triggering, jobs, deadline)
        log(f"GitHub API requests: {api.requests}")
    return Observed(triggering, jobs, deployed)


def deployed_jobs(
    api: GitHubApi, repository: str, triggering: WorkflowRun, jobs: list[Job], deadline: Deadline
) -> dict[int, str]:
    """Job id -> environment, from the deployments of the run's head commit whose statuses link
    to one of its jobs' logs."""
    if triggering.head_sha is None:
        return {}
    ids = {job.id for job in jobs}
    deployed: dict[int, str] = {}
    for deployment in api.deployments(repository, triggering.head_sha, deadline):
        job_id = _job_of(api, repository, deployment, triggering.id, deadline)
        if job_id in ids and deployment.environment:
            deployed[job_id] = deployment.environment
    return deployed


def _job_of(
    api: GitHubApi, repository: str, deployment: Deployment, run_id: int, deadline: Deadline
) -> int | None:
    marker = f"/actions/runs/{run_id}/job/"
    for status in api.statuses(repository, deployment.id, deadline):
        for link in (status.log_url, status.target_url):
            if link and marker in link:
                tail = link.split(marker, 1)[1].split("/", 1)[0].split("?", 1)[0]
                if tail.isascii() and tail.isdigit():
                    return int(tail)
    return None


def observed_context(
    run: RunContext, triggering: WorkflowRun, job: Job, payload: dict[str, Any] | None = None
) -> RunContext:
    """The run context a step of ``job`` had, as far as the keys and texts need it."""
    branch = triggering.head_branch
    observed = RunContext.model_validate(
        {
            "server_url": run.server_url,
            "repository": run.repository,
            "repository_id": run.repository_id,
            "run_id": triggering.id,
            "run_attempt": job.run_attempt,
            "run_number": triggering.run_number,
            "workflow": triggering.name or None,
            "job": job.name,
            "sha": triggering.head_sha,
            "ref": f"refs/heads/{branch}" if branch else None,
            "ref_name": branch,
            "event_name": triggering.event,
        }
    )
    # The triggering event's payload is not in the API's answer; a reconcile rebuilds the part
    # that keys a release run's deployments.
    observed.__dict__["event"] = payload or {}
    return observed


def observed_events(
    inputs: ActionInputs,
    run: RunContext,
    observed: Observed,
    components: list[str],
    numbers: UpdateSequence,
) -> list[BuiltEvent]:
    """Every component's build for each job, and deployment for each job that deployed."""
    events = []
    pre_merge = observed.run.event in PRE_MERGE_EVENTS and not inputs.report_pull_requests
    for job in observed.jobs:
        states = CONCLUSION_STATES.get(job.conclusion or "")
        if job.status != "completed" or states is None:
            continue
        context = observed_context(run, observed.run, job, observed.payload)
        ended = job.completed_at or job.started_at
        build_state, deploy_state = states
        kinds: list[tuple[EventType, str, str | None]] = []
        if build_state is not None and not pre_merge:
            kinds.append((EventType.BUILD, build_state, None))
        environment = observed.deployments.get(job.id)
        if observed.run.event in _OWN_DEPLOYMENT_KEYS and not _keyed(context):
            environment = None
        if deploy_state is not None and environment is not None:
            kinds.append((EventType.DEPLOYMENT, deploy_state, environment))
        for kind, state, env in kinds:
            for component in components:
                given = _job_inputs(inputs, component, kind, state, env, job)
                event = build_event(given, context, _at(ended), numbers)
                label = f"{kind.value} of job {job.name}" + (f" to {env}" if env else "")
                events.append(replace(event, label=label))
    return events


def _keyed(context: RunContext) -> bool:
    """Whether the payload given holds what keys the run's deployments (its release)."""
    return context.release is not None or context.github_deployment is not None


def _job_inputs(
    inputs: ActionInputs,
    component: str,
    kind: EventType,
    state: str,
    environment: str | None,
    job: Job,
) -> ActionInputs:
    update: dict[str, Any] = {
        "component_id": component,
        "event_type": kind,
        "state": state,
        "check_run_id": job.id,
        "started_at": job.started_at,
        # Keys and texts are derived for the observed job, never taken from this run's inputs.
        "pipeline_id": None,
        "sequence_number": None,
        "update_sequence_number": None,
        "url": None,
        "display_name": None,
        "description": None,
    }
    if environment is not None:
        update |= {"environment": environment, "environment_id": None}
    return inputs.model_copy(update=update)


def _at(moment: datetime | None) -> Callable[[], datetime]:
    return lambda: moment or datetime.now(UTC)
