"""Which files a push changed, for ``changed-only``: GitHub's compare API, else local git.

GitHub leaves the commits' file lists out of the push payload it hands to a workflow run (the
webhook has ``added``/``modified``/``removed`` per commit, the run's event file does not), so the
changes come from elsewhere:

1. GitHub's compare API (``GET /repos/{owner}/{repo}/compare/{before}...{after}``) with
   ``github-token``: needs no history in the workspace. It lists at most 300 files; a push that
   reaches that many is treated as unknown.
2. ``git diff`` in the workspace, where the image has git (python:slim has not, so on GitHub this
   is for runners of a custom image) and both commits are present: that needs ``fetch-depth: 0``,
   or at least the pushed commits plus one, with actions/checkout.

When neither can tell (no token, a shallow clone, a force push, a new branch whose ``before`` is
all zeros), every component is reported, with a notice saying why.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from pathlib import PurePosixPath
from urllib.parse import quote

from .clients.github_api import GitHubApi, GitHubApiError, api_base, repo_path
from .clients.http import Clock, RawAnswer
from .components import ComponentFile
from .github.run_context import RunContext
from .inputs import ActionInputs
from .limits import Deadline, DeadlineExceeded, TooLarge, loads_json, read_bounded

_NO_COMMIT = "0" * 40
_COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1 or SHA-256
# The compare API lists at most this many files; a list this long may be cut.
COMPARE_FILE_LIMIT = 300
# The compare answer carries patches and commits: megabytes for a large push, never unbounded.
COMPARE_ANSWER_LIMIT = 16 * 1024 * 1024
# At most this many JSON values are built from it (counted before parsing, commas in the patches'
# text included): a million small objects peak near 80 MB, where 16 MiB of `{},` took 462 MB. An
# answer past it only means the changes are unknown, as any other unreadable answer does.
COMPARE_VALUE_LIMIT = 1_000_000
_GIT_OUTPUT_LIMIT = 16 * 1024 * 1024
# More changed files than any component layout needs to tell which folders changed; a list this
# long is treated as unknown (every component reported), as a cut compare list is.
GIT_FILE_LIMIT = 100_000
_GIT_CHUNK = 64 * 1024

Notice = Callable[[str], None]


def changed_components(
    inputs: ActionInputs,
    run: RunContext,
    environ: Mapping[str, str],
    components: list[ComponentFile],
    deadline: Deadline,
    clock: Clock,
    notice: Notice,
) -> list[str]:
    """The ids of the components whose folder holds a changed file; all when that is unknown."""
    everything = [component.id for component in components]
    files, why = _changed_files(inputs, run, environ, deadline, clock)
    if files is None:
        notice(f"changed-only: {why}, so every component is reported")
        return everything
    ordered = sorted(files)
    return [component.id for component in components if _touched(component.folder, ordered)]


def _touched(folder: PurePosixPath, ordered: list[str]) -> bool:
    """Whether a path in ``ordered`` (sorted) lies in ``folder``: one look-up, not a scan, as a
    thousand components and a hundred thousand files would make a scan seconds long."""
    if str(folder) == ".":
        return bool(ordered)
    prefix = f"{folder}/"
    at = bisect_left(ordered, prefix)
    return at < len(ordered) and ordered[at].startswith(prefix)


def _changed_files(
    inputs: ActionInputs,
    run: RunContext,
    environ: Mapping[str, str],
    deadline: Deadline,
    clock: Clock,
) -> tuple[set[str] | None, str]:
    """The changed paths, or None and why they are unknown."""
    if run.event_name != "push":
        return None, f"it applies to push runs, and this is a {run.event_name} run"
    event = run.event
    before, after = event.get("before"), event.get("after")
    if not all(isinstance(sha, str) and _COMMIT.fullmatch(sha) for sha in (before, after)):
        # Checked here, as they become a URL path and git's arguments (never an option).
        return None, "the push payload has no before and after commits"
    assert isinstance(before, str) and isinstance(after, str)
    if event.get("created") is True or before == _NO_COMMIT:
        return None, "the push created the branch, so there is no earlier commit to compare with"
    if event.get("forced") is True:
        return None, "the push was forced, so the earlier commit is not in the branch's history"
    reasons = []
    token = inputs.github_token.get_secret_value() if inputs.github_token else None
    if token and run.repository:
        files, why = compare_api(environ, run.repository, before, after, token, deadline, clock)
        if files is not None:
            return files, ""
        reasons.append(why)
    else:
        reasons.append("github-token is empty")
    files, why = git_diff(environ.get("GITHUB_WORKSPACE"), before, after, deadline)
    if files is not None:
        return files, ""
    reasons.append(why)
    return None, "; ".join(reasons)


def compare_api(
    environ: Mapping[str, str],
    repository: str,
    before: str,
    after: str,
    token: str,
    deadline: Deadline,
    clock: Clock,
) -> tuple[set[str] | None, str]:
    """The files GitHub's compare API lists between the two commits, or None and why not."""
    path = f"{repo_path(repository)}/compare/{quote(before, safe='')}...{quote(after, safe='')}"
    try:
        with GitHubApi(api_base(environ), token, clock) as api:
            answer = api.get(api.url(path), deadline, COMPARE_ANSWER_LIMIT)
    except GitHubApiError as exc:  # any failure only means the changes are unknown
        return None, f"GitHub's compare API could not be asked: {exc}"
    return _compared_files(answer)


