"""Cutting, scrubbing and escaping text for the log and the job summary."""

from __future__ import annotations

import base64
import html
import re
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compass_action.text import (
    ELLIPSIS,
    MIN_SECRET_LENGTH,
    Scrubber,
    cut,
    log_line,
    markdown_text,
    visible,
)

from .conftest import EMAIL, TOKEN
from .runner_model import commands_in

BASIC = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
TOKEN_B64 = base64.b64encode(TOKEN.encode()).decode()
# Pieces that mean something to the runner, a terminal or Markdown, mixed into arbitrary text.
HOSTILE_PIECES = [
    "::",
    "##[",
    "]",
    "::error::",
    "##[error]",
    "::stop-commands::x",
    "##[set-output name=a]",
    "::add-mask::",
    "\n",
    "\r",
    "\r\n",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u00a0",
    "\u00ad",
    "\u200b",
    "\u202e",
    "\ufe0f",
    "\u3000",
    "\t",
    "\v",
    "\f",
    " ",
    "%0A",
    "|",
    "<img src=x>",
    "[a](https://e.example)",
    "![i](https://e.example/i.png)",
    "# head",
    "**b**",
    "`c`",
    "_u_",
    "&lt;",
    "\\",
    "www.example.com",
    "a@example.com",
    "$x$",
]
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=8)), max_size=12
).map("".join)


def scrubber() -> Scrubber:
    secrets = Scrubber()
    secrets.add_credentials(EMAIL, TOKEN)
    return secrets


def test_cut_keeps_short_text_and_marks_a_cut() -> None:
    assert cut("abc", 3) == "abc"
    assert cut("abcdef", 4) == "abc" + ELLIPSIS


@given(text=st.text(), limit=st.integers(min_value=1, max_value=50))
def test_cut_never_exceeds_its_limit(text: str, limit: int) -> None:
    result = cut(text, limit)
    assert len(result) <= limit
    assert result == text or result.endswith(ELLIPSIS)


ENCODED_FORMS = {
    "token": TOKEN,
    "token lower-cased": TOKEN.lower(),
    "token upper-cased": TOKEN.upper(),
    "base64 of email:token": BASIC,
    "base64 of email:token, lower-cased": BASIC.lower(),
    "base64 of the token": TOKEN_B64,
    "base64 of the token, upper-cased": TOKEN_B64.upper(),
    "url-encoded base64, upper hex": quote(BASIC, safe=""),
    "url-encoded base64, lower hex": quote(BASIC, safe="").lower(),
    "url-encoded base64, '/' kept": quote(BASIC),
    "form-encoded base64 of the token": quote_plus(TOKEN_B64),
    "url-encoded token": quote(TOKEN, safe=""),
    "JSON-escaped base64": BASIC.replace("/", "\\/"),
}


@pytest.mark.parametrize("form", ENCODED_FORMS.values(), ids=ENCODED_FORMS.keys())
def test_every_encoded_form_is_scrubbed(form: str) -> None:
    scrubbed = scrubber().scrub(f"echo: <{form}> done")
    assert scrubbed == "echo: <***> done"


def test_a_form_encoded_secret_with_a_space_is_scrubbed() -> None:
    secrets = Scrubber()
    secrets.add("pass phrase of twenty chars")
    assert secrets.scrub("p=pass+phrase+of+twenty+chars&x=1") == "p=***&x=1"


def test_short_secrets_are_not_registered_so_text_is_not_turned_to_soup() -> None:
    secrets = Scrubber()
    assert secrets.add("e" * (MIN_SECRET_LENGTH - 1)) == []
    assert secrets.add_credentials(EMAIL, "tok") == []
    assert secrets.scrub("every tok here is eeeeeeeeeeeeeee") == "every tok here is eeeeeeeeeeeeeee"


def test_registering_returns_each_form_once_for_add_mask() -> None:
    secrets = Scrubber()
    assert secrets.add_credentials(EMAIL, TOKEN) == [TOKEN, TOKEN_B64, BASIC]
    assert secrets.add_credentials(EMAIL, f" {TOKEN}\n") == [
        f" {TOKEN}\n",
        base64.b64encode(f" {TOKEN}\n".encode()).decode(),
        base64.b64encode(f"{EMAIL}: {TOKEN}\n".encode()).decode(),
    ]


@pytest.mark.parametrize("limit", range(10, 120, 7))
def test_a_preview_scrubs_before_it_cuts(limit: int) -> None:
    """Wherever the cut falls, no 8 characters of a secret form remain at its end."""
    body = f"Authorization: Basic {BASIC} token={TOKEN} b64={TOKEN_B64}"
    shown = scrubber().preview(body, limit)
    assert len(shown) <= limit
    for form in (BASIC, TOKEN, TOKEN_B64):
        for start in range(len(form) - 7):
            assert form[start : start + 8].lower() not in shown.lower()


