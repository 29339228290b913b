"""The one HTTP layer every client sits on: client set-up, the deadline, bounded reads, retries,
pacing.

- ``new_client``: TLS verification on, no redirects followed (credentials stay with the host),
  proxies from the environment except for plain http, which goes to loopback only and never
  through a proxy (that would hand credentials over in clear).
- One ``limits.Deadline`` per operation bounds everything: the pacer's and the retries' waits,
  the name look-up, each connect, TLS handshake, write and read on the socket
  (``_DeadlineBackend``), and the streamed read of the answer, which ``limits.read_bounded``
  also caps in size.
- ``RetryPolicy``: retries what can succeed later, with exponential backoff and jitter or as
  ``Retry-After`` asks, within the deadline. A loop of our own rather than tenacity or stamina:
  every wait must answer to the one deadline and to the server's Retry-After, which is most of
  what the loop does, and the library cost some 10 ms of start-up in every run.
- ``Pacer``: one process stays under a per-user rate limit by waiting, not by collecting 429s.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import random
import re
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import NamedTuple, TypeVar

import httpcore
import httpx

from .. import __version__
from ..limits import Deadline, DeadlineExceeded, TooLarge, Undecodable, read_bounded

# A single attempt never waits longer than this, however much of the budget is left.
PER_ATTEMPT_TIMEOUT = 15.0
# Below this much budget another attempt cannot finish anyway.
MIN_ATTEMPT_SECONDS = 0.5
# The APIs we call answer with an empty body or a short list of errors, a gateway with an HTML
# page of a few KB; nothing larger is read (nor decompressed into memory).
MAX_ANSWER_BYTES = 64 * 1024
# A Retry-After of 0 (or a date in the past) would let a server make us resend at once, again
# and again; every wait it asks for is at least this long.
MIN_RETRY_AFTER = 1.0

T = TypeVar("T")


class Clock(NamedTuple):
    """The time sources the HTTP layer depends on, replaceable in tests."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    wall: Callable[[], datetime] = lambda: datetime.now(UTC)


# -- pacing ---------------------------------------------------------------------------------------


class NoTurn(Exception):
    """The rate limit allows the next request only after the deadline."""

    def __init__(self, wait: float, limit: int) -> None:
        super().__init__(
            f"the pace of {limit} requests per user per minute would make the next request "
            f"wait {wait:.0f} s"
        )
        self.wait = wait


class Pacer:
    """Keeps one process under a per-user rate limit by waiting, not by collecting 429s."""

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limit, self._window = limit, window
        self._clock, self._sleep = clock, sleep
        self._sent: deque[float] = deque()
        # Concurrent sends (several components) take turns one at a time; a thread that must
        # wait holds the lock while it sleeps, as every thread behind it would wait longer.
        self._lock = threading.Lock()

    def wait_turn(self, deadline: Deadline | None = None) -> float:
        """Block until a request may go out; return how long that took.

        Raises NoTurn, without waiting, when the turn would leave less than an attempt's worth
        of ``deadline``: sleeping into the deadline would only end in a timeout.
        """
        with self._lock:
            return self._take_turn(deadline)

    def _take_turn(self, deadline: Deadline | None) -> float:
        now = self._clock()
        while self._sent and now - self._sent[0] >= self._window:
            self._sent.popleft()
        waited = 0.0
        if len(self._sent) >= self._limit:
            waited = self._sent[0] + self._window - now
            if deadline is not None and waited > deadline.remaining() - MIN_ATTEMPT_SECONDS:
                raise NoTurn(waited, self._limit)
            self._sleep(waited)
            self._sent.popleft()
        self._sent.append(now + waited)
        return waited


# -- answers --------------------------------------------------------------------------------------

# A read-only empty default, so no two answers can share a mutable one.
NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class RawAnswer(NamedTuple):
    """One HTTP answer as read: the status and headers, and the body or why it was not read."""

    status: int
    content_type: str
    location: str | None
    retry_after: float | None  # seconds, from a Retry-After header that parsed
    body: bytes | None
    unread: str | None = None  # why ``body`` is None: too large, undecodable, cut off
    headers: Mapping[str, str] = NO_HEADERS  # names in lower case
    too_large: bool = False  # ``body`` is None as it passed the limit (not read further)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


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


