"""GitHub's REST API, read with ``github-token``, on the one HTTP layer (clients/http.py).

Every request goes through ``HttpClient`` under the caller's one ``Deadline``, its answer read
bounded, its failures retried by ``RetryPolicy``. What is GitHub's own:

- The base is ``GITHUB_API_URL`` (``https://api.github.com``, or ``https://<host>/api/v3`` on
  GitHub Enterprise Server); the token goes only over https, or plain http to loopback (tests).
- Lists are followed by their ``Link: <...>; rel="next"`` header to the end, up to ``max_pages``
  pages, and only to the same origin: a next link elsewhere would take the token with it.
- Every answer is held to bounds whatever the server sends (docs/hostile-input.md): at most
  ``PAGE_LIMIT`` bytes, at most ``MAX_VALUES`` JSON values (counted before parsing, so a page of
  tiny objects cannot expand into gigabytes), at most ``PER_PAGE`` items a page and
  ``max_pages`` pages a list. A list that passes a bound is cut there with a warning saying
  what was left out; the items read before it are kept. Each item is checked on its own: one
  GitHub cannot have meant (a time outside 1970-9999, an id of 5,000 digits, a null where a
  value belongs) is skipped with a notice naming it, and the others are kept.
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

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ..events.contract import MAX_SAFE_INTEGER
from ..limits import Deadline, TooLarge, bounded_int, loads_json
from ..text import checked_time, clean_text
from .http import Clock, HttpClient, RawAnswer, Retryable, RetryPolicy, describe_failure

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
# The largest page GitHub serves; fewer pages, fewer requests against the rate limit.
PER_PAGE = 100
# GitHub's most runs for one query with ``created``; a slice that reaches it may lack some.
RUNS_SEARCH_CAP = 1000
# A list longer than this many pages is cut there, not read on and on: with PER_PAGE items a
# page, at most 5,000 items of a list are ever held.
MAX_PAGES = 50
# GitHub's "Actions limits" page: a matrix generates at most 256 jobs a workflow run. 1,000 jobs
# an attempt leave room for several matrices and plain jobs; a longer list is not a real run's,
# and building events for thousands of jobs would take the whole timeout.
MAX_JOB_PAGES = 10
MIB = 1024 * 1024
# A page of 100 jobs with their steps, or of 100 runs with their repositories, is some hundreds
# of KB; nothing we read is larger. Held as bytes and as text (up to
# four bytes a character), so this bounds what an answer costs before it is parsed.
PAGE_LIMIT = 4 * 1024 * 1024
# The most JSON values (objects, arrays, numbers, strings) an answer may hold: a real page of
# 100 items holds some 30,000; 300,000 of the smallest (``{}``, 64 bytes each) is about 20 MB.
MAX_VALUES = 300_000
# The most items of one list named in a notice each when they are skipped; the rest are
# counted in one more notice (GitHub shows only so many annotations of a step).
MAX_NOTICES = 10
# GitHub's docs: after a secondary rate limit without Retry-After, wait at least a minute.
SECONDARY_RATE_LIMIT_WAIT = 60.0
# The reset time is to the second; one more makes sure it has passed.
RESET_MARGIN = 1.0

# No "<" inside the brackets: a header of 16 KB of "<" then takes linear time, not seconds.
_NEXT_LINK = re.compile(r'<([^<>]+)>\s*;\s*rel="?next"?')

M = TypeVar("M", bound=BaseModel)
Say = Callable[[str], None]


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


# The value types of GitHub's answers, each checked where it is parsed: an id is a JSON integer
# a JavaScript number can hold (GitHub's ids are), a time lies from 1970 to 9999 in UTC, a text
# has no lone surrogate.
Id = Annotated[int, Field(strict=True, ge=0, le=MAX_SAFE_INTEGER)]
Time = Annotated[datetime, AfterValidator(checked_time)]
Text = Annotated[str, AfterValidator(clean_text)]


class WorkflowRun(_Model):
    """A workflow run ("Get a workflow run"); ``run_attempt`` is its latest attempt."""

    id: Id
    run_attempt: Id = 1
    run_number: Id | None = None
    name: Text | None = None
    event: Text | None = None
    status: Text | None = None
    conclusion: Text | None = None
    head_sha: Text | None = None
    head_branch: Text | None = None
    html_url: Text | None = None
    run_started_at: Time | None = None
    created_at: Time | None = None
    updated_at: Time | None = None  # a completed attempt: when it ended


class Job(_Model):
    """A job of a run attempt ("List jobs for a workflow run attempt"); ``id`` is its check
    run id, the ``job.check_run_id`` of a step running in it."""

    id: Id
    run_id: Id
    run_attempt: Id = 1
    name: Text
    status: Text
    conclusion: Text | None = None
    started_at: Time | None = None
    completed_at: Time | None = None
    html_url: Text | None = None


class Deployment(_Model):
    id: Id
    sha: Text | None = None
    ref: Text | None = None
    environment: Text | None = None
    created_at: Time | None = None
    production_environment: bool | None = None


class DeploymentStatus(_Model):
    id: Id
    state: Text
    created_at: Time | None = None
    log_url: Text | None = None
    target_url: Text | None = None
    environment: Text | None = None
    environment_url: Text | None = None
    description: Text | None = None


class Release(_Model):
    id: Id
    tag_name: Text
    prerelease: bool = False
    draft: bool = False
    created_at: Time | None = None
    published_at: Time | None = None
    html_url: Text | None = None


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
        log: Say = lambda _message: None,
        max_pages: int = MAX_PAGES,
        notice: Say | None = None,
        warn: Say | None = None,
    ) -> None:
        """``notice``: an item skipped; ``warn``: a list cut short (both default to ``log``)."""
        parts = urlsplit(base)
        # The token must not go anywhere in clear: https, or plain http to this machine (tests).
        if parts.scheme != "https" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
            raise GitHubApiError(f"GITHUB_API_URL ({base}) is not https")
        self.base = base.rstrip("/")
        self._origin = (parts.scheme, parts.netloc)
        self._clock, self._log, self.max_pages = clock, log, max_pages
        self.notice, self.warn = notice or log, warn or log
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
            at = bounded_int(reset) if reset is not None else None
            if at is not None:
                now = self._clock.wall().timestamp()
                return max(0.0, at - now) + RESET_MARGIN
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
        max_pages: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list, page by page to the end (``key``: the list's field, for the
        answers that wrap it in an object), within the bounds of the module's text: a list that
        passes one is cut there, with a warning. ``max_pages``: fewer than the client's."""
        url: str | None = self.url(path, {**(query or {}), "per_page": PER_PAGE})
        crowded = False  # a page held more than PER_PAGE items: said once a list
        most = min(self.max_pages, max_pages or self.max_pages)
        for page in range(1, most + 1):
            assert url is not None
            answer = self.get(url, deadline)
            items = self._page_items(answer, what, key, page)
            if items is None:
                return
            if len(items) > PER_PAGE and not crowded:
                crowded = True
                self.warn(
                    f"GitHub's page {page} of {what} holds {len(items):,} items, more than the "
                    f"{PER_PAGE} asked for; the first {PER_PAGE} of it (and of any later page "
                    "like it) are read, the rest is left out"
                )
            yield from (item for item in items[:PER_PAGE] if isinstance(item, dict))
            url = self._next(answer)
            if url is None:
                return
        self.warn(
            f"GitHub lists more than {most} pages of {what}; the first {most} ({most * PER_PAGE} "
            "items at most) are read, the rest is left out"
        )

    def _page_items(
        self, answer: RawAnswer, what: str, key: str | None, page: int
    ) -> list[Any] | None:
        """The items of one page; None when the page passes a bound (the list is cut there,
        with a warning)."""
        cut = f"; the list is cut there: page {page} and the pages after it are left out"
        if answer.status == 200 and answer.too_large:
            self.warn(f"GitHub's page {page} of {what} is larger than {PAGE_LIMIT // MIB} MiB{cut}")
            return None
        try:
            data = _json(answer, what)
        except _TooManyValues:
            self.warn(f"GitHub's page {page} of {what} holds more than {MAX_VALUES:,} values{cut}")
            return None
        items = data.get(key) if key is not None and isinstance(data, dict) else data
        if not isinstance(items, list):
            raise GitHubApiError(f"GitHub's answer for {what} holds no list")
        return items

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
        pages = RUNS_SEARCH_CAP // PER_PAGE  # GitHub answers no more
        items = self.pages(path, deadline, what, "workflow_runs", query, max_pages=pages)
        return _valid(WorkflowRun, items, "workflow run", self.notice)

    def jobs(self, repository: str, run_id: int, attempt: int, deadline: Deadline) -> list[Job]:
        path = f"{repo_path(repository)}/actions/runs/{run_id}/attempts/{attempt}/jobs"
        what = f"jobs of run {run_id} attempt {attempt}"
        items = self.pages(path, deadline, what, "jobs", max_pages=MAX_JOB_PAGES)
        return _valid(Job, items, f"job {{}} of run {run_id} attempt {attempt}", self.notice)

    def deployments(self, repository: str, sha: str, deadline: Deadline) -> list[Deployment]:
        path = f"{repo_path(repository)}/deployments"
        what = f"deployments of {sha[:12]}"
        items = self.pages(path, deadline, what, query={"sha": sha})
        return _valid(Deployment, items, "deployment", self.notice)

    def deployments_since(
        self, repository: str, since: datetime, deadline: Deadline
    ) -> list[Deployment]:
        """The repository's deployments created from ``since`` on. GitHub lists them newest
        first, so the pages stop at the first one older than that."""
        path = f"{repo_path(repository)}/deployments"
        what = "deployments"
        found: list[Deployment] = []
        for item in self.pages(path, deadline, what):
            for deployment in _valid(Deployment, [item], "deployment", self.notice):
                if deployment.created_at is not None and deployment.created_at < since:
                    return found
                found.append(deployment)
        return found

    def statuses(
        self, repository: str, deployment_id: int, deadline: Deadline
    ) -> list[DeploymentStatus]:
        path = f"{repo_path(repository)}/deployments/{deployment_id}/statuses"
        what = f"statuses of deployment {deployment_id}"
        items = self.pages(path, deadline, what)
        return _valid(
            DeploymentStatus, items, f"status {{}} of deployment {deployment_id}", self.notice
        )

    def releases(self, repository: str, deadline: Deadline) -> list[Release]:
        what = "releases"
        items = self.pages(f"{repo_path(repository)}/releases", deadline, what)
        return _valid(Release, items, "release", self.notice)


