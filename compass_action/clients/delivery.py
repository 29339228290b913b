"""Deliver one event to Compass's events endpoint: what its answers mean for the send.

The HTTP layer (``http.py``) does the connection, the deadline, the bounded read, retries and
pacing; this client adds Compass's side: Basic credentials, its rate limit, which answers are
worth another attempt, and the outcome of the send.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum
from typing import NamedTuple

import httpx

from ..limits import Deadline, DeadlineExceeded
from .compass_answers import Answer, RetryableAnswer, Verdict, answer_of
from .http import (
    Clock,
    HttpClient,
    NoTurn,
    Pacer,
    RetryPolicy,
    certificate_error,
    describe_failure,
)

# Compass's documented limit: 100 requests per user per minute.
RATE_LIMIT_REQUESTS = 100
RATE_LIMIT_WINDOW = 60.0
# Our pacer counts a request when it goes out, Compass when it arrives; a later request that
# travels faster than the first would arrive inside Compass's minute. This much slack covers it.
RATE_LIMIT_SLACK = 1.0


class Outcome(Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # Compass said no; retrying cannot help
    UNTRUSTED = "untrusted"  # the site's TLS certificate failed verification
    UNAVAILABLE = "unavailable"  # no acceptance within the budget


class DeliveryResult(NamedTuple):
    outcome: Outcome
    attempts: int
    answer: Answer | None  # the last HTTP answer, if any came
    reason: str  # why it ended so, for the log

    @property
    def status(self) -> int | None:
        return None if self.answer is None else self.answer.status


_PACERS: dict[str, Pacer] = {}


def compass_pacer(
    clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
) -> Pacer:
    """A pacer at Compass's documented rate limit."""
    return Pacer(RATE_LIMIT_REQUESTS, RATE_LIMIT_WINDOW + RATE_LIMIT_SLACK, clock, sleep)


def pacer_for(user: str, clock: Clock | None = None) -> Pacer:
    """One pacer per account, shared by every request of this process to Compass (events,
    GraphQL, retries), on the run's clock."""
    key = user.lower()
    if key not in _PACERS:
        clock = clock or Clock()
        _PACERS[key] = compass_pacer(clock.monotonic, clock.sleep)
    return _PACERS[key]


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
        method: str = "POST",
        content_type: str = "application/json",
    ) -> None:
        """``method`` and ``content_type``: PUT and multipart for the uploads of extras/."""
        self._url = url
        self._method = method
        self._budget = budget
        self._clock = clock or Clock()
        self._pacer = pacer or pacer_for(user, self._clock)
        self._retries = RetryPolicy(self._clock, log)
        self._http = HttpClient(
            url,
            httpx.BasicAuth(user, token),
            {"Accept": "application/json", "Content-Type": content_type},
            self._clock,
        )

    def __enter__(self) -> Delivery:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def send(self, body: bytes, deadline: Deadline | None = None) -> DeliveryResult:
        """POST the same bytes on every attempt, so a retry can never make a second event.

        ``deadline`` is the run's: lookups, set-up, a resend and verification share one
        ``timeout`` budget with this send. Without one, the send gets the whole budget.
        """
        if deadline is None:
            deadline = Deadline(self._budget, self._clock.monotonic)
        attempts = 0

        def attempt() -> Answer:
            nonlocal attempts
            attempts += 1
            self._pacer.wait_turn(deadline)
            raw = self._http.post(self._url, body, deadline, self._method)
            answer = answer_of(raw)
            if answer.verdict is Verdict.RETRY:
                raise RetryableAnswer(answer, raw.retry_after)
            return answer

        try:
            answer = self._retries.run(attempt, deadline)
        except RetryableAnswer as exc:
            return DeliveryResult(Outcome.UNAVAILABLE, attempts, exc.answer, self._gave_up(exc))
        except (NoTurn, DeadlineExceeded) as exc:
            return DeliveryResult(Outcome.UNAVAILABLE, attempts, None, self._gave_up(exc))
        except httpx.TransportError as exc:
            certificate = certificate_error(exc)
            if certificate is not None:
                return DeliveryResult(Outcome.UNTRUSTED, attempts, None, str(certificate))
            return DeliveryResult(Outcome.UNAVAILABLE, attempts, None, self._gave_up(exc))
        if answer.verdict is Verdict.ACCEPTED:
            return DeliveryResult(Outcome.ACCEPTED, attempts, answer, f"HTTP {answer.status}")
        return DeliveryResult(Outcome.REJECTED, attempts, answer, f"HTTP {answer.status}")

    def _gave_up(self, failure: BaseException) -> str:
        return (
            f"{describe_failure(failure)}; no more retries within the timeout of {self._budget:g} s"
        )
