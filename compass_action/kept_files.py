"""Writing the small JSON files the action keeps between steps and runs, without being fooled.

Two files are kept: the job ledger in HOME (events/ledger.py) and the reconcile cursor in the
workspace (reconcile.py). Both folders hold whatever the workflow, a pull request or a restored
cache put there, so a name we write may already be a symlink to a file outside (the runner's
credentials, another repository), a FIFO or a folder. And two steps may write at once.

So every write here: walks to the folder without following a symlink (O_NOFOLLOW on each
folder), takes an exclusive ``flock`` on ``<name>.lock`` there (opened with O_NOFOLLOW), waiting
no longer than the deadline allows, reads the current file again under that lock, writes the
new content to a fresh temporary name created with O_CREAT|O_EXCL|O_NOFOLLOW, fsyncs it and
renames it over the name. An existing path is never opened for writing, and a rename replaces a
symlink itself, never its target.

Temporary names start with ``.compass-tmp.<name>.``. Only a holder of the lock creates one, so a
temporary name for the same file found while holding the lock was left by a writer that died
mid-write (``kill -9``: the kernel releases its lock); it is removed before writing.

Any failure raises WriteFailed with a reason fit for a warning; the caller says what it costs.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import Any

from .json_files import (
    MAX_VALUES,
    JsonObject,
    NotRegular,
    TooManyValues,
    json_object_of,
    read_open_file,
)
from .limits import Deadline, TooLarge

TEMP_PREFIX = ".compass-tmp."
LOCK_SUFFIX = ".lock"
# However long the deadline: a step that holds the lock writes a few KB and lets go in
# milliseconds, so a lock held for seconds belongs to a step that hangs.
LOCK_WAIT = 10.0
# The ledger is written after the sends, when the deadline may be spent: a moment's wait for a
# step writing at the same instant still keeps its entry, and the step ends within timeout + 1 s.
LOCK_GRACE = 0.5
_LOCK_POLL = 0.01
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class WriteFailed(Exception):
    """The file could not be written; the message says why, in a user's words."""


Change = Callable[[dict[str, Any]], dict[str, Any]]


def update_json_file(
    root: Path,
    relative: PurePosixPath,
    change: Change,
    limit: int,
    deadline: Deadline | None = None,
    mode: int = 0o600,
    *,
    read_current: bool = True,
) -> dict[str, Any]:
    """Write ``change(current)`` to ``root/relative`` under its lock; return what was written.

    ``current`` is the file's JSON object read under the lock ({} when absent or unusable, or
    not ``read_current``: a file written whole each time need not be read), so concurrent
    writers each add to what the other wrote. ``root`` is trusted (the workspace, HOME); every
    folder below it and the file itself must not be a symlink.
    """
    try:
        with _folder(root, relative.parent) as folder, _locked(folder, relative.name, deadline):
            _remove_stale_temporaries(folder, relative.name)
            current = _current(folder, relative.name, limit) if read_current else JsonObject()
            data = change(current.data)
            _replace(folder, relative.name, json.dumps(data, sort_keys=True).encode(), mode)
            return data
    except OSError as exc:  # WriteFailed passes as it is
        raise WriteFailed(_reason(exc)) from None


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symlink is in its place"
    return exc.strerror or type(exc).__name__


@contextmanager
def _folder(root: Path, relative: PurePosixPath) -> Iterator[int]:
    """A descriptor of root/relative, made if missing; no folder below root may be a symlink."""
    root.mkdir(parents=True, exist_ok=True)  # root is trusted: the workspace, HOME
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in relative.parts:
            if part in ("", ".", ".."):
                continue
            with suppress(FileExistsError):
                os.mkdir(part, 0o700, dir_fd=fd)
            try:
                inner = os.open(part, _FOLDER, dir_fd=fd)
            except NotADirectoryError:
                if stat.S_ISLNK(os.stat(part, dir_fd=fd, follow_symlinks=False).st_mode):
                    raise WriteFailed(f"its folder {part} is a symlink") from None
                raise
            os.close(fd)
            fd = inner
        yield fd
    finally:
        os.close(fd)


@contextmanager
def _locked(folder: int, name: str, deadline: Deadline | None) -> Iterator[None]:
    """Hold an exclusive flock on ``<name>.lock``; WriteFailed when it cannot be had in time."""
    lock_name = name + LOCK_SUFFIX
    kind = _kind_of(folder, lock_name)
    if kind is not None and not stat.S_ISREG(kind):
        what = "a symlink" if stat.S_ISLNK(kind) else "not a regular file"
        raise WriteFailed(f"its lock file {lock_name} is {what}")
    # Read-only: flock needs no more, and a lock file that is a hard link to another file is
    # then never open for writing either.
    lock = os.open(
        lock_name,
        os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
        0o600,
        dir_fd=folder,
    )
    try:
        if not stat.S_ISREG(os.fstat(lock).st_mode):
            raise WriteFailed(f"its lock file {lock_name} is not a regular file")
        wait = LOCK_WAIT if deadline is None else max(deadline.cap(LOCK_WAIT), LOCK_GRACE)
        # Real seconds, not the deadline's clock: a test's clock need not move while we sleep.
        give_up = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    raise WriteFailed(
                        f"another step held its lock ({name}{LOCK_SUFFIX}) longer than this "
                        f"step could wait ({wait:.2f} s)"
                    ) from None
                time.sleep(_LOCK_POLL)
        yield  # closing the descriptor releases the lock
    finally:
        os.close(lock)


def _kind_of(folder: int, name: str) -> int | None:
    """The mode of ``name`` itself (a symlink's, not its target's); None when there is none."""
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return None


def _regular_or_absent(folder: int, name: str) -> bool:
    """Whether ``name`` is a regular file or nothing: a device or FIFO is not even opened
    (opening some devices does something), a symlink is left to O_NOFOLLOW to refuse."""
    kind = _kind_of(folder, name)
    return kind is None or stat.S_ISREG(kind) or stat.S_ISLNK(kind)


def _temporaries(folder: int, name: str) -> Iterator[str]:
    prefix = f"{TEMP_PREFIX}{name}."
    return (entry for entry in os.listdir(folder) if entry.startswith(prefix))


def _remove_stale_temporaries(folder: int, name: str) -> None:
    # Under the lock no other writer of this file is mid-write, so these were left by one that
    # died. unlink removes a symlink itself, never what it points at.
    for entry in _temporaries(folder, name):
        with suppress(OSError):  # a folder by that name, say: it is not ours to clear
            os.unlink(entry, dir_fd=folder)


def _current(folder: int, name: str, limit: int) -> JsonObject:
    """The file's object as it is now; {} when absent, a symlink or unusable (the reader of
    the file has already said so: here it is only replaced)."""
    if not _regular_or_absent(folder, name):
        return JsonObject()
    try:
        fd = os.open(
            name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder
        )
    except OSError:
        return JsonObject()
    try:
        return json_object_of([read_open_file(fd, limit, MAX_VALUES)])
    except (OSError, TooLarge, NotRegular, TooManyValues):
        return JsonObject()
    finally:
        os.close(fd)


def _replace(folder: int, name: str, content: bytes, mode: int) -> None:
    temporary = f"{TEMP_PREFIX}{name}.{os.getpid()}.{secrets.token_hex(6)}"
    fd = os.open(
        temporary,
        os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
        mode,
        dir_fd=folder,
    )
    try:
        try:
            os.fchmod(fd, mode)  # the umask may have taken bits a reader needs (the cursor)
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary, dir_fd=folder)
        raise
    with suppress(OSError):
        os.fsync(folder)  # the rename itself survives a crash
