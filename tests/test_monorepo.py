"""A monorepo: components found in compass.yml files, and changed-only on push runs.

The workspace is a real git repository built per test; the push payload is GitHub's published
example (octokit/webhooks, see tests/fixtures/webhooks/SOURCE.md) with the commits' file lists
taken out, as GitHub hands push payloads to workflows, and before/after set to real commits.
GitHub's compare API is played by the GitHub stand-in (tools/github_standin.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compass_action.changes import COMPARE_VALUE_LIMIT, _compared_files
from compass_action.clients.http import RawAnswer
from tools.action_runner import Run
from tools.compass_standin import Standin
from tools.github_standin import GitHubStandin, comparison

from .conftest import COMPONENT, credentials
from .inprocess import InProcess
from .webhooks import payload

WORKSPACE_ID = COMPONENT.rsplit("/", 1)[0]
API = f"{WORKSPACE_ID}/0000000a-aaaa-4bbb-8ccc-0123456789ab"
WEB = f"{WORKSPACE_ID}/0000000b-aaaa-4bbb-8ccc-0123456789ab"
ROOT = f"{WORKSPACE_ID}/0000000c-aaaa-4bbb-8ccc-0123456789ab"
GITHUB_TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"


def compass_yml(component_id: str | None, name: str) -> str:
    """A compass.yml as Compass writes it for config-as-code (after the first sync: with id)."""
    head = f"id: '{component_id}'\n" if component_id else ""
    return (
        f"name: {name}\n{head}description: The {name} service\ntypeId: SERVICE\n"
        "ownerId: 'ari:cloud:identity::team/1c8a7c5e-0000-4000-8000-000000000001'\n"
        "fields:\n  tier: 2\nlinks:\n  - name: Repository\n    type: REPOSITORY\n"
        "    url: 'https://github.com/acme/shop'\n"
    )


def _git(workspace: Path, *args: str) -> str:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(workspace),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Octo Cat",
        "GIT_AUTHOR_EMAIL": "octocat@example.com",
        "GIT_COMMITTER_NAME": "Octo Cat",
        "GIT_COMMITTER_EMAIL": "octocat@example.com",
    }
    done = subprocess.run(
        ["git", "-C", str(workspace), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _write(workspace: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = workspace / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def monorepo(workdir: Path) -> Path:
    """The workspace (the runner's GITHUB_WORKSPACE is the harness's workdir): three components
    and a folder whose compass.yml Compass has not synced yet (no id)."""
    workdir.mkdir(parents=True)
    _write(
        workdir,
        {
            "services/api/compass.yml": compass_yml(API, "api"),
            "services/api/app.py": "print('api')\n",
            "services/web/compass.yml": compass_yml(WEB, "web"),
            "services/web/index.html": "<p>web</p>\n",
            "compass.yml": compass_yml(ROOT, "shop"),
            "services/new/compass.yml": compass_yml(None, "new"),
            "node_modules/dep/compass.yml": compass_yml(API, "vendored"),
        },
    )
    _git(workdir, "init", "-q", "-b", "main")
    _git(workdir, "add", "-A")
    _git(workdir, "commit", "-q", "-m", "Start")
    return workdir


def components_sent(standin: Standin) -> set[str]:
    return {json.loads(body)["componentId"] for body in standin.bodies()}


def build(server: Standin, **extra: str) -> dict[str, str]:
    return credentials(server) | {"event-type": "build", "component-id": "", **extra}


def test_every_compass_yml_with_an_id_is_a_component(
    standin: Standin, in_process: InProcess, monorepo: Path
) -> None:
    result = in_process(Run(), build(standin), monorepo)
    assert result.exit_code == 0, result.stdout
    assert components_sent(standin) == {API, WEB, ROOT}
    # The file without an id is named in a warning; node_modules is never searched.
    assert "services/new/compass.yml has no id" in result.stdout
    assert len(json.loads(result.outputs["results"])) == 3


def test_compass_files_narrows_the_search(
    standin: Standin, in_process: InProcess, monorepo: Path
) -> None:
    result = in_process(
        Run(), build(standin, **{"compass-files": "services/*/compass.yml"}), monorepo
    )
    assert result.exit_code == 0
    assert components_sent(standin) == {API, WEB}


def test_hostile_files_are_skipped_not_followed(
    standin: Standin, in_process: InProcess, monorepo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text(compass_yml(API, "outside"))
    (monorepo / "services/evil").mkdir()
    (monorepo / "services/evil/compass.yml").symlink_to(outside)
    (monorepo / "services/loop").symlink_to(monorepo / "services")  # a folder loop, not entered
    os.mkfifo(monorepo / "services/web/fifo.yml")
    (monorepo / "services/fifo").mkdir()
    os.mkfifo(monorepo / "services/fifo/compass.yml")
    (monorepo / "services/big").mkdir()
    (monorepo / "services/big/compass.yml").write_text("# x\n" * 100_000)

    result = in_process(Run(), build(standin), monorepo)
    assert result.exit_code == 0, result.stdout
    assert components_sent(standin) == {API, WEB, ROOT}
    assert "services/evil/compass.yml points out of the workspace" in result.stdout
    assert "services/fifo/compass.yml is a FIFO" in result.stdout
    assert "services/big/compass.yml is larger than" in result.stdout


def test_a_wrong_id_is_bad_input_before_any_request(
    standin: Standin, in_process: InProcess, monorepo: Path
) -> None:
    _write(monorepo, {"services/web/compass.yml": compass_yml("web-service", "web")})
    result = in_process(Run(), build(standin), monorepo)
    assert result.exit_code == 1 and standin.bodies() == []
    assert "::error title=Input compass-files::services/web/compass.yml" in result.stdout


def test_no_component_anywhere_says_what_to_do(
    standin: Standin, in_process: InProcess, workdir: Path
) -> None:
    workdir.mkdir(parents=True)
    result = in_process(Run(), build(standin), workdir)
    assert result.exit_code == 1
    assert "::error title=Input component-id::is required" in result.stdout
    assert "check out the repository" in result.stdout


# -- changed-only ---------------------------------------------------------------------------------


def push_run(before: str, after: str, **fields: Any) -> Run:
    """A branch push as the workflow sees it: the commits carry no file lists."""
    event = payload("push/with-new-branch.payload.json")
    event |= {"before": before, "after": after, "created": False, "forced": False, **fields}
    for commit in [*event["commits"], event["head_commit"]]:
        for key in ("added", "removed", "modified"):
            commit.pop(key)
        commit["id"] = after
    return Run(event_name="push", ref=event["ref"], sha=after, event=event)


def _change(monorepo: Path, files: dict[str, str]) -> tuple[str, str]:
    before = _git(monorepo, "rev-parse", "HEAD")
    _write(monorepo, files)
    _git(monorepo, "add", "-A")
    _git(monorepo, "commit", "-q", "-m", "Change")
    return before, _git(monorepo, "rev-parse", "HEAD")


def test_changed_only_from_the_checked_out_history(
    standin: Standin, in_process: InProcess, monorepo: Path
) -> None:
    before, after = _change(monorepo, {"services/api/app.py": "print('api v2')\n"})
    # No github-token: the compare API is not asked; git has both commits (fetch-depth: 0).
    result = in_process(
        push_run(before, after), build(standin, **{"changed-only": "true"}), monorepo
    )
    assert result.exit_code == 0, result.stdout
    # The api folder changed, and so did the root component's folder: the whole repository.
    assert components_sent(standin) == {API, ROOT}


def test_changed_only_sends_nothing_when_no_component_changed(
    standin: Standin, in_process: InProcess, monorepo: Path
) -> None:
    # Only the root component's folder (the whole repository) holds README.md.
    before, after = _change(monorepo, {"README.md": "# shop\n"})
    with_ = build(standin, **{"changed-only": "true", "compass-files": "services/*/compass.yml"})
    result = in_process(push_run(before, after), with_, monorepo)
    assert result.exit_code == 0 and standin.bodies() == []
    assert result.outputs["status"] == "skipped"


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"created": True}, "created the branch"),
        ({"forced": True}, "was forced"),
    ],
)
def test_changed_only_falls_back_to_every_component_with_a_notice(
    standin: Standin, in_process: InProcess, monorepo: Path, fields: dict[str, Any], why: str
) -> None:
    before, after = _change(monorepo, {"services/api/app.py": "v2\n"})
    run = push_run(before, after, **fields)
    result = in_process(run, build(standin, **{"changed-only": "true"}), monorepo)
    assert result.exit_code == 0
    assert components_sent(standin) == {API, WEB, ROOT}
    assert "::notice" in result.stdout and why in result.stdout


def test_changed_only_in_a_shallow_clone_falls_back(
    standin: Standin, in_process: InProcess, monorepo: Path
) -> None:
    # A commit the history does not hold, as in a fetch-depth: 1 checkout.
    before = "f" * 40
    after = _git(monorepo, "rev-parse", "HEAD")
    result = in_process(
        push_run(before, after), build(standin, **{"changed-only": "true"}), monorepo
    )
    assert components_sent(standin) == {API, WEB, ROOT}
    assert "fetch-depth: 0" in result.stdout


@pytest.fixture
def compare_api() -> Iterator[GitHubStandin]:
    """GitHub's compare endpoint, from the GitHub stand-in (tools/github_standin.py)."""
    with GitHubStandin(GITHUB_TOKEN) as api:
        answer = comparison("acme/shop", ["services/web/index.html", "docs/notes.md"])
        api.add_comparison("acme/shop", f"{'a' * 40}...{'b' * 40}", answer)
        yield api


