"""Delivery against a hostile stand-in on loopback: real sockets, in process, no subprocess.

The clock is real here (the sockets are), so time is asserted against the budget with generous
slack, never tightly: each hostile answer, unbounded, would take many times the slack allowed.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
import time
import tracemalloc
import zlib

import httpx
import pytest

from compass_action.clients.delivery import Delivery, DeliveryResult, Outcome, compass_pacer
from compass_action.clients.http import MAX_ANSWER_BYTES
from tools.compass_standin import ScriptedAnswer, Standin, gzip_of_zeros

from .conftest import EMAIL, TOKEN

# Slack over the budget for a test on real sockets: the deadline itself is exact to a few
# milliseconds (each socket operation is capped at it); this only absorbs a busy test machine.
SLACK = 2.0
# The budget of the tests whose answer never completes: they end at it, in real time, so it is
# short; every hostile answer below would take over 10 s, twenty times as long.
CUT = 0.5
EVENTS = "/gateway/api/compass/v1/events"


def deliver(server: Standin, budget: float) -> tuple[DeliveryResult, float]:
    """Send one body, with a fresh pacer; return the result and the seconds it took."""
    started = time.monotonic()
    with Delivery(
        server.base_url + EVENTS, EMAIL, TOKEN, budget, lambda _: None, pacer=compass_pacer()
    ) as delivery:
        result = delivery.send(b'{"cloudId":"c","event":{}}')
    return result, time.monotonic() - started


def test_a_status_line_trickled_a_byte_at_a_time_ends_at_the_budget() -> None:
    # 0.2 s a byte: the status line and headers alone would take over 10 s; httpx's own timeout
    # never fires, as each byte comes well within it.
    with Standin(EMAIL, TOKEN, script=[ScriptedAnswer(202, trickle=0.2, trickle_head=True)]) as s:
        result, took = deliver(s, budget=CUT)
        assert len(s.received()) == 1

    assert (result.outcome, result.attempts, result.answer) == (Outcome.UNAVAILABLE, 1, None)
    assert result.reason == (
        f"no answer in time (timeout); no more retries within the timeout of {CUT:g} s"
    )
    assert took < CUT + SLACK


def test_a_trickled_error_body_ends_at_the_budget() -> None:
    answer = ScriptedAnswer(503, body="x" * 1000, trickle=0.2)  # 200 s to send it all
    with Standin(EMAIL, TOKEN, script=[answer] * 5) as s:
        result, took = deliver(s, budget=CUT)
        sent = [item.sent_bytes for item in s.received()]

    assert result.outcome is Outcome.UNAVAILABLE and result.status == 503
    assert "a body that did not arrive in full in time" in result.reason
    assert took < CUT + SLACK
    assert sum(sent) < 1000 * len(sent) / 10


def test_an_acceptance_stays_one_when_its_body_trickles() -> None:
    with Standin(EMAIL, TOKEN, script=[ScriptedAnswer(202, body="{}" * 500, trickle=0.2)]) as s:
        result, took = deliver(s, budget=1)

    assert (result.outcome, result.status) == (Outcome.ACCEPTED, 202)
    assert took < 1 + SLACK


def test_a_huge_body_is_read_no_further_than_the_limit() -> None:
    with Standin(EMAIL, TOKEN, script=[ScriptedAnswer(500, body_size=1 << 30)]) as s:
        result, _ = deliver(s, budget=1.5)  # room for one attempt only
        [received] = s.received()

    assert result.outcome is Outcome.UNAVAILABLE and result.status == 500
    assert "a body larger than 64 KiB, not read further" in result.reason
    # What the stand-in got out before we hung up: the limit plus the sockets' buffers.
    assert received.sent_bytes < 64 << 20


def test_a_huge_body_takes_bounded_memory() -> None:
    tracemalloc.start()
    try:
        with Standin(EMAIL, TOKEN, script=[ScriptedAnswer(500, body_size=256 << 20)]) as s:
            result, _ = deliver(s, budget=1.5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "larger than 64 KiB" in result.reason
    assert peak < 4 << 20  # a 256 MiB body, a few MiB at most held (stand-in included)


def test_a_gzip_bomb_is_not_expanded() -> None:
    bomb = ScriptedAnswer(500, gzip_bomb=64 << 20)  # 64 MiB of zeros in about 64 KB
    # Compressed now, before the budget's clock starts and outside the memory measured: the
    # budget and the peak are then the client's alone, however loaded the machine.
    bomb.prepare()
    tracemalloc.start()
    try:
        with Standin(EMAIL, TOKEN, script=[bomb]) as s:
            result, _ = deliver(s, budget=1.5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.outcome is Outcome.UNAVAILABLE and result.status == 500
    assert "a body larger than 64 KiB, not read further" in result.reason
    assert peak < 4 << 20


@pytest.mark.parametrize("size", [0, 5, (1 << 20) - 1, 2 << 20, (2 << 20) + 1, (5 << 20) + 12345])
def test_a_bomb_expands_to_exactly_its_size_in_zeros(size: int) -> None:
    # Sizes around the MiB that is packed once and repeated, and its remainder packed alone;
    # zlib checks the trailer (the CRC-32 and the size) as it expands.
    bomb = gzip_of_zeros(size)
    assert zlib.decompress(bomb, 16 + zlib.MAX_WBITS) == bytes(size)
    assert len(bomb) < 100 + size // 900  # about 1 KB a MiB: a bomb


def test_the_stand_in_compresses_its_bombs_before_any_request() -> None:
    gzip_of_zeros.cache_clear()
    bomb, later = ScriptedAnswer(503, gzip_bomb=3 << 20), ScriptedAnswer(503, gzip_bomb=5 << 20)
    with Standin(EMAIL, TOKEN, script=[bomb], answers_for={"x": later}) as server:
        assert gzip_of_zeros.cache_info().currsize == 2
        assert server.received() == []


def test_deeply_nested_json_is_described_not_crashed_on() -> None:
    # 20,000 levels (40 KB): far deeper than Python's recursion limit, within the size limit.
    with Standin(EMAIL, TOKEN, script=[ScriptedAnswer(400, nest=20_000)]) as s:
        result, _ = deliver(s, budget=5)

    assert (result.outcome, result.status) == (Outcome.REJECTED, 400)
    assert result.answer is not None
    assert result.answer.body_note.startswith('a body that is not JSON: \'{"errors":[[[[')


def test_the_echoing_error_page_reflects_the_credentials_it_was_sent() -> None:
    # The stand-in's echo mode, which the secret-scrubbing tests rely on, does echo.
    with Standin(EMAIL, TOKEN, script=[ScriptedAnswer(400, body="Oops", echo=True)]) as s:
        answer = httpx.post(s.base_url + EVENTS, content=b'{"a":1}', auth=(EMAIL, TOKEN))

    credentials = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    assert answer.status_code == 400 and answer.headers["content-type"] == "text/html"
    assert "<title>Bad request</title>" in answer.text and "Oops" in answer.text
    assert f"Authorization: Basic {credentials}" in answer.text and '{"a":1}' in answer.text


def test_plain_http_to_loopback_never_goes_through_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    accept = [ScriptedAnswer(202)]
    with Standin(EMAIL, TOKEN) as proxy, Standin(EMAIL, TOKEN, script=accept) as server:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, proxy.base_url)
        result, _ = deliver(server, budget=5)

        assert result.outcome is Outcome.ACCEPTED
        assert proxy.received() == []  # the Basic credentials never reached the proxy
        assert len(server.received()) == 1 and server.received()[0].authorized


def test_the_limit_is_64_kib() -> None:
    assert MAX_ANSWER_BYTES == 64 * 1024


class TricklingProxy:
    """A proxy that answers a CONNECT one byte every ``interval`` seconds, on loopback."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self.requests: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        connection, _ = self._listener.accept()
        with connection:
            self.requests.append(connection.recv(4096))
            for byte in b"HTTP/1.1 200 Connection established\r\n\r\n":
                if self._stop.wait(self._interval):
                    return
                with contextlib.suppress(OSError):
                    connection.sendall(bytes([byte]))

    def __enter__(self) -> TricklingProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._listener.close()


def test_https_still_goes_through_the_proxy_and_the_deadline_holds_there_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with TricklingProxy(interval=0.2) as proxy:  # 8 s to answer the CONNECT
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        started = time.monotonic()
        with Delivery(
            "https://acme.atlassian.net" + EVENTS,
            EMAIL,
            TOKEN,
            CUT,
            lambda _: None,
            pacer=compass_pacer(),
        ) as delivery:
            result = delivery.send(b"{}")
        took = time.monotonic() - started

    assert proxy.requests[0].startswith(b"CONNECT acme.atlassian.net:443 ")
    assert (result.outcome, result.attempts) == (Outcome.UNAVAILABLE, 1)
    assert "no answer in time (timeout)" in result.reason
    assert took < CUT + SLACK


def test_hostile_modes_can_be_scripted_from_json() -> None:
    item = {
        "status": 503,
        "body": "busy",
        "trickle": 0.5,
        "trickle_head": True,
        "body_size": 1000,
        "gzip_bomb": 1 << 20,
        "echo": True,
        "nest": 30,
    }
    assert ScriptedAnswer.from_json(item) == ScriptedAnswer(
        503, "busy", {}, 0.0, 0.5, True, 1000, 1 << 20, True, 30
    )
