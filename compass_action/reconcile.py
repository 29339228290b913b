"""Reconcile a window: send every build and deployment the live action would have sent.

A scheduled or manual run with ``reconcile: 90d`` reads the repository's workflow runs created
in the window (every attempt), their jobs and the deployments that link to them, from GitHub's
REST API (``github-token``: ``actions: read``, ``deployments: read``), and builds for each run
attempt the events observe.py builds for an observer run: ``observed_events``, the one
derivation (the run's build, or each job's with ``build-unit: job``; each job's deployment), so
the keys are those of a live send (events/identity.py). A ``release`` run's deployments are keyed
by its release, found by the tag the run ran on (``_payload``). Then every GitHub deployment of
the window that no job reported (a hosting service's, a ``deployment`` run's) is sent as its
``deployment_status`` run would send it (github_deployments.py). Builds count on the default
branch unless ``build-branches`` widens it (events/branches.py).

The update sequence number rule (why a reconcile changes nothing Compass already has, yet ends
what was left IN_PROGRESS): a reconciled send of a job (of a run: the attempt's start) is
numbered by the job's ``started_at``, in
microseconds (one more per component), in the band of final states (identity.FINAL_BAND). Every
live final send of that job happens in one of its steps, after the job started, numbered by the
clock then in the same band, so it is larger; every live IN_PROGRESS send is out of the band, so
it is smaller. Compass drops an update whose number is not larger than the one it holds.

Resumable: runs are sent oldest first, and each run whose events were all accepted is recorded
in a cursor file, ``.compass-reconcile.json`` in GITHUB_WORKSPACE (keep it across runs with
actions/cache; read back through json_files.py's bounded reader). The next reconcile skips
those runs (counted as already current). Without the file, a rerun sends them again, which
Compass drops as repeats: the cursor saves requests and time, never correctness.

With ``vulnerabilities``, GitHub's code-scanning, Dependabot and secret-scanning alerts follow
the runs, each as one Compass vulnerability in its current state (github_alerts.py).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from .clients.delivery import Outcome
from .clients.github_api import (
    RUNS_SEARCH_CAP,
    DeploymentStatus,
    GitHubApi,
    GitHubApiError,
    Job,
    Release,
    WorkflowRun,
    api_base,
)
from .clients.http import Clock
from .events.builder import BuiltEvent
from .events.identity import UpdateSequence
from .github.run_context import RunContext
from .github_alerts import alert_events
from .github_deployments import deployment_events
from .inputs import ActionInputs
from .json_files import read_json_object
from .kept_files import WriteFailed, update_json_file
from .limits import Deadline
from .observe import Numbering, Observed, deployed_jobs, github_api_says, observed_events
from .problems import Problem
from .report.reporter import Reporter
from .send import SendResult
from .text import markdown_cell

CURSOR_FILE = ".compass-reconcile.json"
SLICE = timedelta(hours=1)  # the shortest part of the window listed alone (_window_runs)
CURSOR_LIMIT = 4 * 1024 * 1024  # some hundred thousand run ids; a larger file is ignored

Send = Callable[[list[BuiltEvent]], list[SendResult]]


@dataclass
class Reconciling:
    """prepare.py's answer for a reconcile run: what to read, for which components."""

    inputs: ActionInputs
    run: RunContext
    components: list[str]
    deadline: Deadline
    releases: dict[str, Release] | None = None  # by tag, listed when a release run needs them
    default_branch: str | None = None  # whose builds count (events/branches.py)
    # Statuses read by deployment id: the runs' pass reads them, the deployments' pass reuses.
    statuses: dict[int, list[DeploymentStatus]] = field(default_factory=dict)


@dataclass
class Counts:
    runs: int = 0
    jobs: int = 0
    sent: int = 0
    accepted: int = 0
    failed: int = 0
    current_runs: int = 0  # done by an earlier reconcile (the cursor)
    stopped: str | None = None  # why the runs were not all read
    skipped: Counter[str] = field(default_factory=Counter)
    # (week's Monday, production deployments, of them failed)
    weeks: dict[str, list[int]] = field(default_factory=dict)