def test_changed_only_from_githubs_compare_api(
    standin: Standin, in_process: InProcess, monorepo: Path, compare_api: GitHubStandin
) -> None:
    before, after = "a" * 40, "b" * 40  # the workspace's history is not asked
    with_ = build(
        standin,
        **{
            "changed-only": "true",
            "github-token": GITHUB_TOKEN,
            "compass-files": "services/*/compass.yml",
        },
    )
    result = in_process(
        push_run(before, after), with_, monorepo, {"GITHUB_API_URL": compare_api.url}
    )
    assert result.exit_code == 0, result.stdout
    assert components_sent(standin) == {WEB}
    assert compare_api.requests == [
        (f"/repos/acme/shop/compare/{before}...{after}", f"Bearer {GITHUB_TOKEN}")
    ]
    # The token is a secret: masked, and in nothing we write.
    assert f"::add-mask::{GITHUB_TOKEN}" in result.stdout
    assert GITHUB_TOKEN not in result.summary + json.dumps(result.outputs)


def test_changed_only_with_listed_components_reports_them_all_and_says_so(
    standin: Standin, in_process: InProcess, monorepo: Path
) -> None:
    before, after = _change(monorepo, {"services/api/app.py": "v2\n"})
    with_ = build(standin, **{"changed-only": "true", "component-id": f"{WEB}\n{ROOT}"})
    result = in_process(push_run(before, after), with_, monorepo)
    assert result.exit_code == 0
    assert components_sent(standin) == {WEB, ROOT}
    assert "::notice title=compass-action::changed-only applies to the components" in result.stdout


def test_a_compare_answer_of_too_many_values_is_unknown_changes_not_built() -> None:
    # 16 MiB of `{},` once took 462 MB as Python objects; the values are counted first.
    flood = b'{"status": "ahead", "files": [' + b"{}," * 1_200_000 + b"{}]}"
    answer = RawAnswer(200, "application/json", None, None, flood)
    assert _compared_files(answer) == (
        None,
        f"GitHub's compare API answered more than {COMPARE_VALUE_LIMIT} values",
    )
    listed = comparison("acme/shop", [f"services/web/{n}.html" for n in range(299)])
    answer = RawAnswer(200, "application/json", None, None, json.dumps(listed).encode())
    files, why = _compared_files(answer)
    assert why == "" and files is not None and len(files) == 299
