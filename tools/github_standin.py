"""A local stand-in for the part of GitHub's REST API the action reads, for tests and local runs.

It serves, for the repositories it is given, in the shapes GitHub's REST documentation shows
(docs.github.com/en/rest, API version 2022-11-28; each builder below names its page):

- ``GET /repos/{owner}/{repo}`` (Repositories: Get a repository), its default branch ``main``
  unless ``set_default_branch`` says otherwise;
- ``GET /repos/{owner}/{repo}/actions/runs`` and ``.../runs/{run_id}`` and
  ``.../runs/{run_id}/attempts/{attempt}`` (Workflow runs);
- ``GET .../actions/runs/{run_id}/attempts/{attempt}/jobs`` and ``.../runs/{run_id}/jobs``
  (Workflow jobs), wrapped in ``{"total_count", "jobs"}``;
- ``GET .../deployments`` (``sha``, ``environment`` filters) and
  ``.../deployments/{id}/statuses`` (Deployments, Deployment statuses);
- ``GET .../releases`` (Releases);
- ``GET .../compare/{base}...{head}`` (Commits: Compare two commits), for changed-only.
- ``GET .../code-scanning/alerts``, ``.../dependabot/alerts`` and
  ``.../secret-scanning/alerts`` (Code scanning, Dependabot alerts, Secret scanning): 404 for
  a source never set (not set up), 403 for one denied (``deny_alerts``).

Hostile answers are played on demand (``play``, and the builders ``oversized_page``,
``tiny_values_page``, ``endless_pages``, ``raw_items``): a page larger than any GitHub serves,
one of millions of tiny values, more items than ``per_page`` asked for, a ``Link: next`` chain
without end, items with times outside 1970-9999, lone surrogates, ids of 5,000 digits.

Lists are paginated as GitHub does it: ``per_page`` (default 30, at most 100) and ``page``, with
a ``Link`` header naming ``next``, ``last``, ``first`` and ``prev`` as they apply. Only a request
with ``Authorization: Bearer <token>`` is answered (else 401, as GitHub does). Rate limits are
played on demand (``limit_next``): the primary one (403 with ``x-ratelimit-remaining: 0`` and
``x-ratelimit-reset``) and the secondary one (403 or 429 with ``Retry-After``, or without it).
``requests`` lists what it received.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

DEFAULT_PER_PAGE, MAX_PER_PAGE = 30, 100
RATE_LIMIT = 1000  # requests per hour per repository for a GITHUB_TOKEN on github.com


RUNS_SEARCH_CAP = 1000


def _created_range(created: str) -> tuple[str, str]:
    """``>=A``, ``<=B`` or ``A..B`` of GitHub's date search syntax, as bounds on ISO times
    (compared as text: both sides are ``YYYY-MM-DDTHH:MM:SSZ``)."""
    if created.startswith(">="):
        return created[2:], "9999"
    if created.startswith("<="):
        return "", created[2:]
    if ".." in created:
        low, high = created.split("..", 1)
        return low, high
    return "", "9999"


def _time(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


# -- shapes, as GitHub's REST docs show them (the fields the action reads, and some around them) --


def repository(full_name: str, default_branch: str = "main") -> dict[str, Any]:
    """A repository as "Get a repository" answers it (REST: Repositories), the fields around
    the one the action reads (``default_branch``)."""
    owner, name = full_name.split("/", 1)
    return {
        "id": 123456789,
        "node_id": "R_kgDOABCDEF",
        "name": name,
        "full_name": full_name,
        "owner": {"login": owner, "id": 1, "type": "Organization"},
        "private": True,
        "html_url": f"https://github.com/{full_name}",
        "default_branch": default_branch,
        "visibility": "private",
    }


def workflow_run(
    repository: str,
    run_id: int,
    *,
    attempt: int = 1,
    name: str = "CI",
    event: str = "push",
    status: str = "completed",
    conclusion: str | None = "success",
    head_sha: str = "009b8a3a9ccbb128af87f9b1c0f4c62e8a304f6d",
    head_branch: str = "main",
    started: float = 1_763_800_000.0,
) -> dict[str, Any]:
    """A run as "Get a workflow run" answers it (REST: Actions / Workflow runs)."""
    api = f"https://api.github.com/repos/{repository}/actions/runs/{run_id}"
    return {
        "id": run_id,
        "name": name,
        "node_id": "WFR_kwLOABCDEF",
        "head_branch": head_branch,
        "head_sha": head_sha,
        "path": ".github/workflows/ci.yml",
        "display_title": "Update README.md",
        "run_number": 562,
        "event": event,
        "status": status,
        "conclusion": conclusion,
        "workflow_id": 159038,
        "url": api,
        "html_url": f"https://github.com/{repository}/actions/runs/{run_id}",
        "created_at": _time(started),
        "updated_at": _time(started + 300),
        "run_attempt": attempt,
        "run_started_at": _time(started),
        "jobs_url": f"{api}/jobs",
        "previous_attempt_url": f"{api}/attempts/{attempt - 1}" if attempt > 1 else None,
    }


def job(
    repository: str,
    run_id: int,
    job_id: int,
    name: str,
    *,
    attempt: int = 1,
    status: str = "completed",
    conclusion: str | None = "success",
    started: float | None = 1_763_800_010.0,
    completed: float | None = 1_763_800_130.0,
    head_sha: str = "009b8a3a9ccbb128af87f9b1c0f4c62e8a304f6d",
) -> dict[str, Any]:
    """A job as "List jobs for a workflow run attempt" lists it (REST: Actions / Workflow jobs).

    Its ``id`` is its check run's id: ``check_run_url`` and ``html_url`` end in it.
    """
    return {
        "id": job_id,
        "run_id": run_id,
        "run_url": f"https://api.github.com/repos/{repository}/actions/runs/{run_id}",
        "run_attempt": attempt,
        "node_id": "CR_kwDOABCDEF",
        "head_sha": head_sha,
        "url": f"https://api.github.com/repos/{repository}/actions/jobs/{job_id}",
        "html_url": f"https://github.com/{repository}/actions/runs/{run_id}/job/{job_id}",
        "status": status,
        "conclusion": conclusion,
        "created_at": _time((started or 1_763_800_000.0) - 5),
        "started_at": None if started is None else _time(started),
        "completed_at": None if completed is None else _time(completed),
        "name": name,
        "steps": [],
        "check_run_url": f"https://api.github.com/repos/{repository}/check-runs/{job_id}",
        "labels": ["ubuntu-latest"],
        "runner_name": "GitHub Actions 2",
        "workflow_name": "CI",
        "head_branch": "main",
    }


def deployment(
    repository: str,
    deployment_id: int,
    environment: str,
    *,
    sha: str = "009b8a3a9ccbb128af87f9b1c0f4c62e8a304f6d",
    ref: str = "main",
    created: float = 1_763_800_020.0,
) -> dict[str, Any]:
    """A deployment as "List deployments" lists it (REST: Deployments / Deployments)."""
    api = f"https://api.github.com/repos/{repository}/deployments/{deployment_id}"
    return {
        "url": api,
        "id": deployment_id,
        "node_id": "DE_kwDOABCDEF",
        "sha": sha,
        "ref": ref,
        "task": "deploy",
        "payload": {},
        "original_environment": environment,
        "environment": environment,
        "description": None,
        "created_at": _time(created),
        "updated_at": _time(created),
        "statuses_url": f"{api}/statuses",
        "transient_environment": False,
        "production_environment": environment == "production",
    }


def deployment_status(
    repository: str,
    deployment_id: int,
    status_id: int,
    state: str,
    *,
    log_url: str = "",
    environment: str = "production",
    created: float = 1_763_800_120.0,
) -> dict[str, Any]:
    """A status as "List deployment statuses" lists it (REST: Deployments / Deployment
    statuses). A job with ``environment:`` sets ``log_url`` and ``target_url`` to its log."""
    return {
        "url": (
            f"https://api.github.com/repos/{repository}/deployments/{deployment_id}/statuses/"
            f"{status_id}"
        ),
        "id": status_id,
        "node_id": "DES_kwDOABCDEF",
        "state": state,
        "description": "",
        "environment": environment,
        "target_url": log_url,
        "log_url": log_url,
        "environment_url": "",
        "created_at": _time(created),
        "updated_at": _time(created),
        "deployment_url": f"https://api.github.com/repos/{repository}/deployments/{deployment_id}",
    }


def release(
    repository: str,
    release_id: int,
    tag: str,
    *,
    prerelease: bool = False,
    created: float = 1_763_800_000.0,
) -> dict[str, Any]:
    """A release as "List releases" lists it (REST: Releases / Releases)."""
    return {
        "url": f"https://api.github.com/repos/{repository}/releases/{release_id}",
        "html_url": f"https://github.com/{repository}/releases/tag/{tag}",
        "id": release_id,
        "node_id": "RE_kwDOABCDEF",
        "tag_name": tag,
        "target_commitish": "main",
        "name": tag,
        "draft": False,
        "prerelease": prerelease,
        "created_at": _time(created),
        "published_at": _time(created + 60),
        "assets": [],
    }


def comparison(repository: str, files: list[str], status: str = "ahead") -> dict[str, Any]:
    """What "Compare two commits" answers (REST: Commits / Commits), files only."""
    return {
        "url": f"https://api.github.com/repos/{repository}/compare/a...b",
        "status": status,
        "ahead_by": 1,
        "behind_by": 0,
        "total_commits": 1,
        "commits": [],
        "files": [
            {
                "sha": "bbcd538c8e72b8c175046e27cc8f907076331401",
                "filename": name,
                "status": "modified",
                "additions": 1,
                "deletions": 1,
                "changes": 2,
                "patch": "@@ -1 +1 @@\n-old\n+new",
            }
            for name in files
        ],
    }


# -- the server -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limited:
    """A rate-limit answer to play: ``primary`` (reset after ``wait`` s) or secondary (with
    ``Retry-After: wait`` when ``wait`` is set, else none), as ``status`` 403 or 429."""

    primary: bool
    wait: float | None = 60.0
    status: int = 403


@dataclass
class GitHubState:
    token: str
    runs: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    attempts: dict[tuple[str, int, int], dict[str, Any]] = field(default_factory=dict)
    jobs: dict[tuple[str, int, int], list[dict[str, Any]]] = field(default_factory=dict)
    deployments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    statuses: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    releases: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    comparisons: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    alerts: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    default_branches: dict[str, str] = field(default_factory=dict)
    denied: set[tuple[str, str]] = field(default_factory=set)  # (repository, alert source)
    limits: deque[Limited] = field(default_factory=deque)
    # Requests left before the primary rate limit answers (GITHUB_TOKEN: 1,000 an hour per
    # repository); None: no such limit.
    budget: int | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)
    # Paths answered by a function instead (``GitHubStandin.play``): hostile answers.
    played: dict[str, Player] = field(default_factory=dict)
    wall: Callable[[], float] = time.time
    lock: threading.Lock = field(default_factory=threading.Lock)


_REPO = r"/repos/(?P<repo>[^/]+/[^/]+)"
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(_REPO), "repository"),
    (re.compile(_REPO + r"/actions/runs"), "runs"),
    (re.compile(_REPO + r"/actions/runs/(?P<run>\d+)"), "run"),
    (re.compile(_REPO + r"/actions/runs/(?P<run>\d+)/attempts/(?P<attempt>\d+)"), "attempt"),
    (re.compile(_REPO + r"/actions/runs/(?P<run>\d+)/attempts/(?P<attempt>\d+)/jobs"), "jobs"),
    (re.compile(_REPO + r"/actions/runs/(?P<run>\d+)/jobs"), "latest_jobs"),
    (re.compile(_REPO + r"/deployments"), "deployments"),
    (re.compile(_REPO + r"/deployments/(?P<deployment>\d+)/statuses"), "statuses"),
    (re.compile(_REPO + r"/releases"), "releases"),
    (re.compile(_REPO + r"/compare/(?P<basehead>[^/]+)"), "compare"),
    (re.compile(_REPO + r"/(?P<source>code-scanning|dependabot|secret-scanning)/alerts"), "alerts"),
]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # Keep-alive, as Compass's and GitHub's servers answer: a run's many requests share a
    # connection instead of a connection and a thread each (the suite's reconciles send hundreds).
    protocol_version = "HTTP/1.1"
    # An answer's head and body are separate writes: without this, each waits for the client's
    # delayed acknowledgement (some 40 ms) once the connection is kept.
    disable_nagle_algorithm = True

    def log_message(self, *_: object) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        with state.lock:
            state.requests.append((self.path, self.headers.get("Authorization", "")))
            limited = state.limits.popleft() if state.limits else None
            if limited is None and state.budget is not None:
                if state.budget <= 0:
                    limited = Limited(primary=True, wait=3600.0)
                state.budget -= 1
        if self.headers.get("Authorization") != f"Bearer {state.token}":
            return self._send(401, {"message": "Bad credentials"})
        if limited is not None:
            return self._limited(limited)
        player = state.played.get(parts.path)
        if player is not None:
            played = player(query, f"http://{self.headers.get('Host')}{parts.path}")
            return self._send_raw(played.status, played.body, played.headers)
        for pattern, name in _ROUTES:
            found = pattern.fullmatch(parts.path)
            if found:
                with state.lock:
                    answer = getattr(self, f"_{name}")(state, query, **found.groupdict())
                if answer is None:
                    return self._send(404, {"message": "Not Found"})
                if isinstance(answer, _Denied):
                    return self._send(403, {"message": answer.message})
                if isinstance(answer, _Page):
                    return self._page(answer, parts.path, query)
                return self._send(200, answer)
        return self._send(404, {"message": "Not Found"})

    # -- routes --

    def _repository(self, state: GitHubState, _q: dict[str, str], repo: str) -> Any:
        return repository(repo, state.default_branches.get(repo, "main"))

    def _runs(self, state: GitHubState, query: dict[str, str], repo: str) -> _Page:
        runs = [value for (name, _), value in sorted(state.runs.items()) if name == repo]
        low, high = _created_range(query.get("created", ""))
        runs = [run for run in runs if low <= run["created_at"] <= high]
        runs.sort(key=lambda run: run["created_at"])
        # GitHub answers at most 1,000 runs for a query with ``created`` (its REST docs).
        newest = list(reversed(runs))
        return _Page(newest[:RUNS_SEARCH_CAP] if "created" in query else newest, "workflow_runs")

    def _run(self, state: GitHubState, _q: dict[str, str], repo: str, run: str) -> Any:
        return state.runs.get((repo, int(run)))

    def _attempt(
        self, state: GitHubState, _q: dict[str, str], repo: str, run: str, attempt: str
    ) -> Any:
        return state.attempts.get((repo, int(run), int(attempt)))

    def _jobs(
        self, state: GitHubState, _q: dict[str, str], repo: str, run: str, attempt: str
    ) -> _Page | None:
        jobs = state.jobs.get((repo, int(run), int(attempt)))
        return None if jobs is None else _Page(jobs, "jobs")

    def _latest_jobs(
        self, state: GitHubState, query: dict[str, str], repo: str, run: str
    ) -> _Page | None:
        latest = state.runs.get((repo, int(run)))
        if latest is None:
            return None
        return self._jobs(state, query, repo, run, str(latest["run_attempt"]))

    def _deployments(self, state: GitHubState, query: dict[str, str], repo: str) -> _Page:
        items = [
            item
            for item in state.deployments.get(repo, [])
            if query.get("sha", item["sha"]) == item["sha"]
            and query.get("environment", item["environment"]) == item["environment"]
        ]
        # Newest first, as GitHub lists them.
        items.sort(key=lambda item: (item["created_at"], item["id"]), reverse=True)
        return _Page(items)

    def _statuses(
        self, state: GitHubState, _q: dict[str, str], repo: str, deployment: str
    ) -> _Page | None:
        items = state.statuses.get((repo, int(deployment)))
        return None if items is None else _Page(list(reversed(items)))  # newest first

    def _releases(self, state: GitHubState, _q: dict[str, str], repo: str) -> _Page:
        return _Page(list(reversed(state.releases.get(repo, []))))

    def _compare(self, state: GitHubState, _q: dict[str, str], repo: str, basehead: str) -> Any:
        return state.comparisons.get((repo, basehead))

    def _alerts(
        self, state: GitHubState, _q: dict[str, str], repo: str, source: str
    ) -> _Page | _Denied | None:
        if (repo, source) in state.denied:
            return _Denied("Resource not accessible by integration")
        alerts = state.alerts.get((repo, source))  # never set: not set up, GitHub's 404
        return None if alerts is None else _Page(list(reversed(alerts)))  # newest first

    # -- answers --

    def _page(self, page: _Page, path: str, query: dict[str, str]) -> None:
        per_page = min(int(query.get("per_page", DEFAULT_PER_PAGE)), MAX_PER_PAGE)
        number = max(int(query.get("page", 1)), 1)
        items = page.items[(number - 1) * per_page : number * per_page]
        last = max(1, -(-len(page.items) // per_page))
        links = []
        base = f"http://{self.headers.get('Host')}{path}"

        def link(to: int, rel: str) -> str:
            return f'<{base}?{urlencode({**query, "per_page": per_page, "page": to})}>; rel="{rel}"'

        if number > 1:
            links += [link(number - 1, "prev"), link(1, "first")]
        if number < last:
            links += [link(number + 1, "next"), link(last, "last")]
        body: Any = items if page.key is None else {"total_count": len(page.items), page.key: items}
        self._send(200, body, {"Link": ", ".join(links)} if links else {})

    def _limited(self, limited: Limited) -> None:
        headers = {"x-ratelimit-limit": str(RATE_LIMIT), "x-ratelimit-resource": "core"}
        if limited.primary:
            reset = int(self.server.state.wall() + (limited.wait or 0))
            headers |= {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
            message = "API rate limit exceeded for installation ID 1."
        else:
            headers["x-ratelimit-remaining"] = "4000"
            if limited.wait is not None:
                headers["Retry-After"] = f"{limited.wait:g}"
            message = "You have exceeded a secondary rate limit. Please wait a few minutes."
        self._send(limited.status, {"message": message}, headers)

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(body).encode(), headers or {})

    def _send_raw(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        # The client may stop reading a page larger than it takes: as meant.
        with contextlib.suppress(OSError):
            self.wfile.write(data)


@dataclass(frozen=True)
class Played:
    """One answer as sent, byte for byte."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