def reconcile_problems(inputs: ActionInputs, run: RunContext) -> list[Problem]:
    """What must be fixed before a reconcile run asks GitHub anything."""
    if inputs.reconcile is None:
        return []
    problems = []
    if inputs.github_token is None:
        problems.append(
            Problem(
                "github-token",
                "is empty; reconcile reads the runs from GitHub's API. Leave it at its default "
                "(${{ github.token }}) and give the job `permissions: actions: read` and "
                "`deployments: read`",
            )
        )
    if run.repository is None:
        problems.append(Problem("GITHUB_REPOSITORY", "is empty; reconcile reads its runs"))
    for name, given in (("dry-run", inputs.dry_run), ("preflight", inputs.preflight)):
        if given:
            problems.append(
                Problem(name, "must be false with reconcile, which sends what it finds")
            )
    return problems


def cursor_path(environ: Mapping[str, str]) -> Path | None:
    workspace = environ.get("GITHUB_WORKSPACE")
    return Path(workspace) / CURSOR_FILE if workspace else None


# The inputs that decide what a run's events are: a cursor made under others is not followed,
# so a change of build unit, job filter, branches or categories sends the window anew.
_CURSOR_FILTERS = ("workflows", "branches", "environments", "jobs", "build_branches")


def cursor_key(plan: Reconciling) -> str:
    """What the runs were done for: another component, filter, build unit or category mapping
    must send them again (in the new way; what did not change is dropped by Compass as a
    repeat)."""
    inputs = plan.inputs
    return json.dumps(
        [
            plan.run.repository,
            sorted(plan.components),
            *(inputs.filter_list(name) for name in _CURSOR_FILTERS),
            inputs.build_unit,
            inputs.environment_category,
            inputs.environment_categories,
        ]
    )


def read_cursor(path: Path | None, key: str, reporter: Reporter) -> dict[str, int]:
    """Run id -> the attempt an earlier reconcile with the same ``key`` sent completely."""
    # The workspace holds what a pull request or a restored cache put there: a cursor that is a
    # symlink out of it is not read.
    read = read_json_object(path, CURSOR_LIMIT, path.parent if path is not None else None)
    if read.problem is not None:
        reporter.annotate("warning", f"{path} {read.problem}; ignored", "reconcile")
    done = read.data.get("done")
    if read.data.get("key") != key or not isinstance(done, dict):
        return {}
    return {k: v for k, v in done.items() if isinstance(v, int) and k.isdigit()}


def write_cursor(
    path: Path | None, key: str, done: dict[str, int], deadline: Deadline | None = None
) -> str | None:
    """Record the runs done; why that failed, if it did (kept_files.py: whole or not at all,
    never through a symlink). Readable by all (0o644): actions/cache saves it as another user."""
    if path is None:
        return None
    try:
        update_json_file(
            path.parent,
            PurePosixPath(path.name),
            lambda _old: {"key": key, "done": done},
            CURSOR_LIMIT,
            deadline,
            mode=0o644,
            read_current=False,
        )
    except WriteFailed as exc:
        return str(exc)
    return None


