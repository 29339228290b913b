"""A local stand-in for Compass's events endpoint, for tests and local runs of the action.

It does what matters about the real one:
- answers ``POST /gateway/api/compass/v1/events`` only with the right HTTP Basic credentials;
- validates each body against the published OpenAPI document and answers 400 when it breaks it;
- stores events the way Compass keys them: a deployment by pipelineId + environmentId +
  sequenceNumber, a build by pipelineId, every other kind by its source, kind and ``id`` (see
  ``StandinState.events``); an update whose updateSequenceNumber is not larger than the stored
  one is dropped, yet still answered with 202, just as Compass does;
- can enforce Compass's rate limit (``RateLimit``: 100 requests per user per minute, every POST
  counted, GraphQL included; 429 with Retry-After past it), on a clock a test can share;
- can play a script of answers first (503, 429 with Retry-After, HTML pages, hangs, ...), and
  hostile ones: an answer trickled a byte at a time, a gzip bomb, a huge body, an error page that
  echoes the request's Authorization header and body, JSON nested deeper than parsers recurse.

``POST /gateway/api/graphql`` answers the GraphQL subset the action uses (standin_graphql.py).

``GET /_standin/requests`` lists what it received and ``GET /_standin/events`` what it stored.

Run it (the action refuses tokens under 16 characters)::

    python -m tools.compass_standin --email me@example.com --token an-api-token-of-16-chars
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import json
import math
import ssl
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .compass_contract import (
    DEFAULT_OPENAPI,
    METRICS_OPENAPI,
    ContractMissing,
    contract_errors,
    schema_errors,
    validator_for,
)
from .standin_graphql import GRAPHQL_PATH, GraphQLState
from .standin_uploads import CheckedUpload, check_upload

EVENTS_PATH = "/gateway/api/compass/v1/events"
METRICS_PATH = "/gateway/api/compass/v1/metrics"
METRIC_BY_DEFINITION = "InsertMetricByMetricDefinitionRequestDto"


@dataclass
class ScriptedAnswer:
    """One answer to play instead of the normal handling.

    ``hang`` delays it by seconds. The hostile modes, each usable alone:
    - ``trickle``: send the body a byte at a time, this many seconds apart (with
      ``trickle_head``, the status line and the headers too);
    - ``body_size``: stream a body of this many bytes (``body`` repeated, or "x"), never held
      whole;
    - ``gzip_bomb``: a gzip body that expands to this many bytes of zeros, sent with
      ``Content-Encoding: gzip`` whatever the client asked for;
    - ``echo``: an HTML error page that reflects the request's Authorization header and body;
    - ``nest``: a JSON body nested this many arrays deep under ``errors``.
    """

    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    trickle: float = 0.0
    trickle_head: bool = False
    body_size: int = 0
    gzip_bomb: int = 0
    echo: bool = False
    nest: int = 0

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> ScriptedAnswer:
        body = item.get("body", "")
        return cls(
            status=int(item["status"]),
            body=body if isinstance(body, str) else json.dumps(body),
            headers={str(k): str(v) for k, v in item.get("headers", {}).items()},
            hang=float(item.get("hang", 0.0)),
            trickle=float(item.get("trickle", 0.0)),
            trickle_head=bool(item.get("trickle_head", False)),
            body_size=int(item.get("body_size", 0)),
            gzip_bomb=int(item.get("gzip_bomb", 0)),
            echo=bool(item.get("echo", False)),
            nest=int(item.get("nest", 0)),
        )

    def prepare(self) -> None:
        """Make ahead what is costly to make, before any client's clock starts: a 64 MiB bomb
        takes some 25 ms of CPU (much more on a loaded machine), which would otherwise count
        against the budget of the request it answers."""
        if self.gzip_bomb:
            gzip_of_zeros(self.gzip_bomb)

    def render(self, authorization: str, request_body: str) -> tuple[dict[str, str], Body]:
        """The headers and the body to send, the body as chunks made only as they are sent."""
        headers = dict(self.headers)
        if self.gzip_bomb:
            headers.setdefault("Content-Type", "application/json")
            headers["Content-Encoding"] = "gzip"
            bomb = gzip_of_zeros(self.gzip_bomb)
            return headers, Body(len(bomb), _chunked(bomb))
        text = self.body
        if self.echo:
            headers.setdefault("Content-Type", "text/html")
            text = (
                "<!DOCTYPE html><html><head><title>Bad request</title></head><body><pre>"
                f"{self.body}\nAuthorization: {authorization}\n\n{request_body}</pre></body></html>"
            )
        elif self.nest:
            text = '{"errors":' + "[" * self.nest + "]" * self.nest + "}"
        data = text.encode()
        if self.body_size:
            return headers, Body(self.body_size, _repeated(data or b"x", self.body_size))
        return headers, Body(len(data), iter([data] if data else []))


@dataclass
class Body:
    length: int
    chunks: Iterator[bytes]


def _chunked(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _repeated(unit: bytes, total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    block = (unit * (size // len(unit) + 1))[:size]
    for start in range(0, total, size):
        yield block[: min(size, total - start)]


_MIB = 1 << 20


@functools.lru_cache(maxsize=4)
def gzip_of_zeros(size: int) -> bytes:
    """A gzip body that expands to ``size`` zero bytes, about 1 KB a MiB (a bomb).

    Packing 64 MiB through zlib costs 0.2 to 0.4 s of CPU in each process that needs it, so
    only the first two MiB are packed: after a full flush deflate starts afresh (no match
    reaches back past it), so every further whole MiB packs to the bytes the second did. The
    rest of a MiB is packed as a last block on its own, and the trailer is computed: the CRC-32
    of the zeros and their size. tests/test_hostile_servers.py expands one to check it.
    """
    whole, rest = divmod(size, _MIB)
    block = bytes(_MIB)
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    if whole < 2:
        return packer.compress(bytes(size)) + packer.flush()
    first = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)  # the gzip header, and 1 MiB
    again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate: no second header
    tail = last.compress(block[:rest]) + last.flush()
    crc = 0
    for _ in range(whole):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(block[:rest], crc)
    trailer = crc.to_bytes(4, "little") + (size & 0xFFFF_FFFF).to_bytes(4, "little")
    return b"".join([first, again * (whole - 1), tail, trailer])


@dataclass
class RateLimit:
    """At most ``limit`` requests per user in any ``window`` seconds, on ``clock``.

    A sliding window, the strictest reading of "100 requests per user per minute": a client
    that keeps to it keeps to any fixed-window counting too. Tests shorten the window, or pass
    the skipping clock of the in-process runner so that the action's pacer and the stand-in
    agree on time.
    """

    limit: int = 100
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    arrivals: dict[str, deque[float]] = field(default_factory=dict)
    refused: int = 0  # 429s answered

    def wait_needed(self, user: str) -> float | None:
        """None when the request may pass (and count it); else the seconds until it may."""
        now = self.clock()
        seen = self.arrivals.setdefault(user, deque())
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            self.refused += 1
            return seen[0] + self.window - now
        seen.append(now)
        return None


@dataclass(frozen=True)
class Metrics:
    """Compass's DORA-style numbers from what it holds: production deployments (final states),
    the share of them that failed, final builds and the share that succeeded."""

    deployment_count: int
    change_failure_rate: float
    build_count: int
    build_success_rate: float


@dataclass
class Received:
    body: str
    authorized: bool
    status: int
    sent_bytes: int = 0  # of the answer's body, as far as the client took it


class StandinState:
    def __init__(
        self,
        email: str,
        token: str,
        openapi: Path | None,
        script: list[ScriptedAnswer],
        rate_limit: RateLimit | None = None,
        answers_for: dict[str, ScriptedAnswer] | None = None,
    ):
        self.rate_limit = rate_limit
        # An answer for every event about one component (one that has no event source, say),
        # so that one component of several fails whatever order they arrive in.
        self.answers_for = dict(answers_for or {})
        self.expected_auth = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
        self.openapi = openapi
        self.script = list(script)
        for answer in [*self.script, *self.answers_for.values()]:
            answer.prepare()
        self.received: list[Received] = []
        # The store: the JSON text of an event's key -> the event as last accepted (the object
        # under the kind's name in the body, e.g. ``body["event"]["incident"]``). A key is
        # ``["deployment", componentId, pipelineId, environmentId, sequenceNumber]``,
        # ``["build", componentId, pipelineId]``, or for the other kinds
        # ``[kind, componentId, externalEventSourceId, id]`` (see ``event_key``).
        self.events: dict[str, dict[str, Any]] = {}
        self.dropped = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()  # ends a trickle when the stand-in shuts down
        # POST /gateway/api/graphql, and the event sources the events endpoint may require.
        self.graphql = GraphQLState(email, token, self.expected_auth)
        self.uploads: list[CheckedUpload] = []  # the API specs and lock files accepted

    def store(self, body: dict[str, Any]) -> None:
        """Keep the event as Compass would: keyed, and only if its update sequence number grew."""
        event = body["event"]
        kind = next(key for key, value in event.items() if value is not None)
        data = event[kind]
        if kind == "deployment":
            props = data["deploymentProperties"]
            key = json.dumps(
                [
                    kind,
                    body["componentId"],
                    props["pipeline"]["pipelineId"],
                    props["environment"]["environmentId"],
                    props["sequenceNumber"],
                ]
            )
        elif kind == "build":
            key = json.dumps(
                [kind, body["componentId"], data["buildProperties"]["pipeline"]["pipelineId"]]
            )
        else:
            key = event_key(
                kind, body["componentId"], data["externalEventSourceId"], _properties(data)["id"]
            )
        stored = self.events.get(key)
        if stored is not None and data["updateSequenceNumber"] <= stored["updateSequenceNumber"]:
            self.dropped += 1
            return
        self.events[key] = data


def event_key(kind: str, component_id: str, source_id: str, event_id: str) -> str:
    """The store's key of an event of a kind other than deployment and build."""
    return json.dumps([kind, component_id, source_id, event_id])


