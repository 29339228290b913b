"""The one deadline and the one bounded reader that every wait and read goes through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compass_action.limits import Deadline, DeadlineExceeded, TooLarge, read_bounded


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_deadline_counts_down_and_caps_waits() -> None:
    clock = FakeClock()
    deadline = Deadline(5, clock)
    assert deadline.remaining() == 5
    assert deadline.cap(15) == 5
    clock.now += 4
    assert deadline.cap(15) == pytest.approx(1)
    assert not deadline.expired()
    clock.now += 2
    assert deadline.remaining() == 0
    assert deadline.expired()
    with pytest.raises(DeadlineExceeded, match="timeout of 5 s"):
        deadline.check()


def test_read_bounded_stops_reading_past_the_limit() -> None:
    pulled: list[int] = []

    def chunks() -> Iterator[bytes]:
        for index in range(1000):
            pulled.append(index)
            yield b"x" * 100

    with pytest.raises(TooLarge):
        read_bounded(chunks(), limit=250)
    assert len(pulled) == 3  # nothing read after the chunk that passed the limit
    assert read_bounded([b"ab", b"cd"], limit=4) == b"abcd"


def test_read_bounded_stops_a_trickle_at_the_deadline() -> None:
    clock = FakeClock()
    deadline = Deadline(5, clock)

    def trickle() -> Iterator[bytes]:
        while True:
            clock.now += 2  # one byte every two seconds
            yield b"x"

    with pytest.raises(DeadlineExceeded):
        read_bounded(trickle(), limit=10_000, deadline=deadline)
    assert clock.now <= 100 + 5 + 2
