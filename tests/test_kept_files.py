"""The files the action keeps (job ledger, reconcile cursor): written without following a
symlink, under a lock, whole or not at all; a failure is a reason, never an exception."""

from __future__ import annotations

import errno
import fcntl
import io
import json
import multiprocessing
import os
import signal
import time
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from compass_action.events.ledger import Entry, JobLedger
from compass_action.kept_files import TEMP_PREFIX, WriteFailed, update_json_file
from compass_action.limits import Deadline
from compass_action.reconcile import CURSOR_FILE, read_cursor, write_cursor
from compass_action.report.reporter import Reporter

STARTED = "2026-11-22T11:53:00.000Z"
LIMIT = 1024 * 1024


def reporter() -> tuple[Reporter, io.StringIO]:
    out = io.StringIO()
    return Reporter(github=True, debug_enabled=False, out=out), out


def put_all(_current: dict[str, Any]) -> dict[str, Any]:
    return {"a": 1}


# -- symlinks -------------------------------------------------------------------------------


def test_a_symlinked_partial_cursor_leaves_its_target_untouched(tmp_path: Path) -> None:
    workspace, outside = tmp_path / "workspace", tmp_path / "outside.txt"
    workspace.mkdir()
    outside.write_text("precious")
    # What the cursor was written through before: committed, or restored from a cache.
    (workspace / f"{CURSOR_FILE}.partial").symlink_to(outside)
    assert write_cursor(workspace / CURSOR_FILE, "k", {"19700000007": 2}) is None
    assert outside.read_text() == "precious"
    assert json.loads((workspace / CURSOR_FILE).read_text())["done"] == {"19700000007": 2}


def test_a_symlink_at_the_cursor_is_replaced_never_written_through(tmp_path: Path) -> None:
    workspace, outside = tmp_path / "workspace", tmp_path / "outside.txt"
    workspace.mkdir()
    outside.write_text("precious")
    (workspace / CURSOR_FILE).symlink_to(outside)
    rep, out = reporter()
    # Read: refused, it leads out of the workspace.
    assert read_cursor(workspace / CURSOR_FILE, "k", rep) == {}
    assert "points out of" in out.getvalue()
    assert write_cursor(workspace / CURSOR_FILE, "k", {"19700000007": 2}) is None
    assert outside.read_text() == "precious"
    assert not (workspace / CURSOR_FILE).is_symlink()
    # Readable by the user actions/cache runs as.
    assert (workspace / CURSOR_FILE).stat().st_mode & 0o777 == 0o644


