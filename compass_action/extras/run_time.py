"""The one time every metric value of a step carries: its workflow run's creation time.

Compass keeps every value it is sent and has no way to replace or delete one, so a re-run of a
workflow cannot undo its first attempt's values. What it can do is send them at the same time:
GitHub's "Get a workflow run" answers ``created_at``, when the run was created, which every
attempt of the run shares (its ``run_started_at`` is "the start time of the latest run. Resets
on re-run.", in GitHub's REST description). A re-run's values then fall on the first attempt's
point in time instead of adding a point at a new one.

It costs one request to GitHub's API per step with metric values (against the token's rate
limit, not Compass's), within a short part of the step's budget. When the run's time cannot be
had, the values carry the step's start (``Extras.timestamp``) and one notice says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from ..clients.github_api import GitHubApi, GitHubApiError, api_base
from ..clients.http import Clock
from ..inputs import ActionInputs
from ..limits import Deadline
from ..report.reporter import Reporter
from ..text import rfc3339
from .plan import Extras

# At most this long, and at most this share of what the step's budget leaves, goes to asking
# GitHub: the values are worth sending at the step's time rather than late or not at all.
GITHUB_SECONDS = 10.0
GITHUB_SHARE = 0.25
# A run is created before any of its steps start; a creation time later than the step's start
# by more than the clocks of the runner and GitHub may differ is not the run's.
CLOCK_SKEW = timedelta(minutes=5)
TITLE = "Compass metric values"


def values_time(
    reporter: Reporter,
    inputs: ActionInputs,
    extras: Extras,
    environ: Mapping[str, str],
    deadline: Deadline,
    clock: Clock,
) -> str:
    """The timestamp of the step's metric values (RFC 3339): the run's creation time, or the
    step's start with a notice saying why and what a re-run then does."""
    found = _run_created(reporter, inputs, extras, environ, (deadline, clock))
    if isinstance(found, datetime):
        reporter.info(
            f"Metric values carry the time run {extras.run.run_id} was created, "
            f"{rfc3339(found)}, the same for every attempt of the run"
        )
        return rfc3339(found)
    reporter.annotate(
        "notice",
        f"Metric values carry this step's time, {extras.timestamp}, not the run's: {found}. A "
        "re-run of this workflow will add another point for each metric at its own time",
        TITLE,
    )
    return extras.timestamp


def _run_created(
    reporter: Reporter,
    inputs: ActionInputs,
    extras: Extras,
    environ: Mapping[str, str],
    network: tuple[Deadline, Clock],
) -> datetime | str:
    """The run's creation time, or why it cannot be had."""
    run, (deadline, clock) = extras.run, network
    token = inputs.github_token.get_secret_value() if inputs.github_token else ""
    if not token:
        return "github-token is empty"
    if run.repository is None or run.run_id is None:
        return "GITHUB_REPOSITORY or GITHUB_RUN_ID is not set"
    short = Deadline(min(GITHUB_SECONDS, deadline.remaining() * GITHUB_SHARE), clock.monotonic)

    def notice(message: str) -> None:
        reporter.annotate("notice", message, "GitHub's API")

    try:
        with GitHubApi(api_base(environ), token, clock, reporter.info, notice=notice) as api:
            try:
                created = api.workflow_run(run.repository, run.run_id, short).created_at
            finally:
                reporter.info(f"GitHub API requests for the run's time: {api.requests}")
    except GitHubApiError as exc:
        return f"run {run.run_id} could not be read ({exc})"
    if created is None:
        return f"GitHub's answer for run {run.run_id} holds no created_at"
    if created > datetime.fromisoformat(extras.timestamp) + CLOCK_SKEW:
        return (
            f"GitHub says run {run.run_id} was created at {rfc3339(created)}, after this step "
            f"started"
        )
    return created
