"""Send one event body to Compass: retries, the time budget, pacing under the rate limit.

Retries use tenacity rather than stamina (which wraps tenacity): tenacity lets us inject the
sleep and the clock, so the tests check every wait without sleeping, and lets the wait read
``Retry-After`` from the failed answer and the stop rule look at the wait before taking it.
"""

from __future__ import annotations

import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential_jitter

from . import __version__
from .compass_responses import Answer, Verdict, describe_retry_reason, read_answer

# A single attempt never waits longer than this, however much of the budget is left.
PER_ATTEMPT_TIMEOUT = 15.0
# Below this much budget another attempt cannot finish anyway.
MIN_ATTEMPT_SECONDS = 0.5
# Compass's documented limit: 100 requests per user per minute.
RATE_LIMIT_REQUESTS = 100
RATE_LIMIT_WINDOW = 60.0


class Outcome(Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # Compass said no; retrying cannot help
    UNTRUSTED = "untrusted"  # the site's TLS certificate failed verification
    UNAVAILABLE = "unavailable"  # no acceptance within the budget


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Outcome
    attempts: int
    answer: Answer | None  # the last HTTP answer, if any came
    reason: str  # why it ended so, for the log

    @property
    def status(self) -> int | None:
        return None if self.answer is None else self.answer.status


class _RetryableAnswer(Exception):
    def __init__(self, answer: Answer, retry_after: float | None) -> None:
        super().__init__(describe_retry_reason(answer))
        self.answer = answer
        self.retry_after = retry_after


class Pacer:
    """Keeps one process under the per-user rate limit by waiting, not by collecting 429s."""

    def __init__(
        self,
        limit: int = RATE_LIMIT_REQUESTS,
        window: float = RATE_LIMIT_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limit, self._window = limit, window
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque()

    def wait_turn(self) -> float:
        """Block until a request may go out; return how long that took."""
        now = self._clock()
        while self._sent and now - self._sent[0] >= self._window:
            self._sent.popleft()
        waited = 0.0
        if len(self._sent) >= self._limit:
            waited = self._sent[0] + self._window - now
            self._sleep(waited)
            self._sent.popleft()
        self._sent.append(now + waited)
        return waited


_PACERS: dict[str, Pacer] = {}


def pacer_for(user: str) -> Pacer:
    """One pacer per account, shared by every delivery in this process."""
    return _PACERS.setdefault(user.lower(), Pacer())


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class Clock:
    """The time sources delivery depends on, replaceable in tests."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    wall: Callable[[], datetime] = lambda: datetime.now(UTC)


class Delivery:
    def __init__(
        self,
        url: str,
        user: str,
        token: str,
        budget: float,
        log: Callable[[str], None],
        *,
        clock: Clock | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self._url = url
        self._budget = budget
        self._log = log
        self._clock = clock or Clock()
        self._pacer = pacer or pacer_for(user)
        self._client = httpx.Client(
            auth=httpx.BasicAuth(user, token),
            verify=_tls_verification(url),
            follow_redirects=False,  # never carry the credentials to another host
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                "User-Agent": f"compass-action/{__version__}",
            },
        )

    def __enter__(self) -> Delivery:
        return self

    def __exit__(self, *_: object) -> None:
        self._client.close()

    def send(self, body: bytes) -> DeliveryResult:
        """POST the same bytes on every attempt, so a retry can never make a second event."""
        deadline = self._clock.monotonic() + self._budget
        attempts = 0

        def attempt() -> Answer:
            nonlocal attempts
            attempts += 1
            self._pacer.wait_turn()
            remaining = max(MIN_ATTEMPT_SECONDS, deadline - self._clock.monotonic())
            response = self._client.post(
                self._url, content=body, timeout=min(PER_ATTEMPT_TIMEOUT, remaining)
            )
            answer = read_answer(
                response.status_code,
                response.headers.get("content-type", ""),
                response.content,
                response.headers.get("location"),
            )
            if answer.verdict is Verdict.RETRY:
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"), self._clock.wall()
                )
                raise _RetryableAnswer(answer, retry_after)
            return answer

        retrying = Retrying(
            retry=retry_if_exception(_worth_retrying),
            wait=self._wait,
            stop=lambda state: self._out_of_budget(state, deadline),
            sleep=self._clock.sleep,
            before_sleep=lambda state: self._log_retry(state, deadline),
            reraise=True,
        )
        try:
            answer = retrying(attempt)
        except _RetryableAnswer as exc:
            return DeliveryResult(Outcome.UNAVAILABLE, attempts, exc.answer, self._gave_up(exc))
        except httpx.TransportError as exc:
            certificate = _certificate_error(exc)
            if certificate is not None:
                return DeliveryResult(Outcome.UNTRUSTED, attempts, None, str(certificate))
            return DeliveryResult(Outcome.UNAVAILABLE, attempts, None, self._gave_up(exc))
        if answer.verdict is Verdict.ACCEPTED:
            return DeliveryResult(Outcome.ACCEPTED, attempts, answer, f"HTTP {answer.status}")
        return DeliveryResult(Outcome.REJECTED, attempts, answer, f"HTTP {answer.status}")

    _backoff = wait_exponential_jitter(initial=1, max=16, jitter=1)

    def _wait(self, state: RetryCallState) -> float:
        """Honour the server's Retry-After; otherwise exponential backoff with jitter."""
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _RetryableAnswer) and failure.retry_after is not None:
            return failure.retry_after
        return float(self._backoff(state))

    def _out_of_budget(self, state: RetryCallState, deadline: float) -> bool:
        left_after_wait = deadline - self._clock.monotonic() - state.upcoming_sleep
        return left_after_wait < MIN_ATTEMPT_SECONDS

    def _log_retry(self, state: RetryCallState, deadline: float) -> None:
        failure = state.outcome.exception() if state.outcome else None
        left = deadline - self._clock.monotonic()
        self._log(
            f"Attempt {state.attempt_number} failed: {_reason(failure)}; "
            f"retrying in {state.upcoming_sleep:.1f} s ({left:.0f} s of the timeout left)"
        )

    def _gave_up(self, failure: BaseException) -> str:
        return f"{_reason(failure)}; no more retries within the timeout of {self._budget:g} s"


def _tls_verification(url: str) -> bool | ssl.SSLContext:
    """Full verification against the trust store for https (the only scheme used with Compass).

    Plain http is accepted only to a loopback stand-in and never negotiates TLS, so it gets a
    context that verifies against nothing instead of loading a trust store (some 14 ms) it
    would not use.
    """
    if url.startswith("https://"):
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _certificate_error(failure: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate failure behind a connection error, if that is what it was."""
    cause: BaseException | None = failure
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


def _worth_retrying(failure: BaseException) -> bool:
    """Overload and network trouble pass; a certificate that fails verification does not."""
    if isinstance(failure, _RetryableAnswer):
        return True
    return isinstance(failure, httpx.TransportError) and _certificate_error(failure) is None


def _reason(failure: BaseException | None) -> str:
    if isinstance(failure, _RetryableAnswer):
        if failure.retry_after is not None:
            return f"{failure} (Compass asked to wait {failure.retry_after:g} s)"
        return str(failure)
    if isinstance(failure, httpx.TimeoutException):
        return "no answer in time (timeout)"
    if isinstance(failure, httpx.ConnectError):
        return f"could not connect ({failure})"
    if isinstance(failure, httpx.TransportError):
        return f"connection failed ({type(failure).__name__}: {failure})"
    return str(failure)