def _properties(data: dict[str, Any]) -> dict[str, Any]:
    """The kind's properties object (``incidentProperties``, ``pushEventProperties``, ...)."""
    return dict(next(value for key, value in data.items() if key.endswith("Properties")))


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # Keep-alive, as Compass's and GitHub's servers answer: a run's many requests share a
    # connection instead of a connection and a thread each (the suite's reconciles send hundreds).
    protocol_version = "HTTP/1.1"
    # An answer's head and body are separate writes: without this, each waits for the client's
    # delayed acknowledgement (some 40 ms) once the connection is kept.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read the records
        pass

    def _reply(self, status: int, body: str = "", headers: dict[str, str] | None = None) -> None:
        payload = body.encode()
        self._send(status, dict(headers or {}), Body(len(payload), iter([payload])))

    def _send(
        self,
        status: int,
        headers: dict[str, str],
        body: Body,
        trickle: float = 0.0,
        trickle_head: bool = False,
    ) -> int:
        """Send an answer; return how many bytes of its body went out before the client left."""
        if body.length and not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(body.length)
        reason = self.responses.get(status, ("",))[0]
        head = f"{self.protocol_version} {status} {reason}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        sent = 0
        # The client may have given up waiting, as a client with a timeout does.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._write(head.encode(), trickle if trickle_head else 0.0)
            for chunk in body.chunks:
                self._write(chunk, trickle)
                sent += len(chunk)
        return sent

    def _write(self, data: bytes, trickle: float) -> None:
        if not trickle:
            self.wfile.write(data)
            return
        for index in range(len(data)):
            if self.server.state.stopping.wait(trickle):
                raise BrokenPipeError("the stand-in is shutting down")
            self.wfile.write(data[index : index + 1])

    def do_GET(self) -> None:
        state = self.server.state
        with state.lock:
            if self.path == "/_standin/requests":
                data: Any = [vars(item) for item in state.received]
            elif self.path == "/_standin/events":
                data = {"events": list(state.events.values()), "dropped": state.dropped}
            else:
                self._reply(
                    404, json.dumps({"errors": [{"type": "NOT_FOUND", "message": self.path}]})
                )
                return
        self._reply(200, json.dumps(data))

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length).decode("utf-8", errors="replace")
        authorization = self.headers.get("Authorization", "")
        authorized = authorization == state.expected_auth
        with state.lock:
            scripted = state.script.pop(0) if state.script else None
            wait = None
            if scripted is None and state.rate_limit is not None:
                wait = state.rate_limit.wait_needed(authorization)
        if scripted is None and wait is None and state.answers_for:
            scripted = state.answers_for.get(_component_of(raw))
        if wait is not None:
            scripted = ScriptedAnswer(
                429,
                _errors("RATE_LIMITED", "Rate limit exceeded."),
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )
        if scripted is not None:
            status, trickle, trickle_head = scripted.status, scripted.trickle, scripted.trickle_head
            headers, body = scripted.render(authorization, raw)
            if scripted.hang:
                time.sleep(scripted.hang)
        elif self.path == GRAPHQL_PATH:
            with state.lock:
                status, text, headers = state.graphql.handle(raw, authorization)
            body, trickle, trickle_head = (
                Body(len(text.encode()), iter([text.encode()])),
                0.0,
                False,
            )
        else:
            status, text = self._handle(raw, authorized)
            headers, body = {}, Body(len(text.encode()), iter([text.encode()]))
            trickle, trickle_head = 0.0, False
        record = Received(body=raw, authorized=authorized, status=status)
        with state.lock:
            state.received.append(record)
        sent = self._send(status, headers, body, trickle, trickle_head)
        with state.lock:
            record.sent_bytes = sent

    def do_PUT(self) -> None:
        """The uploads: API specs and lock files, multipart bodies checked field by field
        against the published contract (tools/standin_uploads.py)."""
        state = self.server.state
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        authorized = self.headers.get("Authorization", "") == state.expected_auth
        if not authorized:
            status, text = 401, _errors("UNAUTHORIZED", "Client must be authenticated.")
        else:
            with state.lock:
                known = [component.ari for component in state.graphql.components]
            upload = check_upload(self.path, self.headers.get("Content-Type", ""), raw, known)
            status, text = upload.status, json.dumps(upload.answer)
            if upload.status == 200:
                with state.lock:
                    state.uploads.append(upload)
        with state.lock:
            state.received.append(
                Received(raw.decode("utf-8", errors="replace"), authorized, status)
            )
        self._reply(status, text)

    def _handle(self, raw: str, authorized: bool) -> tuple[int, str]:
        state = self.server.state
        if self.path == METRICS_PATH and authorized:
            return self._metric(raw)
        if self.path != EVENTS_PATH:
            return 404, _errors("NOT_FOUND", f"no such path {self.path}")
        if not authorized:
            return 401, _errors(
                "UNAUTHORIZED", "Client must be authenticated to access this resource."
            )
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, _errors("INVALID_JSON", "The request body is not JSON.")
        problems = contract_errors(body, state.openapi) if state.openapi else []
        if problems:
            return 400, json.dumps(
                {"errors": [{"type": "BAD_REQUEST", "message": p} for p in problems]}
            )
        with state.lock:
            missing = state.graphql.missing_source(body)
            if missing is not None:
                return 404, missing
            state.store(body)
            state.graphql.record(body)
        return 202, ""

    def _metric(self, raw: str) -> tuple[int, str]:
        """POST /compass/v1/metrics: the body checked against the published schema, then the
        metric source looked up as Compass does (404 when the component has none)."""
        state = self.server.state
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, _errors("INVALID_JSON", "The request body is not JSON.")
        problems = schema_errors(body, METRIC_BY_DEFINITION, METRICS_OPENAPI)
        if problems:
            return 400, json.dumps(
                {"errors": [{"type": "BAD_REQUEST", "message": p} for p in problems]}
            )
        with state.lock:
            status, answer = state.graphql.insert_metric_value(body)
        return status, json.dumps(answer)