# Makes the answer to a played path from the request's query and the path's own URL.
Player = Callable[[dict[str, str], str], Played]


@dataclass
class _Page:
    items: list[dict[str, Any]]
    key: str | None = None  # the field that holds the list, for answers that wrap it


@dataclass
class _Denied:
    message: str  # a 403 as GitHub words it for a token without the permission


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: GitHubState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class GitHubStandin:
    """The stand-in on a thread of the calling process; fill ``state`` with the add_* methods."""

    def __init__(self, token: str, wall: Callable[[], float] = time.time) -> None:
        self.state = GitHubState(token, wall=wall)
        self._server = _Server(self.state)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> GitHubStandin:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_run(self, repository: str, run: dict[str, Any], jobs: list[dict[str, Any]]) -> None:
        """A run at its latest attempt, with that attempt's jobs (add_run again per attempt)."""
        with self.state.lock:
            key = (repository, run["id"])
            latest = self.state.runs.get(key)
            if latest is None or latest["run_attempt"] <= run["run_attempt"]:
                self.state.runs[key] = run
            self.state.attempts[(repository, run["id"], run["run_attempt"])] = run
            self.state.jobs[(repository, run["id"], run["run_attempt"])] = jobs

    def add_deployment(
        self, repository: str, item: dict[str, Any], statuses: list[dict[str, Any]]
    ) -> None:
        """A deployment with its statuses, oldest first."""
        with self.state.lock:
            self.state.deployments.setdefault(repository, []).append(item)
            self.state.statuses[(repository, item["id"])] = statuses

    def set_default_branch(self, repository: str, branch: str) -> None:
        with self.state.lock:
            self.state.default_branches[repository] = branch

    def add_release(self, repository: str, item: dict[str, Any]) -> None:
        with self.state.lock:
            self.state.releases.setdefault(repository, []).append(item)

    def add_comparison(self, repository: str, basehead: str, answer: dict[str, Any]) -> None:
        with self.state.lock:
            self.state.comparisons[(repository, basehead)] = answer

    def play(self, path: str, player: Player) -> None:
        """Answer every GET of ``path`` (the query aside) with what ``player`` makes."""
        with self.state.lock:
            self.state.played[path] = player

    def limit_next(self, *answers: Limited) -> None:
        """Answer the next requests with these rate-limit answers, in order."""
        with self.state.lock:
            self.state.limits.extend(answers)

    @property
    def requests(self) -> list[tuple[str, str]]:
        with self.state.lock:
            return list(self.state.requests)