def reconcile(
    reporter: Reporter,
    plan: Reconciling,
    environ: Mapping[str, str],
    clock: Clock,
    send: Send,
) -> Counts:
    """Read the window, send run by run (oldest first), record the runs done."""
    inputs, run, deadline = plan.inputs, plan.run, plan.deadline
    assert inputs.github_token is not None and run.repository is not None
    window = inputs.reconcile_window
    assert window is not None
    since = clock.wall() - window
    path = cursor_path(environ)
    key = cursor_key(plan)
    done = read_cursor(path, key, reporter)
    counts = Counts()
    given = "the timeout input" if inputs.timeout is not None else "the default for a reconcile"
    reporter.info(
        f"Reconcile: a budget of {inputs.budget:g} s ({given}); a reconcile cut short resumes "
        "from its cursor"
    )
    token = inputs.github_token.get_secret_value()
    notice, warn = github_api_says(reporter)
    with GitHubApi(api_base(environ), token, clock, reporter.info, notice=notice, warn=warn) as api:
        plan.default_branch = plan.run.default_branch or _default_branch(api, plan, reporter)
        runs = _window_runs(api, run.repository, since, clock.wall(), deadline, reporter)
        reporter.info(f"Reconcile: {len(runs)} workflow runs since {since:%Y-%m-%d %H:%M} UTC")
        for index, item in enumerate(reversed(runs), 1):  # oldest first
            reason = _run_skip_reason(inputs, item)
            if reason is not None:
                counts.skipped[reason] += 1
                continue
            counts.runs += 1
            if done.get(str(item.id)) == item.run_attempt:
                counts.current_runs += 1
                continue
            try:
                sent = _reconcile_run(api, plan, item, counts, send, reporter)
            except GitHubApiError as exc:  # its rate limit past the budget, say: resume later
                counts.stopped = f"GitHub's API: {exc}"
                break
            if not sent:
                break  # Compass is down or the budget is spent: resume from here next time
            done[str(item.id)] = item.run_attempt
            if (failed := write_cursor(path, key, done, deadline)) is not None:
                reporter.annotate(
                    "warning",
                    f"{path} could not be written ({failed}); what was sent stays sent, and the "
                    "next reconcile sends these runs again (Compass drops the repeats)",
                    "reconcile",
                )
                path = None  # said once; the cursor is not tried again in this run
            reporter.info(f"Reconcile: run {index} of {len(runs)} done ({item.id})")
        if counts.stopped is None and not counts.failed:  # every run done: their deployments
            _send_github_deployments(api, plan, since, counts, send, reporter)
        if inputs.vulnerability_sources and counts.stopped is None:
            _send_alerts(api, plan, counts, send, reporter)
        reporter.info(f"GitHub API requests: {api.requests}")
    return counts


def _send_github_deployments(
    api: GitHubApi,
    plan: Reconciling,
    since: datetime,
    counts: Counts,
    send: Send,
    reporter: Reporter,
) -> None:
    """The window's GitHub deployments that no job reported (github_deployments.py)."""
    try:
        events = deployment_events(
            api,
            plan.inputs,
            plan.run,
            plan.components,
            (since, plan.deadline),
            counts.skipped,
            plan.statuses,
        )
    except GitHubApiError as exc:
        counts.stopped = f"GitHub's API, reading deployments: {exc}"
        return
    reporter.info(f"Reconcile: {len(events)} events of GitHub deployments no job reported")
    _chart(events, counts)
    _send(events, counts, send)


def _default_branch(api: GitHubApi, plan: Reconciling, reporter: Reporter) -> str | None:
    """The repository's default branch, whose builds count; unknown: every branch's count."""
    assert plan.run.repository is not None
    try:
        return api.default_branch(plan.run.repository, plan.deadline)
    except GitHubApiError as exc:
        reporter.annotate(
            "warning",
            f"the repository's default branch could not be read ({exc}); builds of every "
            "branch are reconciled",
            "reconcile",
        )
        return None


def _send_alerts(
    api: GitHubApi, plan: Reconciling, counts: Counts, send: Send, reporter: Reporter
) -> None:
    """GitHub's security alerts, each one vulnerability in its current state; a source the
    token cannot read is skipped with a notice (github_alerts.py)."""

    def notice(message: str) -> None:
        reporter.annotate("notice", message, "vulnerabilities")

    inputs = plan.inputs
    try:
        events = alert_events(
            api,
            inputs,
            plan.run,
            inputs.vulnerability_sources,
            plan.components,
            plan.deadline,
            notice,
        )
    except GitHubApiError as exc:
        counts.stopped = f"GitHub's API, reading security alerts: {exc}"
        return
    reporter.info(f"Reconcile: {len(events)} vulnerability events from GitHub's alerts")
    _send(events, counts, send)


