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
    are matched by the case-insensitive pattern, not listed here.
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
    """Finds every registered secret, in every form we know of, and replaces it with ***."""

    def __init__(self) -> None:
        self._forms: set[str] = set()
        # Every spelling of every form, longest first, and the pattern that finds them; made
        # again, once, at the first use after a form was added.
        self._spellings: list[str] = []
        self._pattern: re.Pattern[str] | None = None

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
        self._pattern = None
        return [form]

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._forms:
            spellings = set().union(*(_encodings(form) for form in self._forms))
            # Longest first, so that a form containing another is replaced whole.
            self._spellings = sorted(spellings, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, self._spellings)), re.IGNORECASE)
        return self._pattern

    def scrub(self, text: str) -> str:
        pattern = self._compiled()
        return text if pattern is None else pattern.sub(REDACTED, text)

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
        folded = text[-len(self._spellings[0]) :].casefold()
        longest = 0
        for spelling in self._spellings:
            start = spelling.casefold()
            for size in range(
                min(len(start), len(folded)), max(longest, MIN_SECRET_PREFIX - 1), -1
            ):
                if folded.endswith(start[:size]):
                    longest = size
                    break
        return longest


SECRETS = Scrubber()


def preview(text: str, limit: int) -> str:
    """Text from outside (a server body, an input) cut for a message: scrubbed before the cut."""
    return SECRETS.preview(text, limit)


# -- escaping for the log ---------------------------------------------------------------------

# Printable yet ignored by culture-sensitive string comparison (Unicode's default-ignorable code
# points that str.isprintable() accepts): variation selectors, the combining grapheme joiner,
# Hangul fillers. The runner matches "::" and "##[" with .NET's culture-sensitive StartsWith and
# IndexOf, which may skip such characters, so "#<VS16>#[" must not reach it as written.
_IGNORABLE = re.compile(
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
    if text.isprintable() and not _IGNORABLE.search(text):
        return text
    return "".join(
        char if char.isprintable() and not _IGNORABLE.match(char) else _escape_char(char)
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

# The earliest time accepted as a start. Nothing this action reports can have started before
# the Unix epoch, and from then on every time renders as the four-digit year RFC 3339 requires.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", re.ASCII)


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
    """UTC with a ``Z``, millisecond precision: what Compass and GitHub both display."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