# -- security alerts ------------------------------------------------------------------------------


def code_scanning_alert(
    repository: str,
    number: int,
    *,
    state: str = "open",
    security_severity: str | None = "high",
    rule_id: str = "js/sql-injection",
    path: str = "src/db.js",
    created: float = 1_763_000_000.0,
    changed: float | None = None,
) -> dict[str, Any]:
    """An alert as "List code scanning alerts for a repository" lists it (REST: Code scanning),
    shaped after the docs' example response; ``changed`` is when it was fixed or dismissed."""
    api = f"https://api.github.com/repos/{repository}/code-scanning/alerts/{number}"
    at = _time(changed if changed is not None else created)
    return {
        "number": number,
        "created_at": _time(created),
        "updated_at": at,
        "url": api,
        "html_url": f"https://github.com/{repository}/security/code-scanning/{number}",
        "instances_url": f"{api}/instances",
        "state": state,
        "fixed_at": at if state == "fixed" else None,
        "dismissed_by": {"login": "octocat", "id": 1} if state == "dismissed" else None,
        "dismissed_at": at if state == "dismissed" else None,
        "dismissed_reason": "false positive" if state == "dismissed" else None,
        "dismissed_comment": None,
        "rule": {
            "id": rule_id,
            "severity": "error",
            "tags": ["security", "external/cwe/cwe-089"],
            "description": "Database query built from user-controlled sources",
            "name": rule_id,
            "security_severity_level": security_severity,
        },
        "tool": {"name": "CodeQL", "guid": None, "version": "2.19.3"},
        "most_recent_instance": {
            "ref": "refs/heads/main",
            "analysis_key": ".github/workflows/codeql-analysis.yml:analyze",
            "environment": "",
            "category": ".github/workflows/codeql-analysis.yml:analyze/language:javascript",
            "state": state,
            "commit_sha": "39406e42cb832f683daa691dd652a8dc36ee8930",
            "message": {"text": "This query depends on a user-provided value."},
            "location": {
                "path": path,
                "start_line": 42,
                "end_line": 42,
                "start_column": 5,
                "end_column": 40,
            },
            "classifications": [],
        },
    }


