"""Observer runs: in a ``workflow_run`` run, report the run that triggered it, not this one.

One small workflow ``on: workflow_run`` reports every run of the workflows it names, without a
step in their jobs. From GitHub's REST API (``github-token``, permission ``actions: read``, and
``deployments: read`` for deployments) it reads the triggering run's attempt and its jobs, and
builds for each job the events a live send in that job would have sent, with the same keys
(events/identity.py: the job is its check run id, which the API returns as the job's ``id``):

- the run attempt as ONE build (``build-unit: run``, the default, as Atlassian's apps count a
  run or pipeline), its state from the run's conclusion (``RUN_CONCLUSION_STATES``), its times
  the attempt's; or, with ``build-unit: job``, every job (of ``jobs``, when given) as a build,
  its state from the job's conclusion (``CONCLUSION_STATES``), its times the job's own, with the
  key a live step in that job uses. ``jobs`` (names or patterns) limits the jobs reported, their
  builds and deployments, to those that carry the action live, so that a reconcile fills in
  exactly what live steps lost. A run's build counts when its branch does
  (events/branches.py) and, for pull requests and merge queues, with ``report-pull-requests``;
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
from functools import partial
from typing import Any, NamedTuple, Protocol

from pydantic import ValidationError

from .clients.github_api import (
    DeploymentStatus,
    GitHubApi,
    Job,
    WorkflowRun,
    api_base,
)
from .clients.http import Clock
from .events.branches import left_out, matches
from .events.builder import BuiltEvent, build_event
from .events.contract import EventType
from .events.identity import UpdateSequence, run_attempt_key
from .events.states import JOB_STATUS_KINDS
from .github.run_context import OBSERVED_EVENT, PRE_MERGE_EVENTS, RunContext
from .inputs import ActionInputs
from .limits import Deadline, bounded_int
from .problems import InputProblems, Problem

# Runs whose live deployments are keyed by their release or GitHub deployment, from the run's
# payload, which the API's answer lacks: their deployments are left to the live steps.
_OWN_DEPLOYMENT_KEYS = frozenset({"release", "deployment", "deployment_status"})

# A job's conclusion as (the build's state, the deployment's state); None: not sent. The one
# table of this rule, shown in docs/observe-and-reconcile.md ("Observe other workflows").
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

# A run attempt's conclusion as the state of its one build (build-unit: run); None: not sent.
# Atlassian's apps count a run that timed out or could not start (a broken workflow file: no
# jobs at all) as a failed build, and so does this table; a re-run is a build of its own.
RUN_CONCLUSION_STATES: dict[str, str | None] = {
    "success": "SUCCESSFUL",
    "failure": "FAILED",
    "cancelled": "CANCELLED",
    "timed_out": "FAILED",
    "startup_failure": "FAILED",
    "neutral": "SUCCESSFUL",
    "skipped": None,
    "action_required": None,
    "stale": None,
}

Log = Callable[[str], None]
# The numbers of one job's events (None: the run's own build): the clock in an observer run,
# the job's or run's start in a reconcile (reconcile.py).
Numbering = Callable[["Job | None"], UpdateSequence]


@dataclass(frozen=True)
class Skip:
    """Something GitHub recorded that is not sent: ``key`` counts it in a reconcile's summary,
    ``detail`` says it in a notice."""

    key: str
    detail: str
    notice: bool = False  # said as a notice (else in the log): a build left out, a bad record


@dataclass
class Observation:
    """What one run attempt gives: the events to send, and what was left out and why."""

    events: list[BuiltEvent] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)


class Annotator(Protocol):
    def annotate(self, level: str, message: str, title: str | None = None) -> None: ...


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
    # The repository's default branch, whose builds count (events/branches.py); None: unknown.
    default_branch: str | None = None


def triggering_run(run: RunContext) -> WorkflowRun:
    given = run.event.get("workflow_run")
    try:
        return WorkflowRun.model_validate(given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in ("workflow_run", *first["loc"]))
        said = "holds no workflow_run with an id (the run to report)"
        if isinstance(given, dict) and first["loc"]:  # a field of it that cannot be read
            said = f"{where}: {first['msg'].removeprefix('Value error, ')}"
        raise InputProblems([Problem("GITHUB_EVENT_PATH", said)]) from None


class Says(NamedTuple):
    """Where the API client's notices (an item skipped) and warnings (a list cut) go."""

    notice: Log
    warn: Log


def github_api_says(reporter: Annotator) -> Says:
    """Notices and warnings about GitHub's answers as annotations of the step."""
    title = "GitHub's API"
    return Says(
        lambda message: reporter.annotate("notice", message, title),
        lambda message: reporter.annotate("warning", message, title),
    )