@given(
    pieces=st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from([TOKEN, BASIC, TOKEN_B64, quote(BASIC, safe=""), TOKEN.upper()]),
        ),
        max_size=8,
    ),
    limit=st.integers(min_value=1, max_value=400),
)
def test_no_preview_shows_8_characters_of_a_secret(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    shown = scrubber().preview(text, limit)
    assert len(shown) <= limit
    if len(text) <= limit:
        assert shown == scrubber().scrub(text)
    folded = shown.casefold()
    for form in (TOKEN, BASIC, TOKEN_B64, quote(BASIC, safe="")):
        for start in range(len(form) - 7):
            assert form[start : start + 8].casefold() not in folded


def test_a_secret_the_server_had_already_cut_is_scrubbed_as_a_whole_one() -> None:
    # An error page that echoed the first 44 characters of the Basic credentials.
    body = "Unauthorized for Basic " + BASIC[:44] + "…and more text after it, long enough to cut"
    shown = scrubber().preview(body, 23 + 30)
    assert shown == "Unauthorized for Basic ***…and more text after it, l" + ELLIPSIS


def test_a_cut_echo_of_an_encoded_secret_longer_than_the_secret_is_scrubbed() -> None:
    secrets = Scrubber()
    token = "A/B+C=" * 10  # 60 characters, percent-encoded 120
    secrets.add(token)
    echoed = quote(token, safe="")[:100]
    assert secrets.preview(f"said {echoed} and more text", 106) == "said *** and more text"


def test_a_cut_keeps_a_short_coincidental_ending() -> None:
    body = "word " + TOKEN[:7] + "x" * 50
    assert scrubber().preview(body, 13) == "word " + TOKEN[:7] + ELLIPSIS


INVISIBLE = {
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\x1b": "\\x1b",
    "\x00": "\\x00",
    "\x7f": "\\x7f",
    "\x85": "\\x85",
    "\x9b": "\\x9b",
    "\u00a0": "\\xa0",
    "\u00ad": "\\xad",
    "\u200b": "\\u200b",
    "\u202e": "\\u202e",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
    "\ufe0f": "\\ufe0f",
    "\ufeff": "\\ufeff",
    "\udcff": "\\udcff",
    "\U000e0041": "\\U000e0041",
}


@pytest.mark.parametrize(("char", "shown"), INVISIBLE.items())
def test_invisible_and_line_breaking_characters_are_shown_as_escapes(char: str, shown: str) -> None:
    assert visible(f"a{char}b") == f"a{shown}b"


def test_printable_text_is_kept_as_it_is() -> None:
    text = "Déploiement → 本番 🚀 (prod-eu) 100% \\ok"
    assert visible(text) == text and log_line(text) == text


@pytest.mark.parametrize(
    ("line", "safe"),
    [
        ("::add-mask::x", ": :add-mask::x"),
        ("   ::error::x", "   : :error::x"),
        ("\t::error::x", "\\t::error::x"),
        ("note ##[error]x", "note ## [error]x"),
        ("###[x]##[y]", "### [x]## [y]"),
        ("a\n::set-output name=a::b", "a\\n::set-output name=a::b"),
        ("\u00a0::warning::x", "\\xa0::warning::x"),
        ("#\ufe0f#[error]x", "#\\ufe0f#[error]x"),
        ("x :: y", "x :: y"),
    ],
)
def test_log_lines_cannot_be_read_as_commands(line: str, safe: str) -> None:
    assert log_line(line) == safe
    assert commands_in(log_line(line)) == []


@given(text=hostile_text)
def test_any_text_is_one_line_without_a_command(text: str) -> None:
    line = log_line(text)
    assert line.splitlines() == ([line] if line else [])
    assert "##[" not in line
    assert commands_in(line) == []


# What Markdown may read as syntax, and so must never appear raw in a value.
MARKDOWN_SYNTAX = set("\r\n|<>[]!`*_#~$\\&:.@")


@given(value=hostile_text)
def test_a_markdown_value_has_no_syntax_and_reads_back_as_shown(value: str) -> None:
    escaped = markdown_text(value)
    without_references = re.sub(r"<span>&#(64|35);</span>|&#[0-9]+;", "", escaped)
    assert not MARKDOWN_SYNTAX & set(without_references)
    assert html.unescape(escaped.replace("<span>", "").replace("</span>", "")) == visible(value)


def test_markdown_escapes_a_row_break_and_html() -> None:
    value = "x |\r\n## Owned\n<img src=x onerror=alert(1)> [a](https://e.example)"
    assert markdown_text(value) == (
        "x &#124;&#92;r&#92;n<span>&#35;</span><span>&#35;</span> Owned&#92;n&#60;img src=x "
        "onerror=alert(1)&#62; &#91;a&#93;(https&#58;//e&#46;example)"
    )


def test_an_e_mail_address_is_split_so_it_is_not_linked() -> None:
    assert markdown_text("a@b.example") == "a<span>&#64;</span>b&#46;example"


# -- partial echoes (issue 20) --------------------------------------------------------------------

SECRET_ALPHABET = st.characters(min_codepoint=0x21, max_codepoint=0x7E)


@given(
    secret=st.text(SECRET_ALPHABET, min_size=16, max_size=100),
    before=st.text(max_size=60),
    after=st.text(max_size=60),
    cut_at=st.tuples(st.integers(0, 100), st.integers(8, 100)),
)
def test_no_run_of_8_characters_of_a_secret_survives_however_cut_or_surrounded(
    secret: str, before: str, after: str, cut_at: tuple[int, int]
) -> None:
    start = min(cut_at[0], len(secret) - 8)
    echoed = secret[start : start + cut_at[1]]  # any 8 or more consecutive characters of it
    secrets = Scrubber()
    secrets.add(secret)
    shown = secrets.scrub(before + echoed + after).lower()
    for index in range(len(secret) - 7):
        assert secret[index : index + 8].lower() not in shown


def test_an_error_quoting_the_first_24_characters_of_the_token_is_scrubbed() -> None:
    said = f"invalid token {TOKEN[:24]}: expired at 12:00"
    assert scrubber().scrub(said) == "invalid token ***: expired at 12:00"


def test_fewer_than_8_characters_of_a_secret_are_left_as_they_are() -> None:
    assert scrubber().scrub(f"id {TOKEN[:7]} ok") == f"id {TOKEN[:7]} ok"
