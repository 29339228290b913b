"""What a Compass answer means, in words a person can act on."""

from __future__ import annotations

import json
from enum import Enum
from typing import NamedTuple

from ..text import ANSWER_PREVIEW, COMPASS_ERRORS, preview
from .http import RawAnswer, Retryable

# The one Compass error type documented as worth retrying: a concurrent write to the same event.
RETRYABLE_ERROR_TYPES = frozenset({"STORE_CONFLICT_EXCEPTION"})
# An HTML page's <title> is looked for in its first few KB only: it sits in the <head>, and a
# bounded scan keeps a hostile page from costing more than that.
_TITLE_SCAN = 4096


class Verdict(Enum):
    ACCEPTED = "accepted"
    RETRY = "retry"
    GIVE_UP = "give up"  # retrying cannot change this answer


class CompassError(NamedTuple):
    type: str | None
    message: str | None

    def __str__(self) -> str:
        return ": ".join(part for part in (self.type, self.message) if part) or "(no detail)"


class Answer(NamedTuple):
    """One HTTP answer, read once: the status, its parsed errors and a description of the body."""

    status: int
    errors: tuple[CompassError, ...]
    body_note: str
    location: str | None = None

    @property
    def verdict(self) -> Verdict:
        if 200 <= self.status < 300:
            return Verdict.ACCEPTED
        if self.status == 429 or self.status >= 500:
            return Verdict.RETRY
        if any(error.type in RETRYABLE_ERROR_TYPES for error in self.errors):
            return Verdict.RETRY
        return Verdict.GIVE_UP


def read_answer(status: int, content_type: str, body: bytes, location: str | None = None) -> Answer:
    errors, note = _parse_body(content_type, body)
    return Answer(status=status, errors=errors, body_note=note, location=location)


def unread_answer(status: int, why: str, location: str | None = None) -> Answer:
    """An answer whose body was not read to its end (too large, undecodable, out of time)."""
    return Answer(status=status, errors=(), body_note=why, location=location)


def _parse_body(content_type: str, body: bytes) -> tuple[tuple[CompassError, ...], str]:
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return (), "an empty body"
    if "html" in content_type.lower() or text[:15].lower().startswith(("<!doctype", "<html")):
        title = _html_title(text)
        label = f" titled {_one_line(title)!r}" if title else ""
        return (), f"an HTML page{label} ({len(body)} bytes), not a Compass answer"
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python recurses
        return (), f"a body that is not JSON: {_one_line(text)!r}"
    errors = _errors_of(payload)
    if errors:
        return errors, preview("; ".join(str(error) for error in errors), COMPASS_ERRORS)
    return (), f"JSON without Compass errors: {_one_line(text)!r}"


def _html_title(text: str) -> str | None:
    """The text of the first <title> element, found by a linear scan of the page's start."""
    head = text[:_TITLE_SCAN]
    lowered = head.lower()
    opening = lowered.find("<title")
    if opening < 0:
        return None
    start = lowered.find(">", opening)
    end = lowered.find("</title", start)
    if start < 0 or end < 0:
        return None
    return head[start + 1 : end]


def _errors_of(payload: object) -> tuple[CompassError, ...]:
    if not isinstance(payload, dict) or not isinstance(payload.get("errors"), list):
        return ()
    found = []
    for item in payload["errors"]:
        if isinstance(item, dict):
            kind, message = item.get("type"), item.get("message")
            found.append(
                CompassError(
                    type=str(kind) if kind is not None else None,
                    message=str(message) if message is not None else None,
                )
            )
    return tuple(found)


def _one_line(text: str) -> str:
    """The body on one line, cut by text.preview, which scrubs the secrets before it cuts."""
    return preview(" ".join(text.split()), ANSWER_PREVIEW)


class Explanation(NamedTuple):
    message: str
    input: str | None  # the action input most likely at fault, for the annotation


def explain_rejection(answer: Answer, component_id: str) -> Explanation:
    """Why Compass refused the event and what to change, for a 3xx or 4xx answer."""
    status, detail = answer.status, answer.body_note
    if status == 401:
        return Explanation(
            "Compass did not accept the credentials (HTTP 401). Check that api-token is an "
            "Atlassian API token of the account in user-email, created at "
            "id.atlassian.com/manage/api-tokens, not revoked and not expired (they last at "
            "most a year), and a classic token rather than a scoped one.",
            "api-token",
        )
    if status == 403:
        return Explanation(
            "The account in user-email may not add events to this component (HTTP 403). Give "
            "that account access to Compass and to the component, or use another account. "
            f"Compass said: {detail}.",
            "user-email",
        )
    if status == 404:
        return Explanation(
            f"Compass found no event source for component {component_id} (HTTP 404). Check "
            "that component-id was copied from this site's Compass, that site names the same "
            "Atlassian site, and that cloud-id (if set) matches it. "
            f"Compass said: {detail}.",
            "component-id",
        )
    if status == 400:
        return Explanation(f"Compass rejected the event as invalid (HTTP 400): {detail}.", None)
    if 300 <= status < 400:
        target = f" to {answer.location}" if answer.location else ""
        return Explanation(
            f"Compass answered with a redirect{target} (HTTP {status}), which is not followed "
            "so that the credentials stay with the site; check that site is your "
            "<name>.atlassian.net address.",
            "site",
        )
    return Explanation(f"Compass refused the event (HTTP {status}): {detail}.", None)


def explain_untrusted(detail: str) -> Explanation:
    return Explanation(
        f"The TLS certificate of the site could not be verified ({detail}). Check that site is "
        "your <name>.atlassian.net address; if a proxy on the runner re-signs TLS, set the "
        "SSL_CERT_FILE variable of the step to its certificate authority bundle.",
        "site",
    )


def describe_retry_reason(answer: Answer) -> str:
    if answer.status == 429:
        return "HTTP 429, rate limited (Compass allows 100 requests per user per minute)"
    if answer.status >= 500:
        return f"HTTP {answer.status}, Compass is having trouble ({answer.body_note})"
    return f"HTTP {answer.status}, a conflicting write ({answer.body_note})"


def answer_of(raw: RawAnswer) -> Answer:
    """What Compass's HTTP answer says, read or not (a body past the bounded read is not)."""
    if raw.body is None:
        return unread_answer(raw.status, raw.unread or "no body", raw.location)
    return read_answer(raw.status, raw.content_type, raw.body, raw.location)


class RetryableAnswer(Retryable):
    """An answer of Compass's worth another attempt (429, 5xx, ...), for the retry loop."""

    def __init__(self, answer: Answer, retry_after: float | None) -> None:
        super().__init__(describe_retry_reason(answer), retry_after, "Compass")
        self.answer = answer
