"""The bounds every wait and every read obeys: one deadline, one bounded reader.

A hostile or broken peer (a server that trickles one byte at a time, a gzip bomb, a FIFO at the
path of a file we read) must not keep a step alive past its ``timeout`` or fill the runner's
memory. Every path that waits or reads takes its limits from here rather than its own.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class DeadlineExceeded(Exception):
    """The time budget ran out while waiting or reading."""


class TooLarge(Exception):
    """A body or file was larger than we are willing to hold."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class Undecodable(Exception):
    """A body in a content encoding we cannot (or will not) decode."""


class Deadline:
    """A point in time that every wait, read, parse and pacing decision consults."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.budget = seconds
        self._end = clock() + seconds

    def remaining(self) -> float:
        """Seconds left, never below zero."""
        return max(0.0, self._end - self._clock())

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def cap(self, seconds: float) -> float:
        """``seconds``, or what is left of the budget if that is less."""
        return min(seconds, self.remaining())

    def check(self) -> None:
        if self.expired():
            raise DeadlineExceeded(f"the timeout of {self.budget:g} s ran out")


def read_bounded(
    chunks: Iterable[bytes],
    limit: int,
    deadline: Deadline | None = None,
    *,
    encoding: str = "identity",
) -> bytes:
    """Join ``chunks`` into one body of at most ``limit`` bytes, within ``deadline``.

    Raises TooLarge as soon as the limit is passed (nothing more is read) and DeadlineExceeded
    when the deadline passes between two chunks, so a peer that sends a byte at a time cannot
    stretch the read past the budget. ``encoding`` is an HTTP Content-Encoding; a gzip or
    deflate body is decoded here, and the limit holds for the bytes read and for the decoded
    bytes alike, so a small bomb cannot expand past it either. Others raise Undecodable.
    """
    parts: list[bytes] = []
    size = 0
    for piece in _decoded(_capped(chunks, limit, deadline), encoding, limit):
        size += len(piece)
        if size > limit:
            raise TooLarge(limit)
        parts.append(piece)
    return b"".join(parts)


def _capped(chunks: Iterable[bytes], limit: int, deadline: Deadline | None) -> Iterator[bytes]:
    """The chunks as read, stopping at ``limit`` bytes or at the deadline."""
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise TooLarge(limit)
        if deadline is not None:
            deadline.check()
        yield chunk


# gzip and zlib ("deflate" in HTTP) streams alike: zlib tells them apart by their header.
_GZIP_OR_ZLIB = 32 + zlib.MAX_WBITS


def _decoded(chunks: Iterable[bytes], encoding: str, limit: int) -> Iterator[bytes]:
    name = encoding.strip().lower()
    if name in ("", "identity"):
        yield from chunks
        return
    if name not in ("gzip", "x-gzip", "deflate"):
        raise Undecodable(f"a body in the {encoding!r} encoding, which was not asked for")
    decoder = zlib.decompressobj(_GZIP_OR_ZLIB)
    try:
        for chunk in chunks:
            data = chunk
            # max_length keeps each step at limit + 1 bytes: enough to see the limit passed,
            # never the whole expansion of a bomb in memory at once.
            while data and not decoder.eof:
                yield decoder.decompress(data, limit + 1)
                data = decoder.unconsumed_tail
    except zlib.error as exc:
        raise Undecodable(f"a {name} body that does not decompress ({exc})") from None


# -- JSON from outside ----------------------------------------------------------------------------

# Python refuses to turn more than 4,300 digits into an int (and takes quadratic time below
# that); no id, count or number we read has more than this many digits.
MAX_INT_DIGITS = 30


class LongNumber:
    """What a JSON integer of more than MAX_INT_DIGITS digits is read as: a marker, never an
    int, so that whatever expects a number there refuses it (the item is skipped) instead of
    failing on it later."""

    def __repr__(self) -> str:
        return f"<an integer of more than {MAX_INT_DIGITS} digits>"


LONG_NUMBER = LongNumber()


def bounded_int(digits: str) -> int | None:
    """``digits`` (ASCII, an optional minus) as an int; None when not that, or too long."""
    bare = digits.removeprefix("-")
    if not (bare.isascii() and bare.isdigit()) or len(bare) > MAX_INT_DIGITS:
        return None
    return int(digits)


def _json_int(digits: str) -> int | LongNumber:
    number = bounded_int(digits)
    return LONG_NUMBER if number is None else number


def json_values(body: bytes) -> int:
    """At most how many values (objects, arrays, numbers, strings...) a JSON text holds.

    Every value but the last of a container is followed by a comma, and every container opens
    with a bracket; commas and brackets inside strings only make the count larger. Counting
    runs in C over the bytes, before anything is built from them.
    """
    return body.count(b",") + body.count(b"{") + body.count(b"[") + 1


def loads_json(body: bytes, max_values: int | None = None) -> Any:
    """``body`` parsed as JSON, refused (TooLarge) when it may hold more than ``max_values``
    values; an integer too long to be one we read becomes LONG_NUMBER. ValueError and
    RecursionError as ``json.loads`` raises them."""
    if max_values is not None and json_values(body) > max_values:
        raise TooLarge(max_values)
    return json.loads(body, parse_int=_json_int)