def test_a_symlinked_ledger_folder_is_not_written_into(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    (home / ".compass-action").symlink_to(elsewhere)
    warnings: list[str] = []
    environ = {"GITHUB_ACTIONS": "true", "HOME": str(home)}
    JobLedger.for_environ(environ, warnings.append).put("k", Entry(STARTED, 5))
    assert list(elsewhere.iterdir()) == []
    assert "points out of" in warnings[0]  # read: the file would be out of HOME
    assert "could not be written (its folder .compass-action is a symlink)" in warnings[1]


def test_a_ledger_symlinked_out_of_home_is_not_read(tmp_path: Path) -> None:
    home, outside = tmp_path / "home", tmp_path / "secret.json"
    (home / ".compass-action").mkdir(parents=True)
    outside.write_text(json.dumps({"k": {"started_at": STARTED, "update_sequence_number": 5}}))
    (home / ".compass-action" / "sent-events.json").symlink_to(outside)
    warnings: list[str] = []
    environ = {"GITHUB_ACTIONS": "true", "HOME": str(home)}
    assert JobLedger.for_environ(environ, warnings.append).get("k") is None
    assert "points out of" in warnings[0]


@pytest.mark.parametrize("kind", ["fifo", "huge"])
def test_a_cursor_that_is_a_fifo_or_huge_is_ignored_with_a_warning(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / CURSOR_FILE
    if kind == "fifo":
        os.mkfifo(path)
    else:
        with path.open("wb") as handle:
            handle.truncate(8 * 1024**3)
    rep, out = reporter()
    assert read_cursor(path, "k", rep) == {}
    assert ("is a FIFO" if kind == "fifo" else "is larger than") in out.getvalue()
    # And it is replaced by a good cursor, not written into.
    assert write_cursor(path, "k", {"19700000007": 1}) is None
    assert read_cursor(path, "k", rep) == {"19700000007": 1}


# -- failures to write ----------------------------------------------------------------------


def no_temporaries(folder: Path) -> bool:
    return not any(entry.name.startswith(TEMP_PREFIX) for entry in folder.iterdir())


def test_a_directory_at_the_cursor_is_a_reason_not_an_exception(tmp_path: Path) -> None:
    (tmp_path / CURSOR_FILE).mkdir()
    assert write_cursor(tmp_path / CURSOR_FILE, "k", {}) == "Is a directory"
    assert no_temporaries(tmp_path)


def test_a_full_disk_is_a_reason_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    # A full disk shows at fsync at the latest (delayed allocation), whatever write said.
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(WriteFailed, match="No space left on device"):
        update_json_file(tmp_path, PurePosixPath("f.json"), put_all, LIMIT)
    assert no_temporaries(tmp_path)
    assert not (tmp_path / "f.json").exists()


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_a_folder_we_may_not_write_is_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    # Tests run as root, which chmod does not stop: the refusal is the kernel's answer instead.
    real_open = os.open

    def refusing(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if str(path).startswith(TEMP_PREFIX):
            raise OSError(code, os.strerror(code))
        return real_open(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", refusing)
    warnings: list[str] = []
    ledger = JobLedger(tmp_path / "sent-events.json", warnings.append)
    ledger.put("k", Entry(STARTED, 5))
    assert warnings == [
        f"The job's record of earlier sends ({tmp_path / 'sent-events.json'}) could not be "
        f"written ({os.strerror(code)}); the event was delivered, but a later step of the job "
        "sending it again will not continue from this send"
    ]


# -- the lock and concurrent writers --------------------------------------------------------


def _writer(path: str, name: str, rounds: int, barrier: Any) -> None:
    for round_ in range(rounds):
        barrier.wait()
        JobLedger(Path(path)).put(f"{round_}-{name}", Entry(STARTED, round_))


def test_four_concurrent_writers_lose_no_entry(tmp_path: Path) -> None:
    path, writers, rounds = tmp_path / "sent-events.json", 4, 25
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(writers)
    processes = [
        context.Process(target=_writer, args=(str(path), str(n), rounds, barrier))
        for n in range(writers)
    ]
    started = time.monotonic()
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    seconds = time.monotonic() - started
    data = json.loads(path.read_text())
    print(f"{writers} writers x {rounds} rounds: {len(data)} entries in {seconds:.2f} s")
    assert sorted(data) == sorted(f"{r}-{n}" for r in range(rounds) for n in range(writers))
    assert no_temporaries(tmp_path)


def test_a_lock_held_past_the_deadline_costs_the_entry_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "sent-events.json"
    holder = os.open(tmp_path / "sent-events.json.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        warnings: list[str] = []
        ledger = JobLedger(path, warnings.append, deadline=Deadline(0.05))
        ledger.put("k", Entry(STARTED, 5))
    finally:
        os.close(holder)
    assert not path.exists()
    assert len(warnings) == 1
    assert "another step held its lock (sent-events.json.lock) longer than" in warnings[0]


def test_a_lock_file_that_is_a_symlink_is_not_opened(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.write_text("precious")
    (tmp_path / "f.json.lock").symlink_to(outside)
    with pytest.raises(WriteFailed, match=r"its lock file f\.json\.lock is a symlink"):
        update_json_file(tmp_path, PurePosixPath("f.json"), put_all, LIMIT)
    assert outside.read_text() == "precious"


# -- left-over temporary files --------------------------------------------------------------


def _killed_mid_write(folder: str) -> None:
    def die(_fd: object) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    os.fsync = die  # type: ignore[assignment]  # in this child process only
    update_json_file(Path(folder), PurePosixPath("sent-events.json"), put_all, LIMIT)


def test_a_writer_killed_mid_write_leaves_a_temporary_the_next_write_removes(
    tmp_path: Path,
) -> None:
    process = multiprocessing.get_context("fork").Process(
        target=_killed_mid_write, args=(str(tmp_path),)
    )
    process.start()
    process.join(30)
    assert process.exitcode == -signal.SIGKILL
    left = [entry.name for entry in tmp_path.iterdir() if entry.name.startswith(TEMP_PREFIX)]
    assert len(left) == 1
    assert left[0].startswith(f"{TEMP_PREFIX}sent-events.json.")
    # The kernel let go of the dead writer's lock; the next write clears what it left.
    update_json_file(tmp_path, PurePosixPath("sent-events.json"), put_all, LIMIT)
    assert no_temporaries(tmp_path)
    assert json.loads((tmp_path / "sent-events.json").read_text()) == {"a": 1}


def test_temporaries_of_other_files_are_left_alone(tmp_path: Path) -> None:
    other = tmp_path / f"{TEMP_PREFIX}other.json.1.ab"
    other.write_text("")
    update_json_file(tmp_path, PurePosixPath("f.json"), put_all, LIMIT)
    assert other.exists()


def test_a_fifo_at_the_lock_is_refused_and_a_fifo_at_the_file_replaced(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "f.json.lock")
    with pytest.raises(WriteFailed, match=r"its lock file f\.json\.lock is not a regular file"):
        update_json_file(tmp_path, PurePosixPath("f.json"), put_all, LIMIT)
    (tmp_path / "f.json.lock").unlink()
    os.mkfifo(tmp_path / "f.json")  # never opened (it would block): renamed over
    assert update_json_file(tmp_path, PurePosixPath("f.json"), put_all, LIMIT) == {"a": 1}
    assert json.loads((tmp_path / "f.json").read_text()) == {"a": 1}