def _json(answer: RawAnswer, what: str) -> Any:
    if answer.status != 200:
        said = f"GitHub's API answered HTTP {answer.status} for {what}"
        raise GitHubApiError(said + _fix(answer), status=answer.status)
    if answer.body is None:
        raise GitHubApiError(f"GitHub's answer for {what} was not read ({answer.unread})")
    try:
        return loads_json(answer.body, MAX_VALUES)
    except TooLarge:
        raise _TooManyValues(
            f"GitHub's answer for {what} holds more than {MAX_VALUES:,} values"
        ) from None
    except (ValueError, RecursionError):
        raise GitHubApiError(f"GitHub's answer for {what} is not JSON") from None


class _TooManyValues(GitHubApiError):
    """An answer that may hold more JSON values than MAX_VALUES: not parsed."""


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


def _valid(model: type[M], items: Iterable[dict[str, Any]], one: str, notice: Say) -> list[M]:
    """Each item as ``model``; one that is not as documented is skipped with a notice naming
    it (``one``: what an item is, e.g. "code-scanning alert", with ``{}`` where its number
    goes if not at the end), and the others are kept."""
    kept, skipped = [], 0
    for index, item in enumerate(items, 1):
        try:
            kept.append(model.model_validate(item))
        except ValidationError as exc:
            skipped += 1
            if skipped > MAX_NOTICES:
                continue
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            label = _label(item, index)
            named = one.replace("{}", label) if "{}" in one else f"{one} {label}"
            why = first["msg"].removeprefix("Value error, ")
            notice(f"GitHub's {named} is skipped: {where}: {why}")
    if skipped > MAX_NOTICES:
        kind = " ".join(one.replace("{}", "").split())
        notice(
            f"{skipped - MAX_NOTICES:,} more items of GitHub's list ({kind}) are skipped as "
            f"not as documented; only the first {MAX_NOTICES} are named"
        )
    return kept


