"""Send one event body to Compass: retries, the time budget, pacing under the rate limit.

Retries use tenacity rather than stamina (which wraps tenacity): tenacity lets us inject the
sleep and the clock, so the tests check every wait without sleeping, and lets the wait read
``Retry-After`` from the failed answer and the stop rule look at the wait before taking it.

One ``limits.Deadline`` per send bounds everything: the pacer's and the retries' waits, each
connect, TLS handshake, write and read on the socket (see ``_DeadlineBackend``), and the
streamed read of the answer, which ``limits.read_bounded`` also caps in size.
"""

from __future__ import annotations

import re
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum

import httpcore
import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential_jitter

from .. import __version__
from ..limits import Deadline, DeadlineExceeded, TooLarge, Undecodable, read_bounded
from .compass_answers import Answer, Verdict, describe_retry_reason, read_answer, unread_answer

# A single attempt never waits longer than this, however much of the budget is left.
PER_ATTEMPT_TIMEOUT = 15.0
# Below this much budget another attempt cannot finish anyway.
MIN_ATTEMPT_SECONDS = 0.5
# Compass answers with an empty body or a short list of errors, a gateway with an HTML page of a
# few KB; nothing larger is read (nor decompressed into memory).
MAX_ANSWER_BYTES = 64 * 1024
# A Retry-After of 0 (or a date in the past) would let a server make us resend at once, again
# and again; every wait it asks for is at least this long.
MIN_RETRY_AFTER = 1.0
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


class NoTurn(Exception):
    """The rate limit allows the next request only after the deadline."""

    def __init__(self, wait: float) -> None:
        super().__init__(
            f"the pace of {RATE_LIMIT_REQUESTS} requests per user per minute would make the "
            f"next request wait {wait:.0f} s"
        )
        self.wait = wait


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

    def wait_turn(self, deadline: Deadline | None = None) -> float:
        """Block until a request may go out; return how long that took.

        Raises NoTurn, without waiting, when the turn would leave less than an attempt's worth
        of ``deadline``: sleeping into the deadline would only end in a timeout.
        """
        now = self._clock()
        while self._sent and now - self._sent[0] >= self._window:
            self._sent.popleft()
        waited = 0.0
        if len(self._sent) >= self._limit:
            waited = self._sent[0] + self._window - now
            if deadline is not None and waited > deadline.remaining() - MIN_ATTEMPT_SECONDS:
                raise NoTurn(waited)
            self._sleep(waited)
            self._sent.popleft()
        self._sent.append(now + waited)
        return waited


_PACERS: dict[str, Pacer] = {}


def pacer_for(user: str) -> Pacer:
    """One pacer per account, shared by every delivery in this process."""
    return _PACERS.setdefault(user.lower(), Pacer())


_DELTA_SECONDS = re.compile(r"[0-9]+")


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    # ASCII digits only: str.isdigit() also accepts "²", which float() refuses.
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # not a form the header has: ignored, the usual backoff applies
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
        self._network = _DeadlineBackend()
        plain_http = not url.startswith("https://")
        self._client = httpx.Client(
            auth=httpx.BasicAuth(user, token),
            verify=_tls_verification(url),
            # Plain http goes only to loopback (inputs.py), and never through a proxy from
            # HTTP_PROXY/ALL_PROXY: that would hand the Basic credentials over in clear.
            trust_env=not plain_http,
            follow_redirects=False,  # never carry the credentials to another host
            headers={
                "Accept": "application/json",
                # Compressed answers are not asked for; one sent anyway is decoded bounded.
                "Accept-Encoding": "identity",
                "Content-Type": "application/json",
                "User-Agent": f"compass-action/{__version__}",
            },
        )
        _use_backend(self._client, self._network)

    def __enter__(self) -> Delivery:
        return self

    def __exit__(self, *_: object) -> None:
        self._client.close()

    def send(self, body: bytes) -> DeliveryResult:
        """POST the same bytes on every attempt, so a retry can never make a second event."""
        deadline = Deadline(self._budget, self._clock.monotonic)
        self._network.deadline = deadline
        attempts = 0

        def attempt() -> Answer:
            nonlocal attempts
            attempts += 1
            self._pacer.wait_turn(deadline)
            answer, retry_after = self._post(body, deadline)
            if answer.verdict is Verdict.RETRY:
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
        except (NoTurn, DeadlineExceeded) as exc:
            return DeliveryResult(Outcome.UNAVAILABLE, attempts, None, self._gave_up(exc))
        except httpx.TransportError as exc:
            certificate = _certificate_error(exc)
            if certificate is not None:
                return DeliveryResult(Outcome.UNTRUSTED, attempts, None, str(certificate))
            return DeliveryResult(Outcome.UNAVAILABLE, attempts, None, self._gave_up(exc))
        if answer.verdict is Verdict.ACCEPTED:
            return DeliveryResult(Outcome.ACCEPTED, attempts, answer, f"HTTP {answer.status}")
        return DeliveryResult(Outcome.REJECTED, attempts, answer, f"HTTP {answer.status}")

    def _post(self, body: bytes, deadline: Deadline) -> tuple[Answer, float | None]:
        """One request: the answer, its body streamed in bounded, and its Retry-After."""
        deadline.check()  # the pacer may have used up what was left
        timeout = deadline.cap(PER_ATTEMPT_TIMEOUT)
        with self._client.stream("POST", self._url, content=body, timeout=timeout) as response:
            wait = parse_retry_after(response.headers.get("retry-after"), self._clock.wall())
            return _read(response, deadline), wait

    _backoff = wait_exponential_jitter(initial=1, max=16, jitter=1)

    def _wait(self, state: RetryCallState) -> float:
        """Honour the server's Retry-After, within reason; otherwise backoff with jitter."""
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _RetryableAnswer) and failure.retry_after is not None:
            return max(MIN_RETRY_AFTER, failure.retry_after)
        return float(self._backoff(state))

    def _out_of_budget(self, state: RetryCallState, deadline: Deadline) -> bool:
        left_after_wait = deadline.remaining() - state.upcoming_sleep
        return left_after_wait < MIN_ATTEMPT_SECONDS

    def _log_retry(self, state: RetryCallState, deadline: Deadline) -> None:
        failure = state.outcome.exception() if state.outcome else None
        self._log(
            f"Attempt {state.attempt_number} failed: {_reason(failure)}; "
            f"retrying in {state.upcoming_sleep:.1f} s "
            f"({deadline.remaining():.0f} s of the timeout left)"
        )

    def _gave_up(self, failure: BaseException) -> str:
        return f"{_reason(failure)}; no more retries within the timeout of {self._budget:g} s"


