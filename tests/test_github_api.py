"""GitHub's REST API client against the GitHub stand-in: pagination, rate limits, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from compass_action.clients.github_api import GitHubApi, GitHubApiError
from compass_action.limits import Deadline
from tools.action_runner import SkippedWaits
from tools.github_standin import (
    GitHubStandin,
    Limited,
    deployment,
    deployment_status,
    job,
    release,
    workflow_run,
)

TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
REPO = "acme/shop"
RUN = 19_500_000_001


@pytest.fixture
def waits() -> SkippedWaits:
    # Time moves only by the waits: a reset "30 s from now" is 30 s from the request's time as
    # the client sees it too, however long the answer took to arrive.
    return SkippedWaits(real_time=False)


@pytest.fixture
def github(waits: SkippedWaits) -> Iterator[GitHubStandin]:
    with GitHubStandin(TOKEN, wall=lambda: waits.wall().timestamp()) as standin:
        yield standin


def api(
    github: GitHubStandin,
    waits: SkippedWaits,
    token: str = TOKEN,
    max_pages: int = 50,
    warn: Callable[[str], None] | None = None,
    notice: Callable[[str], None] | None = None,
) -> GitHubApi:
    return GitHubApi(
        github.url, token, waits.clock(), max_pages=max_pages, warn=warn, notice=notice
    )


def deadline(waits: SkippedWaits, seconds: float = 60.0) -> Deadline:
    return Deadline(seconds, waits.monotonic)


def test_jobs_are_read_page_by_page_to_the_end(github: GitHubStandin, waits: SkippedWaits) -> None:
    jobs = [job(REPO, RUN, 51_725_241_000 + n, f"test ({n})") for n in range(250)]
    github.add_run(REPO, workflow_run(REPO, RUN), jobs)
    with api(github, waits) as client:
        read = client.jobs(REPO, RUN, 1, deadline(waits))
    assert [item.id for item in read] == [item["id"] for item in jobs]
    paths = [path for path, _ in github.requests]
    assert len(paths) == 3  # 100 a page, the most GitHub serves
    assert all("per_page=100" in path for path in paths)
    # Every request carries the token as a Bearer.
    assert {auth for _, auth in github.requests} == {f"Bearer {TOKEN}"}


def test_a_list_longer_than_the_page_cap_is_cut_there_with_a_warning(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    jobs = [job(REPO, RUN, 1000 + n, "test") for n in range(250)]
    github.add_run(REPO, workflow_run(REPO, RUN), jobs)
    warned: list[str] = []
    with api(github, waits, max_pages=2, warn=warned.append) as client:
        read = client.jobs(REPO, RUN, 1, deadline(waits))
    assert [item.id for item in read] == [1000 + n for n in range(200)]
    assert warned == [
        f"GitHub lists more than 2 pages of jobs of run {RUN} attempt 1; the first 2 (200 "
        "items at most) are read, the rest is left out"
    ]


def test_the_primary_rate_limit_is_waited_out_until_its_reset(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    github.add_run(REPO, workflow_run(REPO, RUN, attempt=2), [])
    github.limit_next(Limited(primary=True, wait=30))
    with api(github, waits) as client:
        run = client.workflow_run(REPO, RUN, deadline(waits))
    assert run.run_attempt == 2
    assert len(waits.slept) == 1 and 30 <= waits.slept[0] <= 32  # the reset, and a second


def test_a_primary_reset_past_the_timeout_fails_with_when(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    github.add_run(REPO, workflow_run(REPO, RUN), [])
    github.limit_next(Limited(primary=True, wait=3000))
    with api(github, waits) as client, pytest.raises(GitHubApiError) as caught:
        client.workflow_run(REPO, RUN, deadline(waits, 60))
    assert "rate limit" in str(caught.value) and "raise timeout" in str(caught.value)
    assert waits.slept == []  # it did not sleep into the deadline


@pytest.mark.parametrize(
    ("limited", "waited"),
    [
        (Limited(primary=False, wait=7, status=429), 7.0),
        (Limited(primary=False, wait=5, status=403), 5.0),
        # No Retry-After: GitHub's docs ask for at least a minute.
        (Limited(primary=False, wait=None, status=403), 60.0),
    ],
)
def test_the_secondary_rate_limit_waits_as_asked(
    github: GitHubStandin, waits: SkippedWaits, limited: Limited, waited: float
) -> None:
    github.add_release(REPO, release(REPO, 17_372_790, "v1.2.0"))
    github.limit_next(limited)
    with api(github, waits) as client:
        releases = client.releases(REPO, deadline(waits, 120))
    assert [item.tag_name for item in releases] == ["v1.2.0"]
    assert waits.slept == [waited]


def test_a_run_the_token_cannot_see_names_the_permission(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    with api(github, waits) as client, pytest.raises(GitHubApiError) as caught:
        client.workflow_run(REPO, 404, deadline(waits))
    assert "actions: read" in str(caught.value)


def test_a_wrong_token_is_named_and_never_shown(github: GitHubStandin, waits: SkippedWaits) -> None:
    with api(github, waits, token="ghs_wrong") as client, pytest.raises(GitHubApiError) as caught:
        client.workflow_run(REPO, RUN, deadline(waits))
    assert "HTTP 401" in str(caught.value) and "github-token" in str(caught.value)
    assert "ghs_wrong" not in str(caught.value)


def test_deployments_of_a_commit_with_their_statuses(
    github: GitHubStandin, waits: SkippedWaits
) -> None:
    sha = "a" * 40
    log = f"https://github.com/{REPO}/actions/runs/{RUN}/job/51725241954"
    github.add_deployment(
        REPO,
        deployment(REPO, 1_234_567_890, "production", sha=sha),
        [
            deployment_status(REPO, 1_234_567_890, 1, "in_progress", log_url=log),
            deployment_status(REPO, 1_234_567_890, 2, "success", log_url=log),
        ],
    )
    github.add_deployment(REPO, deployment(REPO, 1_234_567_891, "staging", sha="b" * 40), [])
    with api(github, waits) as client:
        found = client.deployments(REPO, sha, deadline(waits))
        statuses = client.statuses(REPO, found[0].id, deadline(waits))
    assert [(item.id, item.environment) for item in found] == [(1_234_567_890, "production")]
    assert [item.state for item in statuses] == ["success", "in_progress"]  # newest first
    assert statuses[0].log_url == log


def test_the_token_goes_only_over_https_or_to_loopback(waits: SkippedWaits) -> None:
    with pytest.raises(GitHubApiError, match="is not https"):
        GitHubApi("http://github.example.com/api/v3", TOKEN, waits.clock())