def _component_of(raw: str) -> str:
    try:
        body = json.loads(raw)
    except ValueError:
        return ""
    return str(body.get("componentId", "")) if isinstance(body, dict) else ""


def _errors(kind: str, message: str) -> str:
    return json.dumps({"errors": [{"type": kind, "message": message}]})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: StandinState) -> None:
        super().__init__(address, _Handler)
        self.state = state


def serve_tls(server: _Server, cert: Path, key: Path) -> None:
    """Serve HTTPS, for a client that cannot reach the stand-in over loopback (the action
    sends no token over plain http to any other address)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)


class Standin:
    """The stand-in, run on a thread of the calling process (for tests)."""

    def __init__(
        self,
        email: str,
        token: str,
        script: list[ScriptedAnswer] | None = None,
        openapi: Path | None = DEFAULT_OPENAPI,
        port: int = 0,
        tls: tuple[Path, Path] | None = None,
        rate_limit: RateLimit | None = None,
        answers_for: dict[str, ScriptedAnswer] | None = None,
    ) -> None:
        if openapi is not None:
            validator_for(openapi)  # a missing contract stops here, with how to restore it
        self.state = StandinState(email, token, openapi, script or [], rate_limit, answers_for)
        self._server = _Server(("127.0.0.1", port), self.state)
        self._scheme = "http"
        if tls is not None:
            serve_tls(self._server, *tls)
            self._scheme = "https"
        # A short poll keeps shutdown() quick: it waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Standin:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.state.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def bodies(self) -> list[str]:
        with self.state.lock:
            return [item.body for item in self.state.received]

    def received(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.received)

    def events(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return list(self.state.events.values())

    def metrics(self) -> Metrics:
        """What Compass would chart from the stored events (the tests' truth checks)."""
        with self.state.lock:
            stored = list(self.state.events.values())
        deployments = [
            event["deploymentProperties"]
            for event in stored
            if "deploymentProperties" in event
            and event["deploymentProperties"]["environment"]["category"] == "PRODUCTION"
            and event["deploymentProperties"]["state"] in ("SUCCESSFUL", "FAILED")
        ]
        builds = [
            event["buildProperties"]["state"]
            for event in stored
            if "buildProperties" in event and event["buildProperties"]["state"] != "IN_PROGRESS"
        ]
        failed = sum(item["state"] == "FAILED" for item in deployments)
        passed = sum(state == "SUCCESSFUL" for state in builds)
        return Metrics(
            len(deployments),
            failed / len(deployments) if deployments else 0.0,
            len(builds),
            passed / len(builds) if builds else 0.0,
        )

    def event(
        self, kind: str, event_id: str, source_id: str, component_id: str
    ) -> dict[str, Any] | None:
        """The stored event of a kind other than deployment and build, by its key."""
        with self.state.lock:
            return self.state.events.get(event_key(kind, component_id, source_id, event_id))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--email", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", type=Path, help="the certificate's private key (PEM)")
    parser.add_argument("--port-file", type=Path, help="write the chosen port here once listening")
    parser.add_argument("--script", type=Path, help="JSON list of answers to play first")
    parser.add_argument("--openapi", type=Path, default=DEFAULT_OPENAPI)
    parser.add_argument("--no-contract", action="store_true", help="skip OpenAPI validation")
    parser.add_argument(
        "--rate-limit", type=int, default=0, help="requests per user per window (0: no limit)"
    )
    parser.add_argument("--rate-window", type=float, default=60.0, help="seconds (default 60)")
    args = parser.parse_args(argv)
    script = (
        [ScriptedAnswer.from_json(item) for item in json.loads(args.script.read_text())]
        if args.script
        else []
    )
    openapi = None if args.no_contract else args.openapi
    if openapi is not None:
        try:
            validator_for(openapi)
        except ContractMissing as problem:
            print(f"stand-in: {problem}", file=sys.stderr)
            return 2
    limit = RateLimit(args.rate_limit, args.rate_window) if args.rate_limit else None
    state = StandinState(args.email, args.token, openapi, script, limit)
    server = _Server((args.host, args.port), state)
    scheme = "http"
    if args.tls_cert:
        serve_tls(server, args.tls_cert, args.tls_key or args.tls_cert)
        scheme = "https"
    port = server.server_address[1]
    if args.port_file:
        args.port_file.write_text(str(port))
    print(f"Compass stand-in listening on {scheme}://{args.host}:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