def dependabot_alert(
    repository: str,
    number: int,
    *,
    state: str = "open",
    severity: str = "high",
    ghsa: str = "GHSA-rv95-896h-c2vc",
    cve: str | None = "CVE-2021-20191",
    package: str = "ansible",
    manifest: str = "path/to/requirements.txt",
    score: float | None = 5.5,
    created: float = 1_763_000_000.0,
    changed: float | None = None,
) -> dict[str, Any]:
    """An alert as "List Dependabot alerts for a repository" lists it (REST: Dependabot
    alerts), shaped after the docs' example response; ``changed`` as above."""
    at = _time(changed if changed is not None else created)
    dependency = {
        "package": {"ecosystem": "pip", "name": package},
        "manifest_path": manifest,
        "scope": "runtime",
    }
    vector = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N" if score is not None else None
    return {
        "number": number,
        "state": state,
        "dependency": dependency,
        "security_advisory": {
            "ghsa_id": ghsa,
            "cve_id": cve,
            "summary": f"Insufficient protection of sensitive data in {package}",
            "description": "A flaw was found in the way sensitive data is logged.",
            "severity": severity,
            "identifiers": [{"value": ghsa, "type": "GHSA"}],
            "references": [],
            "published_at": "2021-06-01T17:38:00Z",
            "updated_at": "2021-08-12T23:06:00Z",
            "withdrawn_at": None,
            "vulnerabilities": [],
            "cvss": {"vector_string": vector, "score": score if score is not None else 0.0},
            "cwes": [{"cwe_id": "CWE-532", "name": "Insertion of Sensitive Information"}],
        },
        "security_vulnerability": {
            "package": dependency["package"],
            "severity": severity,
            "vulnerable_version_range": "< 2.8.19",
            "first_patched_version": {"identifier": "2.8.19"},
        },
        "url": f"https://api.github.com/repos/{repository}/dependabot/alerts/{number}",
        "html_url": f"https://github.com/{repository}/security/dependabot/{number}",
        "created_at": _time(created),
        "updated_at": at,
        "dismissed_at": at if state == "dismissed" else None,
        "dismissed_by": None,
        "dismissed_reason": "tolerable_risk" if state == "dismissed" else None,
        "dismissed_comment": None,
        "fixed_at": at if state == "fixed" else None,
        "auto_dismissed_at": at if state == "auto_dismissed" else None,
    }