def read_observed(
    inputs: ActionInputs,
    run: RunContext,
    environ: Mapping[str, str],
    deadline: Deadline,
    clock: Clock,
    log: Log,
    says: Says | None = None,
) -> Observed:
    """The triggering run's attempt, its jobs, and which of them deployed where."""
    assert inputs.github_token is not None and run.repository is not None
    triggering = triggering_run(run)
    token = inputs.github_token.get_secret_value()
    notice, warn = says or (log, log)
    # A GitHubApiError goes up to main, which reports it as fail-on says.
    with GitHubApi(api_base(environ), token, clock, log, notice=notice, warn=warn) as api:
        jobs = api.jobs(run.repository, triggering.id, triggering.run_attempt, deadline)
        deployed = deployed_jobs(api, run.repository, triggering, jobs, deadline)
        log(f"GitHub API requests: {api.requests}")
    return Observed(triggering, jobs, deployed, default_branch=run.default_branch)


def deployed_jobs(
    api: GitHubApi,
    repository: str,
    triggering: WorkflowRun,
    jobs: list[Job],
    deadline: Deadline,
    seen: dict[int, list[DeploymentStatus]] | None = None,
) -> dict[int, str]:
    """Job id -> environment, from the deployments of the run's head commit whose statuses link
    to one of its jobs' logs. ``seen`` keeps the statuses read, by deployment, for a reconcile's
    look at the deployments no job reported (github_deployments.py)."""
    if triggering.head_sha is None:
        return {}
    ids = {job.id for job in jobs}
    deployed: dict[int, str] = {}
    seen = {} if seen is None else seen
    for deployment in api.deployments(repository, triggering.head_sha, deadline):
        if deployment.id not in seen:
            seen[deployment.id] = api.statuses(repository, deployment.id, deadline)
        job_id = _job_of(seen[deployment.id], triggering.id)
        if job_id in ids and deployment.environment:
            deployed[job_id] = deployment.environment
    return deployed


def _job_of(statuses: list[DeploymentStatus], run_id: int) -> int | None:
    marker = f"/actions/runs/{run_id}/job/"
    for status in statuses:
        for link in (status.log_url, status.target_url):
            if link and marker in link:
                tail = link.split(marker, 1)[1].split("/", 1)[0].split("?", 1)[0]
                job_id = bounded_int(tail)  # None for 5,000 digits too: no job has that id
                if job_id is not None and job_id > 0:
                    return job_id
    return None