def _window_runs(
    api: GitHubApi,
    repository: str,
    since: datetime,
    until: datetime,
    deadline: Deadline,
    reporter: Reporter,
) -> list[WorkflowRun]:
    """Every run of the window, newest first. GitHub answers at most 1,000 runs a query with
    ``created``: a part of the window that reaches it is asked again in halves, down to an hour
    (a warning then: runs beyond those are not seen)."""
    runs: dict[int, WorkflowRun] = {}
    parts = [(since, until)]
    while parts:
        start, end = parts.pop()
        found = api.runs(repository, start, end, deadline)
        if len(found) >= RUNS_SEARCH_CAP and end - start > SLICE:
            middle = start + (end - start) / 2
            parts += [(start, middle), (middle, end)]
            continue
        if len(found) >= RUNS_SEARCH_CAP:
            reporter.annotate(
                "warning",
                f"GitHub lists at most {RUNS_SEARCH_CAP} runs for {start:%Y-%m-%d %H:%M} to "
                f"{end:%H:%M}; runs beyond those are not reconciled",
                "reconcile",
            )
        runs |= {item.id: item for item in found}  # a run on a part's edge comes twice
        reporter.info(f"Reconcile: {len(runs)} runs listed ({start:%Y-%m-%d %H:%M} on)")
    return sorted(runs.values(), key=lambda item: (item.created_at or until, item.id), reverse=True)


def _run_skip_reason(inputs: ActionInputs, item: WorkflowRun) -> str | None:
    workflows, branches = inputs.filter_list("workflows"), inputs.filter_list("branches")
    if item.status != "completed":
        return "run not completed yet"
    if workflows and item.name not in workflows:
        return "workflow not in the workflows input"
    if branches and item.head_branch not in branches:
        return "branch not in the branches input"
    return None


def _reconcile_run(
    api: GitHubApi,
    plan: Reconciling,
    item: WorkflowRun,
    counts: Counts,
    send: Send,
    reporter: Reporter,
) -> bool:
    """Every attempt of one run; False when a send was not accepted."""
    repository = plan.run.repository
    assert repository is not None
    environments = plan.inputs.filter_list("environments")
    events: list[BuiltEvent] = []
    attempts = [
        api.jobs(repository, item.id, attempt, plan.deadline)
        for attempt in range(1, item.run_attempt + 1)
    ]
    # One look at the commit's deployments for every attempt: their statuses name the job.
    every_job = [job for jobs in attempts for job in jobs]
    deployed = deployed_jobs(api, repository, item, every_job, plan.deadline, plan.statuses)
    if environments:
        deployed = {job: env for job, env in deployed.items() if env in environments}
    payload = _payload(api, plan, item)
    for attempt, jobs in enumerate(attempts, 1):
        at = _attempt(api, plan, item, attempt, jobs)
        counts.jobs += len(jobs)
        observed = Observed(at, jobs, deployed, payload, plan.default_branch)
        observation = observed_events(
            plan.inputs, plan.run, observed, plan.components, _numbering(at)
        )
        for skipped in observation.skipped:
            counts.skipped[skipped.key] += 1
        events += observation.events
    _chart(events, counts)
    return _send(events, counts, send)


def _attempt(
    api: GitHubApi, plan: Reconciling, item: WorkflowRun, attempt: int, jobs: list[Job]
) -> WorkflowRun:
    """The run at ``attempt``: the listed run is its latest; an earlier attempt's conclusion
    and times are asked for where its build needs them (build-unit: run, or a run without
    jobs, which is its own build in either unit)."""
    if attempt == item.run_attempt:
        return item
    if plan.inputs.build_unit == "job" and jobs:
        return item.model_copy(update={"run_attempt": attempt})
    assert plan.run.repository is not None
    return api.attempt(plan.run.repository, item.id, attempt, plan.deadline)


def _numbering(at: WorkflowRun) -> Numbering:
    """A job's events are numbered by its start, the run's build by the attempt's (see the
    module's text): below every live final send, above every live IN_PROGRESS."""

    # One sequence per job (and one for the run): one more per component and kind.
    sequences: dict[int | None, UpdateSequence] = {}

    def numbers(job: Job | None) -> UpdateSequence:
        key = None if job is None else job.id
        if key not in sequences:
            if job is not None:
                moment = job.started_at or job.completed_at
            else:
                moment = at.run_started_at or at.created_at
            sequences[key] = UpdateSequence(_started_ns(moment))
        return sequences[key]

    return numbers