def secret_scanning_alert(
    repository: str,
    number: int,
    *,
    state: str = "open",
    resolution: str | None = None,
    secret_type: str = "adafruit_io_key",  # noqa: S107 - a type's name, GitHub's example
    display_name: str = "Adafruit IO Key",
    created: float = 1_763_000_000.0,
    changed: float | None = None,
) -> dict[str, Any]:
    """An alert as "List secret scanning alerts for a repository" lists it (REST: Secret
    scanning), shaped after the docs' example response, the secret itself included as GitHub
    sends it; ``changed`` is when it was resolved."""
    api = f"https://api.github.com/repos/{repository}/secret-scanning/alerts/{number}"
    at = _time(changed if changed is not None else created)
    resolved = state == "resolved"
    return {
        "number": number,
        "created_at": _time(created),
        "updated_at": at,
        "url": api,
        "html_url": f"https://github.com/{repository}/security/secret-scanning/{number}",
        "locations_url": f"{api}/locations",
        "state": state,
        "resolution": resolution if resolved else None,
        "resolved_at": at if resolved else None,
        "resolved_by": {"login": "monalisa", "id": 2} if resolved else None,
        "resolution_comment": "Example comment" if resolved else None,
        "secret_type": secret_type,
        "secret_type_display_name": display_name,
        "secret": "aio_XXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "push_protection_bypassed_by": None,
        "push_protection_bypassed": False,
        "push_protection_bypassed_at": None,
        "push_protection_bypass_request_reviewer": None,
        "push_protection_bypass_request_reviewer_comment": None,
        "push_protection_bypass_request_comment": None,
        "push_protection_bypass_request_html_url": None,
        "validity": "unknown",
        "publicly_leaked": False,
        "multi_repo": False,
        "is_base64_encoded": False,
    }