def observed_context(
    run: RunContext,
    triggering: WorkflowRun,
    job: Job | None,
    payload: dict[str, Any] | None = None,
) -> RunContext:
    """The run context a step of ``job`` had (the run itself for None), as far as the keys and
    texts need it."""
    branch = triggering.head_branch
    observed = RunContext.model_validate(
        {
            "server_url": run.server_url,
            "repository": run.repository,
            "repository_id": run.repository_id,
            "run_id": triggering.id,
            "run_attempt": job.run_attempt if job is not None else triggering.run_attempt,
            "run_number": triggering.run_number,
            "workflow": triggering.name or None,
            "job": job.name if job is not None else None,
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
    numbering: Numbering,
    deadline: Deadline | None = None,
) -> Observation:
    """Every component's build (the run's, or each job's) and deployment for each job that
    deployed; each job GitHub's record of which cannot make an event skipped, with why. The
    jobs left when ``deadline`` passes are not built (thousands of them take many seconds)."""
    found = Observation()
    build_skip = _build_left_out(inputs, observed)
    if build_skip is not None:
        found.skipped.append(build_skip)
    per_job = inputs.build_unit == "job" and bool(observed.jobs)
    if build_skip is None and not per_job:
        _run_build(inputs, run, observed, components, numbering, found)
    patterns = inputs.filter_list("jobs")
    for job in observed.jobs:
        if deadline is not None and deadline.expired():
            break
        states = CONCLUSION_STATES.get(job.conclusion or "")
        skip = _job_skip(job, states, patterns)
        if skip is not None:
            found.skipped.append(skip)
            continue
        assert states is not None, "a job of no known conclusion is skipped by _job_skip"
        build_state, deploy_state = states
        kinds: list[tuple[EventType, str, str | None]] = []
        if per_job and build_skip is None and build_state is not None:
            kinds.append((EventType.BUILD, build_state, None))
        context = observed_context(run, observed.run, job, observed.payload)
        environment = observed.deployments.get(job.id)
        if observed.run.event in _OWN_DEPLOYMENT_KEYS and not _keyed(context):
            environment = None
        if deploy_state is not None and environment is not None:
            kinds.append((EventType.DEPLOYMENT, deploy_state, environment))
        ended = job.completed_at or job.started_at
        for kind, state, env in kinds:
            label = f"{kind.value} of job {job.name}" + (f" to {env}" if env else "")
            for component in components:
                given = _job_inputs(inputs, component, kind, state, env, job)
                made = partial(build_event, given, context, _at(ended), numbering(job))
                _add(found, label, made)
    return found


def _job_skip(
    job: Job, states: tuple[str | None, str | None] | None, patterns: list[str]
) -> Skip | None:
    """Why a job reports nothing: it never ran, GitHub's record of it is backwards, or it is
    not one of ``jobs``."""
    if job.status != "completed" or states is None or states == (None, None):
        what = f"job {job.conclusion or job.status}"
        return Skip(what, f"{what}: {job.name}")
    if job.started_at and job.completed_at and job.completed_at < job.started_at:
        return Skip(
            "job GitHub recorded backwards (completed before it started)",
            f"job {job.name} ({job.id}) is skipped: GitHub recorded it completed at "
            f"{job.completed_at:%H:%M:%S}, before it started ({job.started_at:%H:%M:%S})",
            notice=True,
        )
    if patterns and not matches(job.name, patterns):
        return Skip("job not in the jobs input", f"job {job.name}: not in jobs")
    return None


def _add(found: Observation, label: str, build: Callable[[], BuiltEvent]) -> None:
    """The event, or why GitHub's record cannot make one (one bad job never stops the rest)."""
    try:
        found.events.append(replace(build(), label=label))
    except InputProblems as exc:
        problem = exc.problems[0]
        found.skipped.append(
            Skip(
                f"job whose record Compass cannot take ({problem.input}: {problem.message})",
                f"{label} is skipped: GitHub's record of it cannot make an event "
                f"({problem.input}: {problem.message})",
                notice=True,
            )
        )


def _build_left_out(inputs: ActionInputs, observed: Observed) -> Skip | None:
    """Why the run's builds do not count: a pull request, or a branch other than the default."""
    triggering = observed.run
    if triggering.event in PRE_MERGE_EVENTS:
        if inputs.report_pull_requests:
            return None
        return Skip(
            "build of a pull request or merge queue run (report-pull-requests)",
            f"the builds of run {triggering.id} ({triggering.event}) are not reported; set "
            "report-pull-requests: true to report them",
            notice=True,
        )
    reason = left_out(
        triggering.head_branch,
        triggering.event == "release",
        observed.default_branch,
        inputs.filter_list("build_branches"),
    )
    if reason is None:
        return None
    return Skip("build of another branch than the default (build-branches)", reason, notice=True)


def _run_build(
    inputs: ActionInputs,
    run: RunContext,
    observed: Observed,
    components: list[str],
    numbering: Numbering,
    found: Observation,
) -> None:
    """The run attempt as one build, in its conclusion (build-unit: run)."""
    triggering = observed.run
    state = RUN_CONCLUSION_STATES.get(triggering.conclusion or "")
    if triggering.status != "completed" or state is None:
        what = f"run {triggering.conclusion or triggering.status}"
        found.skipped.append(Skip(what, f"{what}: run {triggering.id} is not a build"))
        return
    if run.repository is None:
        return
    starts = [job.started_at for job in observed.jobs if job.started_at is not None]
    ends = [job.completed_at for job in observed.jobs if job.completed_at is not None]
    started = triggering.run_started_at or min(starts, default=None) or triggering.created_at
    ended = triggering.updated_at or max(ends, default=None) or started
    if started is not None and ended is not None and ended < started:
        ended = started  # a clock that stepped back: the run took no time, it still counts
    context = observed_context(run, triggering, None, observed.payload)
    key = run_attempt_key(run.repository, triggering.id, triggering.run_attempt)
    label = f"build of run {triggering.id} attempt {triggering.run_attempt}"
    for component in components:
        given = inputs.model_copy(
            update=_derived_only(component)
            | {
                "event_type": EventType.BUILD,
                "state": state,
                "started_at": started,
                "pipeline_id": key,
            }
        )
        _add(found, label, partial(build_event, given, context, _at(ended), numbering(None)))


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
    update = _derived_only(component) | {
        "event_type": kind,
        "state": state,
        "check_run_id": job.id,
        "started_at": job.started_at,
    }
    if environment is not None:
        update |= {"environment": environment, "environment_id": None}
    return inputs.model_copy(update=update)


def _derived_only(component: str) -> dict[str, Any]:
    """Keys and texts are derived for the observed run or job, never this run's inputs."""
    return {
        "component_id": component,
        "check_run_id": None,
        "pipeline_id": None,
        "sequence_number": None,
        "update_sequence_number": None,
        "url": None,
        "display_name": None,
        "description": None,
    }


def _at(moment: datetime | None) -> Callable[[], datetime]:
    return lambda: moment or datetime.now(UTC)
