"""What leaves the process: outputs, annotations, masking, summary."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from compass_action.report.reporter import Reporter
from compass_action.text import MAX_MESSAGE, Scrubber
from tools.action_runner import parse_output_file

from .conftest import EMAIL, TOKEN
from .runner_model import commands_in
from .test_text import hostile_text


def reporter(
    tmp_path: Path, github: bool = True, debug: bool = False
) -> tuple[Reporter, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    (tmp_path / "out").write_text("")
    (tmp_path / "summary").write_text("")
    return (
        Reporter(
            github=github,
            debug_enabled=debug,
            output_path=tmp_path / "out",
            summary_path=tmp_path / "summary",
            out=out,
            err=err,
            secrets=Scrubber(),
        ),
        out,
        err,
    )


def test_outputs_survive_multiple_lines_and_delimiter_lookalikes(tmp_path: Path) -> None:
    report, _, _ = reporter(tmp_path)
    values = {"payload": '{"a":\n"b"}', "status": "202", "tricky": "x\nEOF\nghadelimiter_1\n=y"}
    report.set_outputs(values)
    assert parse_output_file((tmp_path / "out").read_text()) == values


def test_outputs_are_appended_not_overwritten(tmp_path: Path) -> None:
    report, _, _ = reporter(tmp_path)
    report.set_outputs({"a": "1"})
    report.set_outputs({"b": "2"})
    assert parse_output_file((tmp_path / "out").read_text()) == {"a": "1", "b": "2"}


def test_secrets_are_masked_first_and_scrubbed_everywhere(tmp_path: Path) -> None:
    report, out, err = reporter(tmp_path, debug=True)
    report.add_credentials(EMAIL, TOKEN)
    basic = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    report.info(f"token {TOKEN} and {basic}")
    report.annotate("error", f"bad {TOKEN.lower()}", f"title {TOKEN}")
    report.debug("Authorization: Basic " + basic)
    report.set_outputs({"payload": TOKEN})
    report.write_summary(f"| {TOKEN} |")
    lines = out.getvalue().splitlines()
    masked = [line for line in lines if line.startswith("::add-mask::")]
    assert lines[: len(masked)] == masked  # before anything else
    assert {f"::add-mask::{TOKEN}", f"::add-mask::{basic}", f"::add-mask::{TOKEN.lower()}"} <= set(
        masked
    )
    rest = "\n".join(lines[len(masked) :]) + err.getvalue()
    rest += (tmp_path / "out").read_text() + (tmp_path / "summary").read_text()
    assert TOKEN.lower() not in rest.lower() and basic.lower() not in rest.lower()
    assert rest.count("***") == 7


def test_a_token_with_undecodable_bytes_is_scrubbed_and_the_rest_masked(tmp_path: Path) -> None:
    report, out, _ = reporter(tmp_path)
    token = TOKEN + "\udcff"  # how Python reads a variable holding a byte that is not UTF-8
    report.add_credentials(EMAIL, token)
    report.info(f"echo {token}")
    lines = out.getvalue().splitlines()
    assert lines[-1] == "echo ***"
    raw_bytes = base64.b64encode(TOKEN.encode() + b"\xff").decode()
    assert f"::add-mask::{raw_bytes}" in lines
    assert not any("\udcff" in line for line in lines)


def test_a_short_secret_is_neither_masked_nor_scrubbed(tmp_path: Path) -> None:
    report, out, _ = reporter(tmp_path)
    report.add_credentials(EMAIL, "e")
    report.info("every e stays")
    assert out.getvalue() == "every e stays\n"


def test_annotations_are_one_line_with_escaped_message_and_title(tmp_path: Path) -> None:
    report, out, _ = reporter(tmp_path)
    report.annotate("warning", "50% done\nnext line", "Input a,b:c")
    assert out.getvalue() == "::warning title=Input a%2Cb%3Ac::50%25 done\\nnext line\n"


def test_a_message_is_one_line_and_a_block_keeps_its_lines(tmp_path: Path) -> None:
    report, out, _ = reporter(tmp_path)
    report.info("server said:\n::add-mask::x\n  ##[error]fake")
    report.block('{\n  "a": "::x"\n}\n::stop-commands::t')
    assert out.getvalue().splitlines() == [
        "server said:\\n::add-mask::x\\n  ## [error]fake",
        "{",
        '  "a": "::x"',
        "}",
        ": :stop-commands::t",
    ]


def test_a_long_message_is_cut_after_scrubbing(tmp_path: Path) -> None:
    report, out, _ = reporter(tmp_path)
    report.add_secret(TOKEN)
    report.info("x" * (MAX_MESSAGE - 10) + TOKEN)
    line = out.getvalue().splitlines()[-1]
    assert len(line) <= MAX_MESSAGE and TOKEN[:8] not in line


def test_outputs_listed_in_the_log_outside_github_are_one_line_each(tmp_path: Path) -> None:
    report, out, _ = reporter(tmp_path)
    report.output_path = None
    report.set_outputs({"payload": '{"a":\n"##[error]"}', "status": "", "state": "::x"})
    assert out.getvalue().splitlines() == [
        "Outputs:",
        '  payload={"a":\\n"## [error]"}',
        "  state=::x",
    ]


class RecordingReporter(Reporter):
    """Remembers each workflow command it meant to print, for the oracle."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meant: list[str] = []

    def _command(self, name: str, data: str, properties: str = "") -> None:
        self.meant.append(name)
        super()._command(name, data, properties)


def _say_everything(value: str, github: bool) -> tuple[str, list[str]]:
    """Pass ``value`` through every way the reporter prints; return the output and commands."""
    out, err = io.StringIO(), io.StringIO()
    report = RecordingReporter(
        github=github, debug_enabled=True, out=out, err=err, secrets=Scrubber()
    )
    report.add_credentials(EMAIL, TOKEN)
    report.info(f"Environment {value} is PRODUCTION")
    report.annotate("error", f"Compass said: {value}", f"Input {value}")
    report.debug(f"POST {value}", f'{{\n  "description": {json.dumps(value)}\n}}')
    report.group(
        f"Dry run {value}", f'{{\n  "environment": {json.dumps(value, ensure_ascii=False)}\n}}'
    )
    report.set_outputs({"environment-id": f"<{value}>", "payload": f"[{value}]"})
    return out.getvalue() + err.getvalue(), report.meant


@given(value=hostile_text, github=st.booleans())
def test_no_value_printed_anywhere_makes_a_command(value: str, github: bool) -> None:
    printed, meant = _say_everything(value, github)
    assert [command.name for command in commands_in(printed)] == meant
    assert "##[" not in printed
    assert "stop-commands" not in meant
    # Nor can it forge a line: there are as many as with a harmless value.
    harmless, _ = _say_everything("x", github)
    assert len(printed.splitlines()) == len(harmless.splitlines())