def _label(item: dict[str, Any], index: int) -> str:
    """How a notice names an item: its number (alerts) or id, else its place in the list."""
    for key in ("number", "id"):
        value = item.get(key)
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and 0 <= value <= MAX_SAFE_INTEGER
        ):
            return str(value)
    return f"#{index} of the list"


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
    id: Text | None = None
    severity: Text | None = None  # none, note, warning, error: how sure and how bad, any alert
    security_severity_level: Text | None = None  # low .. critical: only security queries
    description: Text | None = None
    name: Text | None = None


class CodeScanningTool(_Model):
    name: Text | None = None


class CodeScanningLocation(_Model):
    path: Text | None = None
    start_line: Id | None = None


class CodeScanningInstance(_Model):
    location: CodeScanningLocation | None = None


class CodeScanningAlert(_Model):
    number: Id
    state: Text  # open, dismissed, fixed
    created_at: Time
    updated_at: Time | None = None
    fixed_at: Time | None = None
    dismissed_at: Time | None = None
    html_url: Text | None = None
    rule: CodeScanningRule = CodeScanningRule()
    tool: CodeScanningTool = CodeScanningTool()
    most_recent_instance: CodeScanningInstance | None = None


class DependabotPackage(_Model):
    ecosystem: Text | None = None
    name: Text | None = None


