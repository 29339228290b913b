"""changed-only's local ``git diff``: its output read as it comes, bounded in size, count and time.

A stand-in ``git`` on PATH plays what a hostile or broken repository makes git print.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest

from compass_action.changes import GIT_FILE_LIMIT, git_diff
from compass_action.limits import Deadline

BEFORE, AFTER = "a" * 40, "b" * 40


def fake_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    git = folder / "git"
    git.write_text(f"#!/bin/sh\n{script}\n")
    git.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")


def measured_diff(workspace: Path) -> tuple[tuple[set[str] | None, str], float]:
    """git_diff's outcome and its peak of Python memory in MB (printed with the time)."""
    tracemalloc.start()
    started = time.perf_counter()
    outcome = git_diff(str(workspace), BEFORE, AFTER, Deadline(30))
    took = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(f"git diff printing 250 MB: {took:.2f} s, peak {peak:.1f} MB of Python memory")
    return outcome, peak


def test_the_names_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_git(tmp_path, monkeypatch, r"printf 'api/x.py\0web/a b.ts\0'")
    assert git_diff(str(tmp_path), BEFORE, AFTER, Deadline(10)) == (
        {"api/x.py", "web/a b.ts"},
        "",
    )


def test_250_mb_of_names_stop_at_the_limit_without_being_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 250 MB of names on stdout, and as much on stderr, which nothing reads.
    fake_git(
        tmp_path,
        monkeypatch,
        "head -c 262144000 /dev/zero | tr '\\0' 'a' >&2 & head -c 262144000 /dev/zero",
    )
    outcome, peak = measured_diff(tmp_path)
    assert outcome == (None, "git diff listed more than we read")
    # What is held is at most the 16 MiB limit (read whole before, it was 530 MB).
    assert peak < 40


def test_more_names_than_the_file_limit_are_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_git(tmp_path, monkeypatch, f"seq {GIT_FILE_LIMIT + 1} | tr '\\n' '\\0'")
    assert git_diff(str(tmp_path), BEFORE, AFTER, Deadline(30)) == (
        None,
        f"the push changed more than {GIT_FILE_LIMIT} files",
    )


def test_a_git_that_hangs_is_given_up_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_git(tmp_path, monkeypatch, "printf 'a\\0'; exec sleep 60")
    assert git_diff(str(tmp_path), BEFORE, AFTER, Deadline(0.5)) == (
        None,
        "git diff did not finish",
    )


def test_a_failing_git_says_what_history_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_git(tmp_path, monkeypatch, "echo 'fatal: bad object' >&2; exit 128")
    files, why = git_diff(str(tmp_path), BEFORE, AFTER, Deadline(10))
    assert files is None
    assert "fetch-depth: 0" in why
