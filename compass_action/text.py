"""The one place where text is shaped for the outside: secrets scrubbed, lengths cut, escaped.

The order is fixed here, so that no caller can get it wrong: scrub first, cut after (a secret cut
in half no longer matches the scrubber), escape last (an escape cut in half would be garbage).

- ``SECRETS`` is the process's scrubber. The API token is a fact of the process, as the runner's
  masker is a fact of the job, so there is one, and every cut of text that may carry a secret
  (``preview``) scrubs with it first.
- ``cut`` shortens data we send (no scrubbing: the event carries what was given).
- ``log_line`` is the one escaping function for every line we print; ``markdown_text`` the one for
  every value in the job summary.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from urllib.parse import quote, quote_plus

ELLIPSIS = "…"
REDACTED = "***"
# Shorter secrets are refused as input and never scrubbed: replacing every occurrence of a
# short string would turn unrelated text into "***" soup. Atlassian API tokens are 24
# characters (the oldest) or about 190 (the current ATATT… form), so 16 rejects only values
# that cannot be a token.
MIN_SECRET_LENGTH = 16
# A trailing fragment this long that starts a secret form is dropped from a cut text.
MIN_SECRET_PREFIX = 8

# How long each kind of text may be, in characters, after scrubbing; every cut is made by ``cut``
# or ``preview`` below, to one of these.
# What Compass shows of a display name or description in full (Atlassian's own integrations cut
# there).
COMPASS_TEXT = 255
# A value quoted back in a problem message, so that the person recognises it.
QUOTED_VALUE = 80
# A server's body, quoted in a message about its answer.
ANSWER_PREVIEW = 200
# Compass's own error messages, all of them joined: longer, as they say what to fix.
COMPASS_ERRORS = 1000
# One value in the job summary: a Compass error message can be 60 KB, and the summary file has a
# limit of 1 MiB per step.
MAX_CELL = 500
# One message we print: a server body or an input can be long, a log line need not be.
MAX_MESSAGE = 4000


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters; a shortened text ends in an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + ELLIPSIS


# -- secrets ------------------------------------------------------------------------------------


def _encodings(form: str) -> set[str]:
    """The spellings of ``form`` that an echoing server or proxy page may show.

    Percent-encoding with and without '/' kept (encodeURIComponent, Python's quote), form
    encoding, and the JSON escape of '/'. Case variants (lower-case hex, a lower-cased page)
    are matched by the case-insensitive scan, not listed here.
    """
    raw = "surrogateescape"  # the bytes a variable held, if they were not UTF-8
    return {
        form,
        quote(form, safe="", errors=raw),
        quote(form, safe="/", errors=raw),
        quote_plus(form, safe="", errors=raw),  # form encoding: a space is "+"
        form.replace("/", "\\/"),
    }


def _base64(text: str) -> str:
    # A variable with bytes that are not UTF-8 reaches us as lone surrogates; encode them back
    # to those bytes rather than fail before anything is masked.
    return base64.b64encode(text.encode("utf-8", "surrogateescape")).decode()


class Scrubber:
    """Finds every run of 8 or more characters of a registered secret, in every form we know
    of, and replaces it with ***.

    A whole secret is not the only leak: a server may echo the first 24 characters of a token
    and then its own words, or a line may be cut in the middle of one. So every window of
    ``MIN_SECRET_PREFIX`` characters of every spelling is kept in a set, and a text is scanned
    window by window (case-insensitively, as the spellings' hex and a lower-cased page vary):
    each maximal run of characters that some secret window covers becomes one ``***``. Only
    the runs of 8 or more characters of the secrets' alphabet (found by one regular expression)
    are scanned, one set lookup a character: a 64 KiB text takes milliseconds
    (docs/hostile-input.md).
    """

    def __init__(self) -> None:
        self._forms: set[str] = set()
        # Every spelling of every form, longest first, and the windows that find them; made
        # again, once, at the first use after a form was added.
        self._spellings: list[str] = []
        self._windows: frozenset[str] | None = None
        # Runs of 8 or more characters that secrets are written in: only there can a window
        # of a secret be, so only there is the text looked at window by window.
        self._candidates: re.Pattern[str] = re.compile("(?!)")

    def add(self, secret: str | None) -> list[str]:
        """Register a secret with its Base64 form; return the new forms (for ``add-mask``)."""
        if secret is None:
            return []
        new: list[str] = []
        for value in dict.fromkeys((secret, secret.strip())):
            if len(value) >= MIN_SECRET_LENGTH:
                new += self._add_form(value)
                new += self._add_form(_base64(value))
        return new

    def add_credentials(self, user: str | None, token: str | None) -> list[str]:
        """The token, and the Basic credentials ``base64(user:token)`` that carry it."""
        new = self.add(token)
        if user and token and len(token.strip()) >= MIN_SECRET_LENGTH:
            for pair in dict.fromkeys((f"{user}:{token}", f"{user.strip()}:{token.strip()}")):
                new += self._add_form(_base64(pair))
        return new

    def _add_form(self, form: str) -> list[str]:
        if form in self._forms:
            return []
        self._forms.add(form)
        self._windows = None
        return [form]

    def _compiled(self) -> frozenset[str] | None:
        if self._windows is None and self._forms:
            spellings = set().union(*(_encodings(form) for form in self._forms))
            self._spellings = sorted(spellings, key=len, reverse=True)
            size = MIN_SECRET_PREFIX
            self._windows = frozenset(
                folded[start : start + size]
                for folded in map(_fold, spellings)
                for start in range(len(folded) - size + 1)
            )
            alphabet = "".join(sorted(set("".join(self._windows))))
            self._candidates = re.compile(f"[{re.escape(alphabet)}]{{{size},}}", re.IGNORECASE)
        return self._windows

    def scrub(self, text: str) -> str:
        windows = self._compiled()
        if windows is None or len(text) < MIN_SECRET_PREFIX:
            return text
        size = MIN_SECRET_PREFIX
        pieces: list[str] = []
        kept = 0  # text[kept:] is not yet in pieces
        covered = -1  # text[:covered] is secret, from the run found last
        for candidate in self._candidates.finditer(text):
            folded, offset = _fold(candidate.group()), candidate.start()
            for index in range(len(folded) - size + 1):
                if folded[index : index + size] not in windows:
                    continue
                start = offset + index
                if start > covered:  # a new run: what lies before it is kept, then ***
                    pieces += (text[kept:start], REDACTED)
                covered = kept = start + size
        pieces.append(text[kept:])
        return "".join(pieces)

    def preview(self, text: str, limit: int) -> str:
        """Scrub, then cut to ``limit``; a cut leaves no recognisable start of a secret.

        Only the head that can reach the result is scrubbed, so a huge body costs no more than
        a short one: any secret that starts before ``limit`` ends inside it. A secret that the
        head cuts short can only be at its very end, where the cut drops it.
        """
        if self._compiled() is None:
            return cut(text, limit)
        head = text[: limit + len(self._spellings[0])]
        clean = self.scrub(head)
        if len(clean) <= limit and len(head) == len(text):
            return clean
        kept = clean[: max(0, limit - 1)]
        return kept[: len(kept) - self._secret_prefix_at_end(kept)] + ELLIPSIS

    def _secret_prefix_at_end(self, text: str) -> int:
        """Length of the longest end of ``text`` that starts a secret spelling (0 if under 8)."""
        folded = _fold(text[-len(self._spellings[0]) :])
        longest = 0
        for spelling in self._spellings:
            start = _fold(spelling)
            for size in range(
                min(len(start), len(folded)), max(longest, MIN_SECRET_PREFIX - 1), -1
            ):
                if folded.endswith(start[:size]):
                    longest = size
                    break
        return longest


def _fold(text: str) -> str:
    """``text`` in lower case, character for character (positions stay those of ``text``)."""
    folded = text.lower()
    if len(folded) == len(text):
        return folded
    # A few characters lower to two ("İ"): those stay as they are.
    return "".join(char if len(char.lower()) != 1 else char.lower() for char in text)


SECRETS = Scrubber()


def preview(text: str, limit: int) -> str:
    """Text from outside (a server body, an input) cut for a message: scrubbed before the cut."""
    return SECRETS.preview(text, limit)


# -- escaping for the log ---------------------------------------------------------------------

# Printable yet ignored by culture-sensitive string comparison (Unicode's default-ignorable code
# points that str.isprintable() accepts): variation selectors, the combining grapheme joiner,
# Hangul fillers. The runner matches "::" and "##[" with .NET's culture-sensitive StartsWith and
# IndexOf, which may skip such characters, so "#<VS16>#[" must not reach it as written.
# A pattern, compiled by re (and kept in its cache) the first time text that is not ASCII is
# escaped: none of these characters is ASCII, and compiling the class takes ~0.6 ms of a run.
_IGNORABLE = (
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]"
)
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(char: str) -> str:
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with every invisible or line-breaking character written as an escape.

    Control characters (C0, C1, DEL: ANSI sequences start with ESC), line and paragraph
    separators (U+2028/9, NEL), format characters (bidi overrides, zero-width), whitespace other
    than the space, unpaired surrogates (undecodable bytes in a variable), and the ignorables
    above: each becomes ``\\n``, ``\\x1b``, ``\\u2028`` ... so that a value can neither break a
    line, nor hide, nor recolour anything.
    """
    if text.isprintable() and (text.isascii() or not re.search(_IGNORABLE, text)):
        return text
    ignorable = re.compile(_IGNORABLE)
    return "".join(
        char if char.isprintable() and not ignorable.match(char) else _escape_char(char)
        for char in text
    )


def log_line(text: str) -> str:
    """One line, safe to print where the runner reads workflow commands.

    The runner acts on ``::command::`` at the start of a line (after leading whitespace) and on
    the older ``##[command]`` anywhere in a line: actions/runner, src/Runner.Common/
    ActionCommand.cs (``TryParseV2``: ``message.TrimStart()`` then ``StartsWith("::")``;
    ``TryParse``: ``message.IndexOf("##[")``), both tried on every line by
    src/Runner.Worker/ActionCommandManager.cs (``TryProcessCommand``), ``stop-commands``
    included. So: nothing that breaks the line survives (``visible``), every ``##[`` becomes
    ``## [``, and a leading ``::`` becomes ``: :``.
    """
    line = visible(text).replace("##[", "## [")
    start = len(line) - len(line.lstrip())
    if line.startswith("::", start):
        line = f"{line[:start]}: :{line[start + 2 :]}"
    return line


# -- escaping for the job summary ----------------------------------------------------------------

# ASCII characters with no meaning in an inline Markdown or table context. Every other ASCII
# punctuation character is written as a numeric character reference, which Markdown shows as
# the character but never reads as syntax: | (cell end), < > & (HTML), [ ] ! (links, images),
# ` * _ ~ (code, emphasis, strike-through), # (headings), $ (maths), \ (escapes), : . (autolinks
# of URLs and www. names).
_MARKDOWN_PLAIN = frozenset(" -,;/=+()'\"%?")
# GitHub's Markdown (cmark-gfm) links e-mail addresses after decoding character references,
# so "a&#64;b.example" still becomes a mailto: link: an element around the @ (and the # of an
# issue reference) splits the text, and only literal text is left. Checked with cmark-gfm.
_IN_ELEMENT = {"@": "<span>&#64;</span>", "#": "<span>&#35;</span>"}


def _markdown_char(char: str) -> str:
    if char in _IN_ELEMENT:
        return _IN_ELEMENT[char]
    if char.isascii() and not char.isalnum() and char not in _MARKDOWN_PLAIN:
        return f"&#{ord(char)};"
    return char


def markdown_text(value: str) -> str:
    """A value as literal text in a Markdown table cell or list item: one line, no syntax."""
    return "".join(map(_markdown_char, visible(value)))


def markdown_cell(value: object) -> str:
    """Any value as literal text of one table cell or list item: scrubbed, cut, escaped."""
    return markdown_text(preview(str(value), MAX_CELL))


def markdown_code(value: object) -> str:
    """A value as code in a table cell."""
    # Not a `code span`: inside one, Markdown shows character references as written.
    return f"<code>{markdown_cell(value)}</code>"


# -- time formats ---------------------------------------------------------------------------------

# The earliest time accepted. Nothing this action reports can have happened before the Unix
# epoch, and from then on every time renders as the four-digit year RFC 3339 requires.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# The latest: Python's datetime ends with the year 9999, so a later time in UTC (9999-12-31
# 23:59:59-10:00) cannot even be converted, and would fail wherever it is first used.
LATEST = datetime.max.replace(tzinfo=UTC)
# No time written in any form GitHub or a person uses is longer than this.
_MAX_TIME_TEXT = 64
_RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", re.ASCII)


class OutOfRange(ValueError):
    """A time (or number) that parsed but lies outside what the action can carry."""


def checked_time(moment: datetime) -> datetime:
    """``moment`` when it has a time zone and lies from EARLIEST to LATEST in UTC.

    The one range check of every time that enters (inputs, the event payload, GitHub's and
    Compass's answers): a ValueError says which bound it passed, so that the caller can name the
    input or skip the item, instead of an OverflowError wherever the time is used later.
    """
    given = moment.isoformat()
    if moment.utcoffset() is None:
        raise ValueError(f"{given} has no time zone")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 lies in the year 0 in UTC, say
        utc = None
    if utc is None and moment.year > EARLIEST.year:
        raise OutOfRange(f"{given} is past the year 9999 in UTC")
    if utc is None or utc < EARLIEST:
        raise OutOfRange(f"{given} is before {EARLIEST:%Y-%m-%d}")
    return moment


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with a time zone (GitHub writes ``2026-01-31T12:00:00Z``), in range
    (``checked_time``, OutOfRange); a ValueError for anything else."""
    if len(text) > _MAX_TIME_TEXT:
        raise ValueError(f"a text of {len(text)} characters is not a time")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{cut(clean_text(text), QUOTED_VALUE)!r} is not a time") from None
    return checked_time(moment)


def parse_rfc3339(text: str) -> datetime | None:
    """A time in the form ``rfc3339`` writes, from EARLIEST on; None for anything else."""
    if not _RFC3339_UTC.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:  # 2026-02-30 and the like
        return None
    return moment if moment >= EARLIEST else None


def rfc3339(moment: datetime) -> str:
    """UTC with a ``Z``, millisecond precision: what Compass and GitHub both display.

    The year is written with four digits whatever the platform's strftime does (glibc writes
    the year 1 as "1"); times reach here checked (``checked_time``), so it has four.
    """
    utc = moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


# -- text from outside ----------------------------------------------------------------------------

_SURROGATE = "[\ud800-\udfff]"  # compiled at the first text that is not ASCII
REPLACEMENT = "\ufffd"


def clean_text(value: str) -> str:
    """``value`` with every lone surrogate replaced by U+FFFD, where text enters.

    JSON may escape half a UTF-16 pair (``"\\ud800"``), which Python keeps as a lone surrogate:
    no UTF-8 encoder takes it, so the event (or a model on the way to it) would fail. A
    replacement character shows where the broken character was.
    """
    if value.isascii():
        return value
    return re.sub(_SURROGATE, REPLACEMENT, value)