def _read(response: httpx.Response, deadline: Deadline) -> Answer:
    """Read the answer's body: at most MAX_ANSWER_BYTES, decoded bounded, within the deadline.

    Once the status has come, a body that goes wrong is described, not raised: a 202 stays an
    acceptance even if its body trickles or breaks off. The parse that follows needs no clock of
    its own: it reads at most MAX_ANSWER_BYTES, in linear time (well under a millisecond).
    """
    status, location = response.status_code, response.headers.get("location")
    encoding = response.headers.get("content-encoding", "identity")
    try:
        content = read_bounded(response.iter_raw(), MAX_ANSWER_BYTES, deadline, encoding=encoding)
    except TooLarge:
        why = f"a body larger than {MAX_ANSWER_BYTES // 1024} KiB, not read further"
        return unread_answer(status, why, location)
    except Undecodable as exc:
        return unread_answer(status, str(exc), location)
    except (DeadlineExceeded, httpx.TimeoutException):
        return unread_answer(status, "a body that did not arrive in full in time", location)
    except httpx.TransportError as exc:
        why = f"a body that broke off ({type(exc).__name__})"
        return unread_answer(status, why, location)
    return read_answer(status, response.headers.get("content-type", ""), content, location)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, with every connect, read and write capped at the deadline.

    httpx applies its timeouts to each socket operation alone, so a peer that sends a byte
    just inside each would keep a request going without end; capping every operation at what
    is left of the one deadline ends it at the deadline.
    """

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()
        self.deadline: Deadline | None = None

    def cap(self, timeout: float | None, late: type[httpcore.TimeoutException]) -> float | None:
        if self.deadline is None:
            return timeout
        left = self.deadline.remaining()
        if left <= 0:
            raise late(f"the timeout of {self.deadline.budget:g} s ran out")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        limit = self.cap(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, limit, local_address, socket_options)
        return _DeadlineStream(stream, self)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        limit = self.cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, limit, socket_options), self)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, backend: _DeadlineBackend) -> None:
        self._inner, self._backend = inner, backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._backend.cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        limit = self._backend.cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, limit), self._backend
        )

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


def _use_backend(client: httpx.Client, backend: httpcore.NetworkBackend) -> None:
    """Make every connection pool of ``client`` (direct or through a proxy) use ``backend``.

    httpx 0.28 has no parameter for it, but its pools are httpcore's (httpx's own transport,
    installed with it: no new dependency), which take one; it is set before the first
    connection is made. tests/test_hostile_servers.py proves it in effect, through a proxy too.
    """
    for transport in (client._transport, *client._mounts.values()):
        pool = getattr(transport, "_pool", None)
        if pool is not None:
            pool._network_backend = backend


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
    if isinstance(failure, DeadlineExceeded):
        return "the timeout ran out"
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
