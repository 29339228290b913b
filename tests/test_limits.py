"""The one deadline and the one bounded reader that every wait and read goes through."""

from __future__ import annotations

import gzip
import re
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest

from compass_action.limits import (
    Deadline,
    DeadlineExceeded,
    TooLarge,
    Undecodable,
    read_bounded,
)
from tools.compass_standin import gzip_of_zeros


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


def _in_chunks(data: bytes, size: int, pulled: list[int]) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        pulled.append(start)
        yield data[start : start + size]


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", " GZIP "])
def test_a_compressed_body_is_decoded(encoding: str) -> None:
    text = b'{"errors":[{"type":"INVALID_INPUT","message":"environment is wrong"}]}' * 20
    deflate = encoding.strip().lower() == "deflate"
    packed = zlib.compress(text) if deflate else gzip.compress(text)
    assert read_bounded([packed[:10], packed[10:]], 64 * 1024, encoding=encoding) == text


def test_a_gzip_bomb_stops_at_the_limit_of_decoded_bytes() -> None:
    bomb = gzip_of_zeros(16 << 20)  # 16 MiB of zeros in about 16 KB
    pulled: list[int] = []
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge):
            read_bounded(_in_chunks(bomb, 4096, pulled), 64 * 1024, encoding="gzip")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(pulled) == 1  # the first 4 KB already expand past 64 KiB: nothing more is read
    assert peak < 1 << 20  # never more than the limit (and a chunk) held at once


def test_the_limit_holds_for_the_compressed_bytes_too() -> None:
    # Empty deflate blocks decode to nothing: without a cap on the bytes read, a server could
    # stream them for ever.
    empty_blocks = zlib.compress(b"")[:2] + b"\x00\x00\x00\xff\xff" * 100_000
    pulled: list[int] = []
    with pytest.raises(TooLarge):
        read_bounded(_in_chunks(empty_blocks, 1000, pulled), 64 * 1024, encoding="deflate")
    assert len(pulled) == 66  # 66 chunks of 1000 bytes pass 64 KiB


@pytest.mark.parametrize(
    ("encoding", "body", "says"),
    [
        ("br", b"\x1b\x00", "in the 'br' encoding, which was not asked for"),
        ("gzip, gzip", b"", "in the 'gzip, gzip' encoding"),
        ("gzip", b"not gzip at all", "a gzip body that does not decompress"),
    ],
)
def test_an_encoding_we_cannot_decode_is_said_so(encoding: str, body: bytes, says: str) -> None:
    with pytest.raises(Undecodable, match=re.escape(says)):
        read_bounded([body], 1000, encoding=encoding)
