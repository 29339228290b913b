"""One client for Compass's GraphQL API, on the same HTTP layer, rules and budget as the events.

``https://<site>/gateway/api/graphql`` takes the same Basic credentials as the events endpoint
(notes/compass-api.md §4). Every call goes through ``http.HttpClient`` (the bounded read, the
socket deadline, no redirects), waits its turn at the account's one ``Pacer`` (GraphQL calls
count against Compass's 100 requests per user per minute together with the events), is retried by
the same ``RetryPolicy`` and ends at the run's one ``Deadline``.

GraphQL fails in four shapes, and each becomes one ``GraphQLError`` whose message names what to
fix: an HTTP error, a top-level ``errors`` list (schema and validation failures), a mutation
payload with ``success: false`` and ``errors[].extensions``, and a ``QueryError`` member of a
result union. Answers that are not GraphQL at all (HTML, not JSON, too large) become one too.
No message carries a credential: server text passes ``text.preview``, which scrubs it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

import httpx

from ..limits import Deadline, DeadlineExceeded, loads_json
from ..text import ANSWER_PREVIEW, preview
from .compass_answers import Answer, RetryableAnswer, Verdict, answer_of
from .http import (
    Clock,
    HttpClient,
    NoTurn,
    Pacer,
    RawAnswer,
    RetryPolicy,
    certificate_error,
    describe_failure,
)

GRAPHQL_PATH = "/gateway/api/graphql"


class Trouble(Enum):
    """What kind of failure a GraphQL error is, for the fail-on policy."""

    UNAVAILABLE = "unavailable"  # unreachable, overloaded or out of time: may pass
    REFUSED = "refused"  # an answer that will not change: credentials, permissions, input
    NOT_FOUND = "not found"  # the thing asked for does not exist (a QueryError with 404)


class GraphQLError(Exception):
    """A GraphQL call that failed; ``str()`` says what went wrong and what to fix."""

    def __init__(
        self, message: str, trouble: Trouble = Trouble.REFUSED, error_type: str | None = None
    ) -> None:
        super().__init__(message)
        self.trouble = trouble
        self.error_type = error_type


class GraphQLClient:
    """POSTs GraphQL documents; ``call`` returns the ``data`` object or raises GraphQLError."""

    def __init__(
        self,
        url: str,
        user: str,
        token: str,
        log: Callable[[str], None],
        *,
        clock: Clock,
        pacer: Pacer,
    ) -> None:
        self.url = url
        # Requests sent, for the log's account of the rate limit. Several components' sends
        # share this client from the fan-out's threads, and ``+=`` is not atomic: hence a lock.
        self._calls = 0
        self._calls_lock = threading.Lock()
        self._pacer = pacer
        self._retries = RetryPolicy(clock, log)
        self._http = HttpClient(
            url,
            httpx.BasicAuth(user, token),
            {"Accept": "application/json", "Content-Type": "application/json"},
            clock,
        )

    @property
    def calls(self) -> int:
        with self._calls_lock:
            return self._calls

    def _count_call(self) -> None:
        with self._calls_lock:
            self._calls += 1

    def __enter__(self) -> GraphQLClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def call(
        self, what: str, document: str, variables: Mapping[str, Any], deadline: Deadline
    ) -> dict[str, Any]:
        """Run ``document``; ``what`` says what it does ("look up the cloud ID") for messages."""
        body = json.dumps({"query": document, "variables": dict(variables)}).encode()

        def attempt() -> RawAnswer:
            self._pacer.wait_turn(deadline)
            self._count_call()
            raw = self._http.post(self.url, body, deadline)
            if raw.status == 429 or raw.status >= 500:
                raise RetryableAnswer(answer_of(raw), raw.retry_after)
            return raw

        try:
            raw = self._retries.run(attempt, deadline)
        except (RetryableAnswer, NoTurn, DeadlineExceeded) as exc:
            raise GraphQLError(
                f"Could not {what}: {describe_failure(exc)}; no more retries within the timeout "
                f"of {deadline.budget:g} s",
                Trouble.UNAVAILABLE,
            ) from None
        except httpx.TransportError as exc:
            certificate = certificate_error(exc)
            detail = f"the site's TLS certificate failed ({certificate})" if certificate else None
            raise GraphQLError(
                f"Could not {what}: {detail or describe_failure(exc)}",
                Trouble.REFUSED if certificate else Trouble.UNAVAILABLE,
            ) from None
        return _data(what, raw)


def _data(what: str, raw: RawAnswer) -> dict[str, Any]:
    """The ``data`` object of a 2xx answer; any other answer or shape raises GraphQLError."""
    answer = answer_of(raw)
    if answer.verdict is not Verdict.ACCEPTED:
        raise GraphQLError(f"Could not {what}: {_http_problem(answer)}")
    payload = _json(raw)
    if payload is None:
        raise GraphQLError(
            f"Could not {what}: the GraphQL endpoint answered HTTP {raw.status} with "
            f"{answer.body_note}; check that site is your <name>.atlassian.net address"
        )
    errors = payload.get("errors")
    if isinstance(errors, list) and errors:
        raise GraphQLError(f"Could not {what}: Compass said: {describe_errors(errors)}")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise GraphQLError(f"Could not {what}: the answer had no data")
    return data


def _json(raw: RawAnswer) -> dict[str, Any] | None:
    if raw.body is None or "html" in raw.content_type.lower():
        return None
    try:
        # The body is at most MAX_ANSWER_BYTES; an integer too long for int() is read as
        # LONG_NUMBER, which the field that holds it refuses (compass_graphql._number).
        payload = loads_json(raw.body)
    except (ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


def _http_problem(answer: Answer) -> str:
    if answer.status == 401:
        return (
            "the credentials were not accepted (HTTP 401); check that api-token is a classic "
            "Atlassian API token of the account in user-email, not revoked or expired"
        )
    if answer.status == 403:
        return (
            "the account in user-email may not do this (HTTP 403); give it access to Compass "
            f"({answer.body_note})"
        )
    if 300 <= answer.status < 400:
        return (
            f"the GraphQL endpoint answered with a redirect (HTTP {answer.status}), not "
            "followed so the credentials stay with the site; check site"
        )
    return f"the GraphQL endpoint answered HTTP {answer.status} with {answer.body_note}"


def _extensions(error: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """``extensions`` is one object on a MutationError and a list on a QueryError."""
    extensions = error.get("extensions")
    if isinstance(extensions, Mapping):
        return [extensions]
    if isinstance(extensions, list):
        return [item for item in extensions if isinstance(item, Mapping)]
    return []


def error_type(error: object) -> str | None:
    if not isinstance(error, Mapping):
        return None
    for extension in _extensions(error):
        kind = extension.get("errorType") or extension.get("classification")
        if kind is not None:
            return str(kind)
    return None


def status_code(error: object) -> int | None:
    if not isinstance(error, Mapping):
        return None
    for extension in _extensions(error):
        code = extension.get("statusCode")
        if isinstance(code, int):
            return code
    return None


def describe_errors(errors: list[Any]) -> str:
    """The errors as one line: each message with its error type and status code."""
    parts = []
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        message = str(error.get("message") or "(no message)")
        labels = [str(label) for label in (error_type(error), status_code(error)) if label]
        parts.append(f"{message} ({', '.join(labels)})" if labels else message)
    return preview("; ".join(parts) or "an error without detail", ANSWER_PREVIEW)


def mutation_payload(what: str, payload: object) -> dict[str, Any]:
    """A mutation's payload, or GraphQLError when it says ``success: false``."""
    if not isinstance(payload, dict):
        raise GraphQLError(f"Could not {what}: the answer had no result")
    if payload.get("success") is not True:
        errors = payload.get("errors")
        listed = errors if isinstance(errors, list) else []
        first = listed[0] if listed else None
        raise GraphQLError(
            f"Could not {what}: Compass said: {describe_errors(listed)}",
            _trouble_of(status_code(first)),
            error_type(first),
        )
    return payload


