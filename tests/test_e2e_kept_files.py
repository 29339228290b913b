"""The kept files in whole runs: a cursor or ledger that cannot be written costs a warning after
what was delivered, the summary is still written, and nothing outside is touched."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from compass_action.reconcile import CURSOR_FILE
from tools.action_runner import Run
from tools.compass_standin import Standin
from tools.github_standin import GitHubStandin

from .conftest import credentials
from .inprocess import InProcess
from .test_e2e_reconcile import GITHUB_TOKEN, history, reconcile


@pytest.fixture
def github() -> Iterator[GitHubStandin]:
    with GitHubStandin(GITHUB_TOKEN) as standin:
        yield standin


def test_a_cursor_that_cannot_be_written_is_a_warning_after_the_sends(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path
) -> None:
    history(github, 3, days=2)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / CURSOR_FILE).mkdir()  # a folder in its place

    result = reconcile(in_process, standin, github, workdir)

    assert result.exit_code == 0, result.stdout + result.stderr
    assert "failed unexpectedly" not in result.stdout + result.stderr
    assert len(standin.events()) == 9  # 3 runs: 2 builds and a deployment each
    assert result.stdout.count(f"{CURSOR_FILE} could not be written (Is a directory)") == 1
    assert "Events sent | 9 |" in result.summary


def test_a_symlinked_partial_cursor_leaves_its_target_outside_untouched(
    in_process: InProcess, standin: Standin, github: GitHubStandin, workdir: Path, tmp_path: Path
) -> None:
    history(github, 2, days=1)
    workdir.mkdir(parents=True, exist_ok=True)
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    (workdir / f"{CURSOR_FILE}.partial").symlink_to(outside)
    (workdir / CURSOR_FILE).symlink_to(outside)

    result = reconcile(in_process, standin, github, workdir)

    assert result.exit_code == 0, result.stdout + result.stderr
    assert outside.read_text() == "precious"
    assert not (workdir / CURSOR_FILE).is_symlink()


def test_a_full_disk_for_the_ledger_is_a_warning_and_the_summary_is_written(
    in_process: InProcess,
    standin: Standin,
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    given = credentials(standin) | {"environment": "production"}
    result = in_process(Run(), given, workdir)

    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(standin.events()) == 1
    ledger = workdir / ".compass-action" / "sent-events.json"
    assert f"({ledger}) could not be written (No space left on device)" in result.stdout
    assert "failed unexpectedly" not in result.stdout + result.stderr
    assert result.summary


def test_a_yaml_bomb_among_compass_files_is_skipped_and_the_others_are_sent(
    in_process: InProcess, standin: Standin, workdir: Path
) -> None:
    from .test_monorepo import API, WEB, compass_yml
    from .test_yaml_files import merge_bomb

    for folder, text in (
        ("api", compass_yml(API, "api")),
        ("bomb", compass_yml(WEB, "bomb") + merge_bomb()),
        ("twice", compass_yml(WEB, "twice") + f"id: '{API}'\n"),
    ):
        (workdir / folder).mkdir(parents=True)
        (workdir / folder / "compass.yml").write_text(text)
    given = credentials(standin) | {"event-type": "build", "component-id": "", "timeout": "20"}

    result = in_process(Run(), given, workdir)

    assert result.exit_code == 0, result.stdout + result.stderr
    assert [body["componentId"] for body in map(json.loads, standin.bodies())] == [API]
    assert "bomb/compass.yml has aliases (*name) or merge keys (<<) that expand" in result.stdout
    assert "twice/compass.yml has the key 'id' twice (lines 2 and 12); ignored" in result.stdout


def test_a_compass_file_of_the_largest_size_taken_is_read_whole(
    in_process: InProcess, standin: Standin, workdir: Path
) -> None:
    from .test_monorepo import API
    from .test_yaml_files import big_compass_yml

    # 64 bytes under the 256 KB limit, its id on the first line and padding to the end: read
    # whole, as a file of the size that is taken. How long ten such files take is measured by
    # tools/bench_hostile_files.py (yaml-10-files-of-256KB), not here; that the timeout bounds
    # the reading is test_yaml_files.py's, on a stepped clock.
    (workdir / "c0").mkdir(parents=True)
    (workdir / "c0" / "compass.yml").write_text(big_compass_yml(API, 256 * 1024 - 64))
    given = credentials(standin) | {"event-type": "build", "component-id": "", "timeout": "60"}

    result = in_process(Run(), given, workdir)

    assert result.exit_code == 0, result.stdout + result.stderr
    assert [body["componentId"] for body in map(json.loads, standin.bodies())] == [API]
    assert "ignored" not in result.stdout