def set_alerts(standin: GitHubStandin, repository: str, source: str, alerts: list[Any]) -> None:
    """Replace the ``source`` ("code-scanning", "dependabot", "secret-scanning") alerts."""
    with standin.state.lock:
        standin.state.alerts[(repository, source)] = list(alerts)


def deny_alerts(standin: GitHubStandin, repository: str, source: str) -> None:
    """Answer 403 for these alerts, as GitHub does for a token without their permission."""
    with standin.state.lock:
        standin.state.denied.add((repository, source))


# -- a history: runs with a build and a deploy job each, for reconcile's tests and benchmark ----

HISTORY_FIRST_RUN = 19_700_000_000
_DAY = 86_400.0


def history_ids(index: int) -> tuple[int, int, int, int, str]:
    """Run id, build job id, deploy job id, GitHub deployment id, head commit of run ``index``."""
    run_id = HISTORY_FIRST_RUN + index * 7
    sha = f"{index:040x}"
    return run_id, 52_000_000_000 + index * 2, 52_000_000_001 + index * 2, 1_400_000 + index, sha


def history_failed(index: int) -> bool:
    """Every fourth run's deploy job failed."""
    return index % 4 == 3


def add_history(
    standin: GitHubStandin, repository: str, count: int, days: float, now: float
) -> None:
    """``count`` runs spread over the ``days`` before ``now``, each with a ``build`` job and a
    ``deploy`` job whose GitHub deployment to production links its status to the job's log (as
    GitHub does for a job with ``environment:``)."""
    for index in range(count):
        run_id, build_id, deploy_id, deployment_id, sha = history_ids(index)
        started = now - days * _DAY + (index + 0.5) * days * _DAY / count
        conclusion = "failure" if history_failed(index) else "success"
        jobs = [
            job(
                repository,
                run_id,
                build_id,
                "build",
                started=started + 5,
                completed=started + 65,
                head_sha=sha,
            ),
            job(
                repository,
                run_id,
                deploy_id,
                "deploy",
                conclusion=conclusion,
                started=started + 70,
                completed=started + 130,
                head_sha=sha,
            ),
        ]
        run = workflow_run(repository, run_id, conclusion=conclusion, head_sha=sha, started=started)
        standin.add_run(repository, run, jobs)
        log = f"https://github.com/{repository}/actions/runs/{run_id}/job/{deploy_id}"
        state = "failure" if history_failed(index) else "success"
        standin.add_deployment(
            repository,
            deployment(repository, deployment_id, "production", sha=sha),
            [deployment_status(repository, deployment_id, 1, state, log_url=log)],
        )