def answer_at(value: object, *path: str) -> Any:
    """``value[path[0]][path[1]]...``, or None where the answer has no such object: a server's
    answer of the wrong shape is treated as missing data, never as a crash."""
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def found_member(member: object, what: str) -> dict[str, Any] | None:
    """A union result's member, None when Compass answers that there is none (its 404 as a
    ``QueryError``, or no result at all); any other ``QueryError`` raised as union_member does."""
    try:
        return union_member(what, member)
    except GraphQLError as exc:
        if exc.trouble is Trouble.NOT_FOUND:
            return None
        raise


def union_member(what: str, member: object) -> dict[str, Any]:
    """A union result's member, or GraphQLError when it is a ``QueryError``."""
    if not isinstance(member, dict):
        raise GraphQLError(f"Could not {what}: the answer had no result", Trouble.NOT_FOUND)
    if member.get("__typename") == "QueryError":
        code = status_code(member)
        raise GraphQLError(
            f"Could not {what}: Compass said: {describe_errors([member])}",
            _trouble_of(code),
            error_type(member),
        )
    return member


def _trouble_of(code: int | None) -> Trouble:
    if code == 404:
        return Trouble.NOT_FOUND
    if code is not None and (code == 429 or code >= 500):
        return Trouble.UNAVAILABLE
    return Trouble.REFUSED