def _compared_files(answer: RawAnswer) -> tuple[set[str] | None, str]:
    if answer.status != 200 or answer.body is None:
        return None, f"GitHub's compare API answered HTTP {answer.status}"
    try:
        data = loads_json(answer.body, COMPARE_VALUE_LIMIT)
    except TooLarge:
        return None, f"GitHub's compare API answered more than {COMPARE_VALUE_LIMIT} values"
    except (ValueError, RecursionError):
        return None, "GitHub's compare API did not answer with JSON"
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return None, "GitHub's compare API listed no files"
    if data.get("status") not in ("ahead", "identical"):
        return None, "the earlier commit is not an ancestor of the pushed one"
    if len(files) >= COMPARE_FILE_LIMIT:
        return None, f"the push changed {COMPARE_FILE_LIMIT} files or more, more than GitHub lists"
    paths: set[str] = set()
    for item in files:
        if not isinstance(item, dict):
            continue
        for name in ("filename", "previous_filename"):
            if isinstance(item.get(name), str):
                paths.add(item[name])
    return paths, ""


def git_diff(
    workspace: str | None, before: str, after: str, deadline: Deadline
) -> tuple[set[str] | None, str]:
    """The paths ``git diff`` names between the commits, or None and why not."""
    git = shutil.which("git")
    if git is None:
        return None, "the image has no git"
    if not workspace:
        return None, "GITHUB_WORKSPACE is not set"
    # The commits are hex (checked above), so no argument can be read as an option.
    command = [git, "-C", workspace, "diff", "--no-renames", "--name-only", "-z", before, after]
    try:
        process = subprocess.Popen(  # noqa: S603
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except OSError:
        return None, "git diff did not start"
    with process:
        assert process.stdout is not None
        try:
            # Read as it comes, the limit checked at each chunk: never more than it in memory.
            output = read_bounded(
                _pipe_chunks(process.stdout.fileno(), deadline), _GIT_OUTPUT_LIMIT, deadline
            )
            returncode = process.wait(max(deadline.remaining(), 0.1))
        except TooLarge:
            return None, "git diff listed more than we read"
        except (DeadlineExceeded, subprocess.TimeoutExpired, OSError):
            return None, "git diff did not finish"
        finally:
            if process.returncode is None:
                process.kill()
    if returncode != 0:
        return None, (
            "the checked-out history lacks the pushed commits (check out with fetch-depth: 0)"
        )
    if output.count(b"\0") > GIT_FILE_LIMIT:
        return None, f"the push changed more than {GIT_FILE_LIMIT} files"
    names = output.decode("utf-8", errors="replace").split("\0")
    return {name for name in names if name}, ""


def _pipe_chunks(fd: int, deadline: Deadline) -> Iterator[bytes]:
    """What a pipe gives, until it closes; DeadlineExceeded when nothing comes in time."""
    while True:
        ready, _, _ = select.select([fd], [], [], deadline.remaining())
        if not ready:
            raise DeadlineExceeded(f"the timeout of {deadline.budget:g} s ran out")
        chunk = os.read(fd, _GIT_CHUNK)
        if not chunk:
            return
        yield chunk
