"""The job summary: values stay literal text in their cell, and short."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings

from compass_action.problems import Problem
from compass_action.report.results import RunResult, problems_summary, summary
from compass_action.text import MAX_CELL, visible

from .test_event_builder import build, inputs, run
from .test_text import hostile_text

# Our own markup: the heading, the table, bold and <code> around values. Nothing else may be.
OUR_TAGS = re.compile(r"</?code>|<span>&#(64|35);</span>|&#[0-9]+;")
ROW = re.compile(r"^\| [^|]+ \| [^|]* \|$")


def rendered_text(markdown: str) -> str:
    """The text a reader sees of escaped values (the spans only split the text)."""
    return html.unescape(markdown.replace("<span>", "").replace("</span>", ""))


def _assert_plain_table(markdown: str, rows: int) -> None:
    lines = markdown.strip("\n").split("\n")
    assert lines[0].startswith("### Compass ") and lines[1:4] == ["", "| | |", "|---|---|"]
    body = lines[4:]
    assert len(body) == rows
    for line in body:
        assert ROW.match(line), line
        rest = OUR_TAGS.sub("", line).replace("**", "")
        assert not set(rest) & set("<>[]!`_#~$\\\r"), line


@settings(deadline=None)
@given(environment=hostile_text, pipeline=hostile_text, headline=hostile_text)
def test_no_value_can_leave_its_cell(environment: str, pipeline: str, headline: str) -> None:
    event = build(
        inputs(environment=f"e{environment}", pipeline_id=f"p{pipeline}", environment_id="i"),
        run(),
    )
    markdown = summary(event, RunResult("400", False, headline))
    _assert_plain_table(markdown, rows=8)
    assert visible(f"p{pipeline}".strip()) in rendered_text(markdown)


def test_a_long_compass_message_is_cut_in_the_summary() -> None:
    event = build(inputs(environment="production"), run())
    message = "INVALID_INPUT: " + "the environment is wrong. " * 2400  # 60 KB
    markdown = summary(event, RunResult("400", False, f"Rejected: {message}"))
    result_row = markdown.strip().split("\n")[-1]
    assert len(rendered_text(result_row)) <= MAX_CELL + len("| Result |  |")
    assert rendered_text(result_row).endswith("… |")


def test_problems_are_listed_as_plain_text() -> None:
    problems = [
        Problem("environment", "bad\r\n## Owned\n![x](https://e.example/x.png) <b>|</b>"),
        Problem("started-at", "is in the future"),
    ]
    lines = problems_summary(problems).strip("\n").split("\n")
    assert lines[:2] == ["### Compass event not sent: fix the inputs", ""]
    assert len(lines) == 4
    for line in lines[2:]:
        assert line.startswith("- <code>")
        assert not set(OUR_TAGS.sub("", line)) & set("<>[]!`|#\r")
