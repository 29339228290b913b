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
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .limits import TooLarge, read_bounded

_CHUNK = 64 * 1024
# Memory follows the number of values, not the bytes: 31 MiB of ``{},`` is ten million dicts,
# near 900 MB. A value after the first in an array or object follows a comma, and an array or
# object opens with a bracket, so the commas and opening brackets (counted at C speed as the
# file is read, those in strings too) bound the values from above, and reading stops as soon as
# they pass the bound. GitHub's payloads have about one per 40 bytes, so a 25 MB payload,
# the most GitHub sends, passes; what passes costs at most about 100 MB once parsed
# (docs/hostile-input.md has the measurements).
MAX_VALUES = 750_000


@dataclass(frozen=True)
class JsonObject:
    """The object read, or {} and ``problem``, why the file was ignored (None when it was not)."""

    data: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None


def read_json_object(path: Path | None, limit: int, inside: Path | None = None) -> JsonObject:
    """The JSON object in ``path``: empty when there is no path or no file, never an exception.

    At most ``limit`` bytes and MAX_VALUES values are read. With ``inside`` (the workspace,
    HOME), a path that resolves out of that folder, through a symlink, is refused: a file
    planted as a link to another place is not read.
    """
    if path is None:
        return JsonObject()
    if inside is not None and not _within(path, inside):
        return JsonObject(problem=f"points out of {inside}, not a file to read")
    # Held in a list the parser empties, so the bytes are freed once decoded, before parsing.
    raw: list[bytes] = []
    try:
        raw.append(read_regular_file(path, limit, MAX_VALUES))
    except FileNotFoundError:
        # Nothing recorded yet (a first step), or no payload: normal, not worth a word.
        return JsonObject()
    except TooLarge:
        return JsonObject(problem=f"is larger than {limit} bytes")
    except TooManyValues:
        return JsonObject(problem=f"holds more than {MAX_VALUES} values")
    except NotRegular as exc:
        return JsonObject(problem=f"is {exc.kind}, not a regular file")
    except OSError as exc:
        return JsonObject(problem=f"cannot be read ({exc.strerror or type(exc).__name__})")
    return json_object_of(raw)


def _within(path: Path, folder: Path) -> bool:
    real, root = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return real == root or root in real.parents


class NotRegular(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class TooManyValues(Exception):
    """A JSON document with more values than we are willing to build objects for."""


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


def read_regular_file(path: Path, limit: int, values: int | None = None) -> bytes:
    """The bytes of a regular file, at most ``limit`` (and, for JSON, ``values`` values);
    NotRegular, TooLarge, TooManyValues or OSError else."""
    # Checked before opening, so a device is never opened; checked again on the open descriptor,
    # so a path swapped in between cannot slip through. O_NONBLOCK keeps a FIFO from blocking.
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise NotRegular(_kind(mode))
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        return read_open_file(fd, limit, values)
    finally:
        os.close(fd)


def read_open_file(fd: int, limit: int, values: int | None = None) -> bytes:
    """The bytes of the regular file open at ``fd``, as read_regular_file."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise NotRegular(_kind(info.st_mode))
    if info.st_size > limit:
        raise TooLarge(limit)
    # The file may grow while it is read; the bounded reader stops at the limit all the same.
    chunks = _chunks(fd) if values is None else _counted(_chunks(fd), values)
    return read_bounded(chunks, limit)


def _chunks(fd: int) -> Iterator[bytes]:
    while chunk := os.read(fd, _CHUNK):
        yield chunk


def _counted(chunks: Iterator[bytes], values: int) -> Iterator[bytes]:
    seen = 0
    for chunk in chunks:
        seen += chunk.count(b",") + chunk.count(b"[") + chunk.count(b"{")
        if seen > values:
            raise TooManyValues(values)
        yield chunk


def json_object_of(raw: list[bytes]) -> JsonObject:
    """The JSON object in the one item of ``raw`` (taken out, so it is freed once decoded),
    or {} and why not."""
    try:
        text = raw.pop().decode("utf-8")
        data = json.loads(text)
    except RecursionError:
        return JsonObject(problem="nests too deeply to be read")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return JsonObject(problem="is not UTF-8 JSON")
    except ValueError:  # what else json.loads raises: an integer past Python's digit limit
        return JsonObject(
            problem=f"holds a number of more than {sys.get_int_max_str_digits()} digits"
        )
    if not isinstance(data, dict):
        return JsonObject(problem="does not hold a JSON object")
    return JsonObject(data)