# -- hostile answers (GitHubStandin.play) ---------------------------------------------------------


def _next_link(url: str, query: dict[str, str]) -> dict[str, str]:
    page = int(query.get("page", "1"))
    return {"Link": f'<{url}?{urlencode({**query, "page": page + 1})}>; rel="next"'}


def raw_items(items: list[str], key: str | None = None, endless: bool = False) -> Player:
    """A page of ``items`` written as given (JSON text each: a 5,000-digit id, "\\ud800"),
    wrapped in ``{"total_count", key}`` when ``key`` is given; ``endless``: every page names a
    next one."""
    listed = "[" + ",".join(items) + "]"
    text = listed if key is None else f'{{"total_count": {len(items)}, "{key}": {listed}}}'
    body = text.encode()

    def player(query: dict[str, str], url: str) -> Played:
        return Played(body, _next_link(url, query) if endless else {})

    return player


def oversized_page(size: int, item: dict[str, Any], key: str | None = None) -> Player:
    """A page of ``size`` bytes or more of copies of ``item``, whatever ``per_page`` asked for
    (GitHub's pages are some hundreds of KB), and a next page after it, without end."""
    one = json.dumps(item)
    count = size // (len(one) + 1) + 1
    return raw_items([one] * count, key, endless=True)


def tiny_values_page(size: int, key: str | None = None) -> Player:
    """A page of ``size`` bytes of empty objects (``{},{},...``): three bytes each, some 64
    in memory once parsed."""
    return raw_items(["{}"] * (size // 3), key, endless=True)


def endless_pages(items: list[dict[str, Any]], key: str | None = None) -> Player:
    """The same good page again and again, each naming a next one: a chain without end."""
    return raw_items([json.dumps(item) for item in items], key, endless=True)