def _payload(api: GitHubApi, plan: Reconciling, item: WorkflowRun) -> dict[str, Any]:
    """A release run's payload, as far as its deployments' keys need it: the release whose tag
    the run ran on (a release run's head branch is the tag). Other runs: none."""
    if item.event != "release" or not item.head_branch:
        return {}
    assert plan.run.repository is not None
    if plan.releases is None:  # one list per reconcile, asked only when a release run comes
        listed = api.releases(plan.run.repository, plan.deadline)
        plan.releases = {release.tag_name: release for release in listed}
    release = plan.releases.get(item.head_branch)
    if release is None:
        return {}
    # Any action that deploys: the runs of one release share their deployments' keys.
    return {
        "action": "published",
        "release": {
            "id": release.id,
            "tag_name": release.tag_name,
            "prerelease": release.prerelease,
            "draft": release.draft,
            "html_url": release.html_url,
        },
    }


def _started_ns(moment: datetime | None) -> Callable[[], int]:
    """The job's (or run's) start, the number below every live send of it."""
    moment = moment or datetime.now(UTC)
    nanoseconds = int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000
    return lambda: nanoseconds


def _send(events: list[BuiltEvent], counts: Counts, send: Send) -> bool:
    if not events:
        return True
    results = send(events)
    counts.sent += len(events)
    accepted = sum(result.delivery.outcome is Outcome.ACCEPTED for result in results)
    counts.accepted += accepted
    counts.failed += len(events) - accepted
    return accepted == len(events)


def _chart(events: list[BuiltEvent], counts: Counts) -> None:
    """Production deployments per week (Monday), and how many of them failed."""
    for event in events:
        deployment = event.body.get("event", {})
        props = (deployment or {}).get("deployment") if isinstance(deployment, dict) else None
        if not isinstance(props, dict):
            continue
        details = props.get("deploymentProperties", {})
        if details.get("environment", {}).get("category") != "PRODUCTION":
            continue
        ended = datetime.fromisoformat(str(props.get("lastUpdated")).replace("Z", "+00:00"))
        monday = (ended - timedelta(days=ended.weekday())).strftime("%Y-%m-%d")
        week = counts.weeks.setdefault(monday, [0, 0])
        week[0] += 1
        week[1] += details.get("state") == "FAILED"


def reconcile_summary(counts: Counts, window: str) -> str:
    """The job summary: the counts, the reasons, and the chart."""
    lines = [
        f"## Compass reconcile ({window})",
        "",
        "| | |",
        "| --- | --- |",
        f"| Runs in the window, after the filters | {counts.runs} |",
        f"| Runs already current (sent by an earlier reconcile) | {counts.current_runs} |",
        f"| Jobs read | {counts.jobs} |",
        f"| Events sent | {counts.sent} |",
        f"| Accepted by Compass (what it already had is left as it is) | {counts.accepted} |",
        f"| Not delivered (run the reconcile again to resume) | {counts.failed} |",
    ]
    # A job's conclusion is GitHub's text: escaped as every cell we write.
    skipped = sorted(counts.skipped.items())
    lines += [f"| Skipped: {markdown_cell(reason)} | {count} |" for reason, count in skipped]
    if counts.stopped is not None:
        lines.append(f"| Stopped early | {markdown_cell(counts.stopped)} |")
    if counts.weeks:
        weeks = sorted(counts.weeks)
        labels = ", ".join(f'"{week}"' for week in weeks)
        total = ", ".join(str(counts.weeks[week][0]) for week in weeks)
        failed = ", ".join(str(counts.weeks[week][1]) for week in weeks)
        lines += [
            "",
            "Production deployments per week (bars) and their failures (line):",
            "",
            "```mermaid",
            "xychart-beta",
            '    title "Production deployments per week"',
            f"    x-axis [{labels}]",
            '    y-axis "deployments"',
            f"    bar [{total}]",
            f"    line [{failed}]",
            "```",
        ]
    return "\n".join(lines) + "\n"
