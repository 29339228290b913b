"""The bounds every wait and every read obeys: one deadline, one bounded reader.

A hostile or broken peer (a server that trickles one byte at a time, a gzip bomb, a FIFO at the
path of a file we read) must not keep a step alive past its ``timeout`` or fill the runner's
memory. Every path that waits or reads takes its limits from here rather than its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable


class DeadlineExceeded(Exception):
    """The time budget ran out while waiting or reading."""


class TooLarge(Exception):
    """A body or file was larger than we are willing to hold."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


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


def read_bounded(chunks: Iterable[bytes], limit: int, deadline: Deadline | None = None) -> bytes:
    """Join ``chunks`` into one body of at most ``limit`` bytes, within ``deadline``.

    Raises TooLarge as soon as the limit is passed (nothing more is read) and DeadlineExceeded
    when the deadline passes between two chunks, so a peer that sends a byte at a time cannot
    stretch the read past the budget.
    """
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise TooLarge(limit)
        parts.append(chunk)
        if deadline is not None:
            deadline.check()
    return b"".join(parts)
