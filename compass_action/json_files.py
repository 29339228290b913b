"""Reading the JSON files the runner and earlier steps leave, which may be missing or hostile.

Whatever sits at such a path must neither hang nor crash the step: a FIFO with no writer would
block a plain ``open``, ``/dev/zero`` never ends, a directory or a huge file cannot be read
whole, and a deeply nested document makes the parser recurse past Python's limit. So the path is
opened non-blocking, must be a regular file, is read through the one bounded reader, and any
failure becomes a reason the caller reports, with the file then treated as empty.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .limits import TooLarge, read_bounded

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class JsonObject:
    """The object read, or {} and ``problem``, why the file was ignored (None when it was not)."""

    data: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


def read_json_object(path: Path | None, limit: int) -> JsonObject:
    """The JSON object in ``path``: empty when there is no path or no file, never an exception."""
    if path is None:
        return JsonObject()
    try:
        raw = read_regular_file(path, limit)
    except FileNotFoundError:
        # Nothing recorded yet (a first step), or no payload: normal, not worth a word.
        return JsonObject()
    except TooLarge:
        return JsonObject(problem=f"is larger than {limit} bytes")
    except NotRegular as exc:
        return JsonObject(problem=f"is {exc.kind}, not a regular file")
    except OSError as exc:
        return JsonObject(problem=f"cannot be read ({exc.strerror or type(exc).__name__})")
    return _parse(raw)


class NotRegular(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, at most ``limit``; NotRegular, TooLarge or OSError else."""
    # Checked before opening, so a device is never opened; checked again on the open descriptor,
    # so a path swapped in between cannot slip through. O_NONBLOCK keeps a FIFO from blocking.
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegular(_kind(mode))
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(_kind(info.st_mode))
        if info.st_size > limit:
            raise TooLarge(limit)
        # The file may grow while it is read; the bounded reader stops at the limit all the same.
        return read_bounded(_chunks(fd), limit)
    finally:
        os.close(fd)


def _chunks(fd: int) -> Iterator[bytes]:
    while chunk := os.read(fd, _CHUNK):
        yield chunk


def _parse(raw: bytes) -> JsonObject:
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        return JsonObject(problem="nests too deeply to be read")
    except ValueError:  # UnicodeDecodeError and JSONDecodeError both are
        return JsonObject(problem="is not UTF-8 JSON")
    if not isinstance(data, dict):
        return JsonObject(problem="does not hold a JSON object")
    return JsonObject(data)