class DependabotDependency(_Model):
    package: DependabotPackage | None = None
    manifest_path: Text | None = None


class Cvss(_Model):
    score: float | None = None
    vector_string: Text | None = None


class SecurityAdvisory(_Model):
    ghsa_id: Text
    cve_id: Text | None = None
    summary: Text | None = None
    severity: Text | None = None  # low, medium, high, critical
    cvss: Cvss | None = None


class DependabotAlert(_Model):
    number: Id
    state: Text  # auto_dismissed, dismissed, fixed, open
    created_at: Time
    updated_at: Time | None = None
    fixed_at: Time | None = None
    dismissed_at: Time | None = None
    auto_dismissed_at: Time | None = None
    html_url: Text | None = None
    dependency: DependabotDependency = DependabotDependency()
    security_advisory: SecurityAdvisory


class SecretScanningAlert(_Model):
    """An alert of "List secret scanning alerts for a repository" (REST: Secret scanning). The
    secret itself (``secret``) is never read: it is not a field here."""

    number: Id
    state: Text  # open, resolved
    resolution: Text | None = None  # false_positive, wont_fix, revoked, used_in_tests, pattern_*
    created_at: Time
    updated_at: Time | None = None
    resolved_at: Time | None = None
    html_url: Text | None = None
    secret_type: Text | None = None
    secret_type_display_name: Text | None = None


def secret_scanning_alerts(
    api: GitHubApi, repository: str, deadline: Deadline
) -> list[SecretScanningAlert]:
    """Every secret scanning alert, in every state."""
    what = "secret scanning alerts"
    items = api.pages(f"{repo_path(repository)}/secret-scanning/alerts", deadline, what)
    return _valid(SecretScanningAlert, items, "secret-scanning alert", api.notice)


def code_scanning_alerts(
    api: GitHubApi, repository: str, deadline: Deadline
) -> list[CodeScanningAlert]:
    """Every code scanning alert of the default branch, in every state."""
    what = "code scanning alerts"
    items = api.pages(f"{repo_path(repository)}/code-scanning/alerts", deadline, what)
    return _valid(CodeScanningAlert, items, "code-scanning alert", api.notice)


def dependabot_alerts(api: GitHubApi, repository: str, deadline: Deadline) -> list[DependabotAlert]:
    """Every Dependabot alert, in every state (the list is paged by cursor, through ``Link``)."""
    what = "Dependabot alerts"
    items = api.pages(f"{repo_path(repository)}/dependabot/alerts", deadline, what)
    return _valid(DependabotAlert, items, "dependabot alert", api.notice)