def _read(
    response: httpx.Response, deadline: Deadline, now: datetime, limit: int = MAX_ANSWER_BYTES
) -> RawAnswer:
    """The answer, its body read at most MAX_ANSWER_BYTES, decoded bounded, within the deadline.

    Once the status has come, a body that goes wrong is described, not raised: a 202 stays an
    acceptance even if its body trickles or breaks off. What parses it afterwards needs no clock
    of its own: it reads at most MAX_ANSWER_BYTES.
    """
    headers = response.headers
    unread: str | None = None
    body: bytes | None = None
    too_large = False
    try:
        body = read_bounded(
            response.iter_raw(),
            limit,
            deadline,
            encoding=headers.get("content-encoding", "identity"),
        )
    except TooLarge:
        unread, too_large = f"a body larger than {limit // 1024} KiB, not read further", True
    except Undecodable as exc:
        unread = str(exc)
    except (DeadlineExceeded, httpx.TimeoutException):
        unread = "a body that did not arrive in full in time"
    except httpx.TransportError as exc:
        unread = f"a body that broke off ({type(exc).__name__})"
    return RawAnswer(
        status=response.status_code,
        content_type=headers.get("content-type", ""),
        location=headers.get("location"),
        retry_after=parse_retry_after(headers.get("retry-after"), now),
        body=body,
        unread=unread,
        headers={name.lower(): value for name, value in headers.items()},
        too_large=too_large,
    )


# -- the client -----------------------------------------------------------------------------------


class HttpClient:
    """One client for one host: POSTs bodies, each request bounded by the caller's deadline."""

    def __init__(
        self,
        url: str,
        auth: httpx.Auth | None,
        headers: Mapping[str, str],
        clock: Clock,
    ) -> None:
        self._clock = clock
        self._network = _DeadlineBackend()
        plain_http = not url.startswith("https://")
        self._client = httpx.Client(
            auth=auth,
            verify=_tls_verification(url),
            # Plain http goes only to loopback (inputs.py), and never through a proxy from
            # HTTP_PROXY/ALL_PROXY: that would hand the credentials over in clear.
            trust_env=not plain_http,
            follow_redirects=False,  # never carry the credentials to another host
            headers={
                # Compressed answers are not asked for; one sent anyway is decoded bounded.
                "Accept-Encoding": "identity",
                "User-Agent": f"compass-action/{__version__}",
                **headers,
            },
        )
        _use_backend(self._client, self._network)

    def close(self) -> None:
        self._client.close()

    def post(self, url: str, body: bytes, deadline: Deadline, method: str = "POST") -> RawAnswer:
        """One request: the answer, its body streamed in bounded; every socket operation and
        the read end at ``deadline``. ``method``: PUT for the uploads of extras/."""
        self._network.deadline = deadline
        deadline.check()  # a wait before this may have used up what was left
        timeout = deadline.cap(PER_ATTEMPT_TIMEOUT)
        with self._client.stream(method, url, content=body, timeout=timeout) as response:
            return _read(response, deadline, self._clock.wall())

    def get(self, url: str, deadline: Deadline, limit: int = MAX_ANSWER_BYTES) -> RawAnswer:
        """One GET, bounded as ``post`` is; ``limit`` for the few APIs that answer with more."""
        self._network.deadline = deadline
        deadline.check()
        timeout = deadline.cap(PER_ATTEMPT_TIMEOUT)
        with self._client.stream("GET", url, timeout=timeout) as response:
            return _read(response, deadline, self._clock.wall(), limit)


# -- retries --------------------------------------------------------------------------------------


class Retryable(Exception):
    """An answer worth another attempt; ``retry_after`` is the wait ``server`` asked for."""

    def __init__(self, reason: str, retry_after: float | None, server: str) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.server = server


