"""GitHub's REST API, read with ``github-token``, on the one HTTP layer (clients/http.py).

Every request goes through ``HttpClient`` under the caller's one ``Deadline``, its answer read
bounded, its failures retried by ``RetryPolicy``. What is GitHub's own:

- The base is ``GITHUB_API_URL`` (``https://api.github.com``, or ``https://<host>/api/v3`` on
  GitHub Enterprise Server); the token goes only over https, or plain http to loopback (tests).
- Lists are followed by their ``Link: <...>; rel="next"`` header to the end, up to ``max_pages``
  pages (a clear error beyond: a list that long is not what one run can report), and only to the
  same origin: a next link elsewhere would take the token with it.
- The primary rate limit: an answer 403/429 with ``x-ratelimit-remaining: 0`` waits until
  ``x-ratelimit-reset`` when that fits in the deadline, else fails with a message saying when
  the limit resets. GitHub's REST docs ("Rate limits for the REST API", "Exceeding the rate
  limit") say to wait until that time.
- The secondary rate limit: 403/429 with ``Retry-After`` waits that long; without it, at least
  one minute, as the same docs ask.
- Other answers are not retried but described: 401 (the token), 403 and 404 (the token's
  permissions, e.g. ``actions: read``, or a repository it cannot see).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from ..limits import Deadline
from .http import Clock, HttpClient, RawAnswer, Retryable, RetryPolicy, describe_failure

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
# The largest page GitHub serves; fewer pages, fewer requests against the rate limit.
PER_PAGE = 100
# GitHub's most runs for one query with ``created``; a slice that reaches it may lack some.
RUNS_SEARCH_CAP = 1000
# A list longer than this many pages is refused, not read on and on.
MAX_PAGES = 50
# A page of 100 jobs with their steps is some hundreds of KB; nothing we read is larger.
PAGE_LIMIT = 8 * 1024 * 1024
# GitHub's docs: after a secondary rate limit without Retry-After, wait at least a minute.
SECONDARY_RATE_LIMIT_WAIT = 60.0
# The reset time is to the second; one more makes sure it has passed.
RESET_MARGIN = 1.0

_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')

M = TypeVar("M", bound=BaseModel)


class GitHubApiError(Exception):
    """GitHub's API could not give what was asked; the message says what to fix.

    ``unavailable``: GitHub could not be reached or kept limiting past the deadline, which a
    later run may not meet (``fail-on: config`` only warns), rather than a token to fix.
    """

    def __init__(self, message: str, unavailable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.unavailable = unavailable
        self.status = status  # GitHub's HTTP status, when it answered one (403: no permission)


# -- what we read ---------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class WorkflowRun(_Model):
    """A workflow run ("Get a workflow run"); ``run_attempt`` is its latest attempt."""

    id: int
    run_attempt: int = 1
    run_number: int | None = None
    name: str | None = None
    event: str | None = None
    status: str | None = None
    conclusion: str | None = None
    head_sha: str | None = None
    head_branch: str | None = None
    html_url: str | None = None
    run_started_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None  # a completed attempt: when it ended


class Job(_Model):
    """A job of a run attempt ("List jobs for a workflow run attempt"); ``id`` is its check
    run id, the ``job.check_run_id`` of a step running in it."""

    id: int
    run_id: int
    run_attempt: int = 1
    name: str
    status: str
    conclusion: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    html_url: str | None = None


class Deployment(_Model):
    id: int
    sha: str | None = None
    ref: str | None = None
    environment: str | None = None
    created_at: datetime | None = None
    production_environment: bool | None = None


class DeploymentStatus(_Model):
    id: int
    state: str
    created_at: datetime | None = None
    log_url: str | None = None
    target_url: str | None = None
    environment: str | None = None
    environment_url: str | None = None
    description: str | None = None


class Release(_Model):
    id: int
    tag_name: str
    prerelease: bool = False
    draft: bool = False
    created_at: datetime | None = None
    published_at: datetime | None = None
    html_url: str | None = None


# -- the client -----------------------------------------------------------------------------------


def api_base(environ: Mapping[str, str]) -> str:
    """The API to ask: GITHUB_API_URL (GitHub Enterprise Server sets its own), without a slash."""
    return (environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


def repo_path(repository: str) -> str:
    return f"/repos/{quote(repository, safe='/')}"


class GitHubApi:
    """Reads GitHub's REST API for one run, under its deadline; close() when done."""

    def __init__(
        self,
        base: str,
        token: str,
        clock: Clock,
        log: Callable[[str], None] = lambda _message: None,
        max_pages: int = MAX_PAGES,
    ) -> None:
        parts = urlsplit(base)
        # The token must not go anywhere in clear: https, or plain http to this machine (tests).
        if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
            raise GitHubApiError(f"GITHUB_API_URL ({base}) is not https")
        self.base = base.rstrip("/")
        self._origin = (parts.scheme, parts.netloc)
        self._clock, self._log, self.max_pages = clock, log, max_pages
        self.requests = 0  # how many were sent, retries included, for the log and the summary
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": API_VERSION,
        }
        self._http = HttpClient(self.base, None, headers, clock)

    def __enter__(self) -> GitHubApi:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- raw ----------------------------------------------------------------------------------

    def url(self, path: str, query: Mapping[str, str | int] | None = None) -> str:
        suffix = f"?{urlencode(query)}" if query else ""
        return f"{self.base}{path}{suffix}"

    def get(self, url: str, deadline: Deadline, limit: int = PAGE_LIMIT) -> RawAnswer:
        """One GET, retried through rate limits and overload within the deadline; the answer
        as it came (any status but a rate limit's or an overload's)."""

        def attempt() -> RawAnswer:
            self.requests += 1
            answer = self._http.get(url, deadline, limit)
            wait = self._rate_limit_wait(answer)
            if wait is not None:
                raise Retryable(f"GitHub's rate limit (HTTP {answer.status})", wait, "GitHub")
            if answer.status >= 500:
                raise Retryable(f"HTTP {answer.status}", answer.retry_after, "GitHub")
            return answer

        try:
            return RetryPolicy(self._clock, self._log).run(attempt, deadline)
        except Retryable as exc:
            raise GitHubApiError(_gave_up(exc, deadline), unavailable=True) from None
        except GitHubApiError:
            raise
        except Exception as exc:  # network trouble, the deadline: described, not raised raw
            raise GitHubApiError(
                f"GitHub's API could not be reached ({describe_failure(exc)})", unavailable=True
            ) from None

    def _rate_limit_wait(self, answer: RawAnswer) -> float | None:
        """How long a rate-limit answer asks to wait; None when it is not one."""
        if answer.status not in (403, 429):
            return None
        if answer.retry_after is not None:  # secondary (or any limit that says how long)
            return answer.retry_after
        if answer.header("x-ratelimit-remaining") == "0":
            reset = answer.header("x-ratelimit-reset")
            if reset is not None and reset.isascii() and reset.isdigit():
                now = self._clock.wall().timestamp()
                return max(0.0, int(reset) - now) + RESET_MARGIN
            return SECONDARY_RATE_LIMIT_WAIT
        if answer.status == 429 or b"secondary rate limit" in (answer.body or b"").lower():
            return SECONDARY_RATE_LIMIT_WAIT
        return None

    def get_json(self, path: str, deadline: Deadline, what: str) -> Any:
        answer = self.get(self.url(path), deadline)
        return _json(answer, what)

    def pages(
        self,
        path: str,
        deadline: Deadline,
        what: str,
        key: str | None = None,
        query: Mapping[str, str | int] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list, page by page to the end (``key``: the list's field, for the
        answers that wrap it in an object)."""
        url: str | None = self.url(path, {**(query or {}), "per_page": PER_PAGE})
        page = 0
        while url is not None:
            page += 1
            if page > self.max_pages:
                raise GitHubApiError(
                    f"GitHub lists more than {self.max_pages} pages of {what} "
                    f"({self.max_pages * PER_PAGE} items); not read further"
                )
            answer = self.get(url, deadline)
            data = _json(answer, what)
            items = data.get(key) if key is not None and isinstance(data, dict) else data
            if not isinstance(items, list):
                raise GitHubApiError(f"GitHub's answer for {what} holds no list")
            yield from (item for item in items if isinstance(item, dict))
            url = self._next(answer)

    def _next(self, answer: RawAnswer) -> str | None:
        link = answer.header("link")
        found = _NEXT_LINK.search(link or "")
        if found is None:
            return None
        url = found.group(1)
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self._origin:
            raise GitHubApiError(f"GitHub's next page is at another address ({url}); not followed")
        return url

    # -- typed --------------------------------------------------------------------------------

    def workflow_run(self, repository: str, run_id: int, deadline: Deadline) -> WorkflowRun:
        data = self.get_json(f"{repo_path(repository)}/actions/runs/{run_id}", deadline, "a run")
        return _model(WorkflowRun, data, "the workflow run")

    def attempt(
        self, repository: str, run_id: int, attempt: int, deadline: Deadline
    ) -> WorkflowRun:
        """One attempt of a run ("Get a workflow run attempt"): its conclusion and times."""
        path = f"{repo_path(repository)}/actions/runs/{run_id}/attempts/{attempt}"
        data = self.get_json(path, deadline, f"attempt {attempt} of run {run_id}")
        return _model(WorkflowRun, data, "the workflow run attempt")

    def default_branch(self, repository: str, deadline: Deadline) -> str | None:
        """The repository's default branch ("Get a repository")."""
        data = self.get_json(repo_path(repository), deadline, "the repository")
        value = data.get("default_branch") if isinstance(data, dict) else None
        return value if isinstance(value, str) and value else None

    def runs(
        self, repository: str, since: datetime, until: datetime, deadline: Deadline
    ) -> list[WorkflowRun]:
        """The repository's runs created from ``since`` to ``until``, newest first, every page.

        GitHub answers at most 1,000 runs for a query with ``created`` (its REST docs, "List
        workflow runs for a repository"): callers ask for slices short enough (RUNS_SEARCH_CAP).
        """
        path = f"{repo_path(repository)}/actions/runs"
        what = "workflow runs"
        query = {"created": f"{since:%Y-%m-%dT%H:%M:%SZ}..{until:%Y-%m-%dT%H:%M:%SZ}"}
        items = self.pages(path, deadline, what, "workflow_runs", query)
        return [_model(WorkflowRun, item, what) for item in items]

    def jobs(self, repository: str, run_id: int, attempt: int, deadline: Deadline) -> list[Job]:
        path = f"{repo_path(repository)}/actions/runs/{run_id}/attempts/{attempt}/jobs"
        what = f"jobs of run {run_id} attempt {attempt}"
        return [_model(Job, item, what) for item in self.pages(path, deadline, what, "jobs")]

    def deployments(self, repository: str, sha: str, deadline: Deadline) -> list[Deployment]:
        path = f"{repo_path(repository)}/deployments"
        what = f"deployments of {sha[:12]}"
        items = self.pages(path, deadline, what, query={"sha": sha})
        return [_model(Deployment, item, what) for item in items]

    def deployments_since(
        self, repository: str, since: datetime, deadline: Deadline
    ) -> list[Deployment]:
        """The repository's deployments created from ``since`` on. GitHub lists them newest
        first, so the pages stop at the first one older than that."""
        path = f"{repo_path(repository)}/deployments"
        what = "deployments"
        found = []
        for item in self.pages(path, deadline, what):
            deployment = _model(Deployment, item, what)
            if deployment.created_at is not None and deployment.created_at < since:
                break
            found.append(deployment)
        return found

    def statuses(
        self, repository: str, deployment_id: int, deadline: Deadline
    ) -> list[DeploymentStatus]:
        path = f"{repo_path(repository)}/deployments/{deployment_id}/statuses"
        what = f"statuses of deployment {deployment_id}"
        items = self.pages(path, deadline, what)
        return [_model(DeploymentStatus, item, what) for item in items]

    def releases(self, repository: str, deadline: Deadline) -> list[Release]:
        what = "releases"
        items = self.pages(f"{repo_path(repository)}/releases", deadline, what)
        return [_model(Release, item, what) for item in items]


def _json(answer: RawAnswer, what: str) -> Any:
    if answer.status != 200:
        said = f"GitHub's API answered HTTP {answer.status} for {what}"
        raise GitHubApiError(said + _fix(answer), status=answer.status)
    if answer.body is None:
        raise GitHubApiError(f"GitHub's answer for {what} was not read ({answer.unread})")
    try:
        return json.loads(answer.body)
    except (ValueError, RecursionError):
        raise GitHubApiError(f"GitHub's answer for {what} is not JSON") from None


def _fix(answer: RawAnswer) -> str:
    if answer.status == 401:
        return ": github-token is not a valid token"
    if answer.status in (403, 404):
        return (
            ": github-token cannot read it; give the job `permissions: actions: read` "
            "(and `deployments: read` for deployments), or a token that can"
        )
    return ""


def _model(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise GitHubApiError(f"GitHub's answer for {what} is not as documented ({where})") from None


def _gave_up(failure: Retryable, deadline: Deadline) -> str:
    if failure.retry_after is not None and failure.retry_after > deadline.remaining():
        return (
            f"{failure} asks to wait {failure.retry_after:.0f} s, more than the "
            f"{deadline.remaining():.0f} s the timeout leaves; run later or raise timeout"
        )
    return f"GitHub's API stayed unavailable ({failure})"


# -- security alerts (github_alerts.py) -----------------------------------------------------------
# Shapes from GitHub's REST docs (API version 2022-11-28): "List code scanning alerts for a
# repository" (Code scanning) and "List Dependabot alerts for a repository" (Dependabot alerts).
# Both lists hold every state when no ``state`` filter is given.


class CodeScanningRule(_Model):
    id: str | None = None
    severity: str | None = None  # none, note, warning, error: how sure and how bad, any alert
    security_severity_level: str | None = None  # low .. critical: only security queries
    description: str | None = None
    name: str | None = None


class CodeScanningTool(_Model):
    name: str | None = None


class CodeScanningLocation(_Model):
    path: str | None = None
    start_line: int | None = None


class CodeScanningInstance(_Model):
    location: CodeScanningLocation | None = None


class CodeScanningAlert(_Model):
    number: int
    state: str  # open, dismissed, fixed
    created_at: datetime
    updated_at: datetime | None = None
    fixed_at: datetime | None = None
    dismissed_at: datetime | None = None
    html_url: str | None = None
    rule: CodeScanningRule = CodeScanningRule()
    tool: CodeScanningTool = CodeScanningTool()
    most_recent_instance: CodeScanningInstance | None = None


class DependabotPackage(_Model):
    ecosystem: str | None = None
    name: str | None = None


class DependabotDependency(_Model):
    package: DependabotPackage | None = None
    manifest_path: str | None = None


class Cvss(_Model):
    score: float | None = None
    vector_string: str | None = None


class SecurityAdvisory(_Model):
    ghsa_id: str
    cve_id: str | None = None
    summary: str | None = None
    severity: str | None = None  # low, medium, high, critical
    cvss: Cvss | None = None


class DependabotAlert(_Model):
    number: int
    state: str  # auto_dismissed, dismissed, fixed, open
    created_at: datetime
    updated_at: datetime | None = None
    fixed_at: datetime | None = None
    dismissed_at: datetime | None = None
    auto_dismissed_at: datetime | None = None
    html_url: str | None = None
    dependency: DependabotDependency = DependabotDependency()
    security_advisory: SecurityAdvisory


class SecretScanningAlert(_Model):
    """An alert of "List secret scanning alerts for a repository" (REST: Secret scanning). The
    secret itself (``secret``) is never read: it is not a field here."""

    number: int
    state: str  # open, resolved
    resolution: str | None = None  # false_positive, wont_fix, revoked, used_in_tests, pattern_*
    created_at: datetime
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    html_url: str | None = None
    secret_type: str | None = None
    secret_type_display_name: str | None = None


def secret_scanning_alerts(
    api: GitHubApi, repository: str, deadline: Deadline
) -> list[SecretScanningAlert]:
    """Every secret scanning alert, in every state."""
    what = "secret scanning alerts"
    items = api.pages(f"{repo_path(repository)}/secret-scanning/alerts", deadline, what)
    return [_model(SecretScanningAlert, item, what) for item in items]


def code_scanning_alerts(
    api: GitHubApi, repository: str, deadline: Deadline
) -> list[CodeScanningAlert]:
    """Every code scanning alert of the default branch, in every state."""
    what = "code scanning alerts"
    items = api.pages(f"{repo_path(repository)}/code-scanning/alerts", deadline, what)
    return [_model(CodeScanningAlert, item, what) for item in items]


def dependabot_alerts(api: GitHubApi, repository: str, deadline: Deadline) -> list[DependabotAlert]:
    """Every Dependabot alert, in every state (the list is paged by cursor, through ``Link``)."""
    what = "Dependabot alerts"
    items = api.pages(f"{repo_path(repository)}/dependabot/alerts", deadline, what)
    return [_model(DependabotAlert, item, what) for item in items]
