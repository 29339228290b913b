"""Delivery rules, with the clock and the sleep injected: no test here sleeps for real."""

from __future__ import annotations

import base64
import gzip
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from pytest_httpx import HTTPXMock, IteratorStream

from compass_action.clients.delivery import Delivery, DeliveryResult, Outcome, compass_pacer
from compass_action.clients.http import MIN_RETRY_AFTER, Clock, Pacer, parse_retry_after
from tools.compass_standin import gzip_of_zeros

URL = "https://acme.atlassian.net/gateway/api/compass/v1/events"
BODY = b'{"cloudId":"c","event":{}}'
WALL = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


class FakeTime:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> Clock:
        return Clock(monotonic=self.monotonic, sleep=self.sleep, wall=lambda: WALL)


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


def send(fake: FakeTime, budget: float = 60.0, log: list[str] | None = None) -> DeliveryResult:
    lines = log if log is not None else []
    pacer = compass_pacer(clock=fake.monotonic, sleep=fake.sleep)
    with Delivery(
        URL, "me@example.com", "tok", budget, lines.append, clock=fake.clock(), pacer=pacer
    ) as delivery:
        return delivery.send(BODY)


def test_accepted_at_once(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(status_code=202)
    result = send(fake)
    assert (result.outcome, result.attempts, result.status) == (Outcome.ACCEPTED, 1, 202)
    request = httpx_mock.get_requests()[0]
    assert (
        request.headers["Authorization"]
        == "Basic " + base64.b64encode(b"me@example.com:tok").decode()
    )
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("compass-action/")
    assert fake.sleeps == []


def test_5xx_is_retried_with_growing_jittered_waits_and_the_same_body(
    httpx_mock: HTTPXMock, fake: FakeTime
) -> None:
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(status_code=502)
    httpx_mock.add_response(status_code=202)
    log: list[str] = []
    result = send(fake, log=log)

    assert (result.outcome, result.attempts) == (Outcome.ACCEPTED, 3)
    assert {request.content for request in httpx_mock.get_requests()} == {BODY}
    first, second = fake.sleeps
    assert 1 <= first <= 2 and 2 <= second <= 3
    assert len(log) == 2 and "HTTP 503" in log[0] and "retrying in" in log[0]


@pytest.mark.parametrize(
    "retry_after", ["7", format_datetime(WALL + timedelta(seconds=7), usegmt=True)]
)
def test_429_waits_for_retry_after(httpx_mock: HTTPXMock, fake: FakeTime, retry_after: str) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": retry_after})
    httpx_mock.add_response(status_code=202)
    result = send(fake)
    assert result.outcome is Outcome.ACCEPTED
    assert fake.sleeps == [7.0]


def test_a_retry_after_beyond_the_budget_ends_at_once(
    httpx_mock: HTTPXMock, fake: FakeTime
) -> None:
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "120"})
    result = send(fake, budget=60)
    assert (result.outcome, result.attempts, result.status) == (Outcome.UNAVAILABLE, 1, 429)
    assert "asked to wait 120 s" in result.reason
    assert fake.sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 302])
def test_client_errors_are_not_retried(httpx_mock: HTTPXMock, fake: FakeTime, status: int) -> None:
    httpx_mock.add_response(status_code=status, headers={"Location": "https://evil.example.com/"})
    result = send(fake)
    assert (result.outcome, result.attempts, result.status) == (Outcome.REJECTED, 1, status)
    assert len(httpx_mock.get_requests()) == 1  # a redirect is not followed either
    assert fake.sleeps == []


