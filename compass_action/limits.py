"""The bounds every wait and every read obeys: one deadline, one bounded reader.

A hostile or broken peer (a server that trickles one byte at a time, a gzip bomb, a FIFO at the
path of a file we read) must not keep a step alive past its ``timeout`` or fill the runner's
memory. Every path that waits or reads takes its limits from here rather than its own.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable, Iterator


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