class RetryPolicy:
    """Attempts until one succeeds, fails for good, or the deadline leaves no room.

    Waits grow as 1, 2, 4, 8, 16 s (capped), each with up to 1 s of random jitter so that many
    jobs retrying at once do not stay in step, or last as long as the server's Retry-After asks
    (at least MIN_RETRY_AFTER). A wait that would leave less than an attempt's worth of the
    deadline is not taken: the last failure is raised instead.
    """

    INITIAL_WAIT = 1.0
    MAX_WAIT = 16.0
    JITTER = 1.0

    def __init__(
        self,
        clock: Clock,
        log: Callable[[str], None],
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._clock, self._log, self._jitter = clock, log, jitter

    def run(self, attempt: Callable[[], T], deadline: Deadline) -> T:
        """``attempt()`` until it returns; the last failure is raised as it was."""
        number = 1
        while True:
            try:
                return attempt()
            except Exception as failure:
                if not worth_retrying(failure):
                    raise
                wait = self.wait(failure, number)
                if deadline.remaining() - wait < MIN_ATTEMPT_SECONDS:
                    raise
                self._log(
                    f"Attempt {number} failed: {describe_failure(failure)}; "
                    f"retrying in {wait:.1f} s ({deadline.remaining():.0f} s of the timeout left)"
                )
            self._clock.sleep(wait)
            number += 1

    def wait(self, failure: BaseException, number: int) -> float:
        """Honour the server's Retry-After, within reason; otherwise backoff with jitter."""
        if isinstance(failure, Retryable) and failure.retry_after is not None:
            return max(MIN_RETRY_AFTER, failure.retry_after)
        backoff = self.INITIAL_WAIT * 2.0 ** (number - 1) + self.JITTER * self._jitter()
        return min(backoff, self.MAX_WAIT)


def worth_retrying(failure: BaseException) -> bool:
    """Overload and network trouble pass; a certificate that fails verification does not."""
    if isinstance(failure, Retryable):
        return True
    return isinstance(failure, httpx.TransportError) and certificate_error(failure) is None


def describe_failure(failure: BaseException | None) -> str:
    if isinstance(failure, DeadlineExceeded):
        return "the timeout ran out"
    if isinstance(failure, Retryable):
        if failure.retry_after is not None:
            return f"{failure} ({failure.server} asked to wait {failure.retry_after:g} s)"
        return str(failure)
    if isinstance(failure, httpx.TimeoutException):
        return "no answer in time (timeout)"
    if isinstance(failure, httpx.ConnectError):
        return f"could not connect ({failure})"
    if isinstance(failure, httpx.TransportError):
        return f"connection failed ({type(failure).__name__}: {failure})"
    return str(failure)


def certificate_error(failure: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate failure behind a connection error, if that is what it was."""
    cause: BaseException | None = failure
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


# -- sockets held to the deadline -----------------------------------------------------------------


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
        failure: Exception | None = None
        for address in self.resolve(host, port, timeout):
            limit = self.cap(timeout, httpcore.ConnectTimeout)
            try:
                stream = self._inner.connect_tcp(
                    address, port, limit, local_address, socket_options
                )
            except httpcore.ConnectError as exc:  # the next address may answer (IPv6, then 4)
                failure = exc
                continue
            return _DeadlineStream(stream, self)
        raise failure or httpcore.ConnectError(f"no address for {host}")

    def resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        """The addresses of ``host``, looked up within the deadline.

        ``getaddrinfo`` takes no timeout and may wait on a slow resolver for as long as the
        system's configuration says (tens of seconds per name server), so it runs on a thread
        of its own that is waited for only until the deadline; one that answers later is left
        to end by itself. The connection is then made to the address found: the TLS handshake
        still checks the certificate against the host's name (httpcore passes the URL's host
        as ``server_hostname``), and the Host header is the URL's.
        """
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return [host]  # a literal address: nothing to look up
        limit = self.cap(timeout, httpcore.ConnectTimeout)
        found: list[list[str] | BaseException] = []
        done = threading.Event()

        def look_up() -> None:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                found.append(list(dict.fromkeys(str(info[4][0]) for info in infos)))
            except (OSError, UnicodeError) as exc:
                found.append(exc)
            done.set()

        threading.Thread(target=look_up, name=f"resolve {host}", daemon=True).start()
        if not done.wait(limit):
            raise httpcore.ConnectTimeout(f"looking up {host} took longer than {limit:.1f} s")
        result = found[0]
        if isinstance(result, BaseException):
            raise httpcore.ConnectError(f"could not look up {host} ({result})")
        if not result:
            raise httpcore.ConnectError(f"no address for {host}")
        return result

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
    installed with it), which take one; it is set before the first connection is made.
    tests/test_hostile_servers.py proves it in effect, through a proxy too.
    """
    for transport in (client._transport, *client._mounts.values()):
        pool = getattr(transport, "_pool", None)
        if pool is not None:
            pool._network_backend = backend


def _tls_verification(url: str) -> ssl.SSLContext:
    """Full verification against the trust store for https (the only scheme used remotely).

    Plain http is accepted only to a loopback stand-in and never negotiates TLS, so it gets a
    context that verifies against nothing instead of loading a trust store it would not use.
    """
    if url.startswith("https://"):
        return _trust_store(os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


@functools.lru_cache(maxsize=4)
def _trust_store(cert_file: str, cert_dir: str) -> ssl.SSLContext:
    """The context httpx makes for ``verify=True`` (its rule: ``SSL_CERT_FILE``, else
    ``SSL_CERT_DIR``, else certifi's bundle), made once a process for the values of those two
    variables, its key. Loading a trust store takes 15 to 45 ms, and a run that verifies, sets
    up a source or reads GitHub opens a client for each host; a context is made to be shared
    (what httpcore sets on it, the ALPN protocols, is the same for every client here)."""
    del cert_file, cert_dir  # the cache's key: httpx reads both from the environment itself
    return httpx.create_ssl_context()