def test_a_store_conflict_is_retried(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_response(
        status_code=400, json={"errors": [{"type": "STORE_CONFLICT_EXCEPTION", "message": "x"}]}
    )
    httpx_mock.add_response(status_code=202)
    assert send(fake).attempts == 2


def test_unreachable_compass_is_retried_until_the_budget_is_spent(
    httpx_mock: HTTPXMock, fake: FakeTime
) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"), is_reusable=True)
    start = fake.now
    result = send(fake, budget=30)

    assert result.outcome is Outcome.UNAVAILABLE and result.answer is None
    assert result.attempts == len(fake.sleeps) + 1 >= 4
    assert fake.now - start <= 30
    assert "could not connect" in result.reason and "timeout of 30 s" in result.reason
    assert max(fake.sleeps) <= 16 + 1  # capped backoff plus jitter


def test_timeouts_are_retried(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"))
    httpx_mock.add_response(status_code=202)
    assert send(fake).outcome is Outcome.ACCEPTED


def test_each_attempt_is_limited_by_what_is_left_of_the_budget(
    httpx_mock: HTTPXMock, fake: FakeTime
) -> None:
    httpx_mock.add_response(status_code=202)
    send(fake, budget=5)
    httpx_mock.add_response(status_code=202)
    send(fake, budget=600)
    first, second = (request.extensions["timeout"]["read"] for request in httpx_mock.get_requests())
    assert first == 5 and second == 15


def test_the_pacer_keeps_under_the_rate_limit(fake: FakeTime) -> None:
    pacer = Pacer(limit=3, window=60, clock=fake.monotonic, sleep=fake.sleep)
    waits = [pacer.wait_turn() for _ in range(4)]
    assert waits[:3] == [0, 0, 0] and waits[3] == 60
    fake.now += 61
    assert pacer.wait_turn() == 0


def test_the_pacer_allows_100_requests_a_minute(fake: FakeTime) -> None:
    pacer = compass_pacer(clock=fake.monotonic, sleep=fake.sleep)
    sent = []
    for _ in range(250):
        pacer.wait_turn()
        sent.append(fake.now)
        fake.now += 0.01
    # No 60-second window holds more than 100 requests, and no request waited without need.
    assert max(sum(1 for t in sent if start <= t < start + 60) for start in sent) == 100
    assert len(fake.sleeps) == 2


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        ("0", 0.0),
        (format_datetime(WALL - timedelta(seconds=5), usegmt=True), 0.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("²", None),  # str.isdigit() says yes, float() says no: ignored, not a crash
        ("٣", None),  # an Arabic-Indic three, a digit to str.isdigit() too
        ("-1", None),
        ("1.5", None),
        ("1e3", None),
        ("Fri, 31 Dec 99999 23:59:59 GMT", None),
        ("Fri, 31 Feb 2026 23:59:59 GMT", None),
        ("9" * 400, float("9" * 400)),  # beyond any budget: ends the retries, see below
    ],
)
def test_retry_after_forms(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, WALL) == seconds


def test_a_certificate_that_fails_verification_is_not_retried(
    httpx_mock: HTTPXMock, fake: FakeTime
) -> None:
    failure = httpx.ConnectError("TLS handshake failed")
    failure.__cause__ = ssl.SSLCertVerificationError("certificate verify failed: self-signed")
    httpx_mock.add_exception(failure)
    result = send(fake)
    assert (result.outcome, result.attempts) == (Outcome.UNTRUSTED, 1)
    assert "self-signed" in result.reason
    assert fake.sleeps == []


def test_a_malformed_retry_after_falls_back_to_the_backoff(
    httpx_mock: HTTPXMock, fake: FakeTime
) -> None:
    httpx_mock.add_response(status_code=429, headers={b"Retry-After": "²".encode()})
    httpx_mock.add_response(status_code=202)
    result = send(fake)
    assert (result.outcome, result.attempts) == (Outcome.ACCEPTED, 2)
    assert 1 <= fake.sleeps[0] <= 2


def test_retry_after_zero_cannot_make_us_hammer(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    # It once sent 101 requests in 60 s with timeout 5: the waits were 0 s, then the pacer
    # slept past the budget. Now every wait is at least MIN_RETRY_AFTER and all fit the budget.
    httpx_mock.add_response(status_code=429, headers={"Retry-After": "0"}, is_reusable=True)
    start = fake.now
    result = send(fake, budget=5)
    assert result.outcome is Outcome.UNAVAILABLE and result.status == 429
    assert fake.sleeps == [MIN_RETRY_AFTER] * 4
    assert len(httpx_mock.get_requests()) == 5
    assert fake.now - start <= 5


def test_the_pacer_does_not_sleep_past_the_deadline(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    pacer = Pacer(limit=2, window=60, clock=fake.monotonic, sleep=fake.sleep)
    pacer.wait_turn()
    pacer.wait_turn()  # the window is full for the next 60 s
    with Delivery(
        URL, "me@example.com", "tok", 5, lambda _: None, clock=fake.clock(), pacer=pacer
    ) as delivery:
        result = delivery.send(BODY)
    assert (result.outcome, result.attempts, result.answer) == (Outcome.UNAVAILABLE, 1, None)
    # The pacer names its own limit (2 here; Compass's 100 in a real run).
    assert result.reason == (
        "the pace of 2 requests per user per minute would make the next request wait 60 s; "
        "no more retries within the timeout of 5 s"
    )
    assert fake.sleeps == []
    assert httpx_mock.get_requests() == []


def test_every_attempt_waits_its_turn_retries_too(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    # One request per 10 s: the retry after a 503 waits out its backoff, then the rest of the
    # window, and both waits count against the budget.
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(status_code=202)
    pacer = Pacer(limit=1, window=10, clock=fake.monotonic, sleep=fake.sleep)
    with Delivery(
        URL, "me@example.com", "tok", 60, lambda _: None, clock=fake.clock(), pacer=pacer
    ) as delivery:
        result = delivery.send(BODY)

    assert (result.outcome, result.attempts) == (Outcome.ACCEPTED, 2)
    backoff, turn = fake.sleeps
    assert 1 <= backoff <= 2 and backoff + turn == pytest.approx(10)
    assert len(httpx_mock.get_requests()) == 2


def test_a_trickled_body_is_read_until_the_deadline_only(
    httpx_mock: HTTPXMock, fake: FakeTime
) -> None:
    pulled: list[float] = []

    def trickle() -> Iterator[bytes]:
        while True:
            fake.now += 2  # a byte every 2 s
            pulled.append(fake.now)
            yield b"x"

    httpx_mock.add_response(status_code=503, stream=IteratorStream(trickle()))
    start = fake.now
    result = send(fake, budget=5)
    assert result.outcome is Outcome.UNAVAILABLE and result.attempts == 1
    assert "a body that did not arrive in full in time" in result.reason
    assert len(pulled) == 3 and fake.now - start == 6  # the chunk that passed the deadline


def test_a_huge_body_is_pulled_no_further_than_the_limit(
    httpx_mock: HTTPXMock, fake: FakeTime
) -> None:
    pulled: list[int] = []

    def gigabyte() -> Iterator[bytes]:
        for index in range(16 * 1024):
            pulled.append(index)
            yield bytes(64 * 1024)

    httpx_mock.add_response(status_code=400, stream=IteratorStream(gigabyte()))
    result = send(fake)
    assert (result.outcome, result.status) == (Outcome.REJECTED, 400)
    assert result.answer is not None
    assert result.answer.body_note == "a body larger than 64 KiB, not read further"
    assert len(pulled) == 2  # 64 KiB is the limit; the second chunk passes it


def test_compressed_answers_are_not_asked_for_but_decoded(
    httpx_mock: HTTPXMock, fake: FakeTime
) -> None:
    errors = b'{"errors":[{"type":"INVALID_INPUT","message":"environment is wrong"}]}'
    httpx_mock.add_response(
        status_code=400, content=gzip.compress(errors), headers={"Content-Encoding": "gzip"}
    )
    result = send(fake)
    assert httpx_mock.get_requests()[0].headers["Accept-Encoding"] == "identity"
    assert result.answer is not None
    assert result.answer.body_note == "INVALID_INPUT: environment is wrong"


def test_a_gzip_bomb_is_not_expanded(httpx_mock: HTTPXMock, fake: FakeTime) -> None:
    bomb = gzip_of_zeros(16 << 20)  # 16 MiB of zeros in about 16 KB
    httpx_mock.add_response(status_code=502, content=bomb, headers={"Content-Encoding": "gzip"})
    result = send(fake, budget=1)
    assert result.answer is not None
    assert result.answer.body_note == "a body larger than 64 KiB, not read further"


def test_an_answer_in_an_encoding_not_asked_for_is_described(
    httpx_mock: HTTPXMock, fake: FakeTime
) -> None:
    httpx_mock.add_response(
        status_code=400, content=b"\x1b\x00", headers={"Content-Encoding": "br"}
    )
    result = send(fake)
    assert result.answer is not None
    assert result.answer.body_note == "a body in the 'br' encoding, which was not asked for"
