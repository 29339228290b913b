"""What leaves the process: outputs, annotations, masking, summary."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from compass_action.report import Reporter
from tools.action_runner import parse_output_file


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
    report.add_credentials("me@example.com", "s3cr3t-token")
    basic = base64.b64encode(b"me@example.com:s3cr3t-token").decode()
    report.info(f"token s3cr3t-token and {basic}")
    report.annotate("error", "bad s3cr3t-token", "title s3cr3t-token")
    report.debug("Authorization: Basic " + basic)
    report.set_outputs({"payload": "s3cr3t-token"})
    report.write_summary("| s3cr3t-token |")
    masked = out.getvalue().splitlines()[:2]
    assert masked == ["::add-mask::s3cr3t-token", f"::add-mask::{basic}"]
    rest = "\n".join(out.getvalue().splitlines()[2:]) + err.getvalue()
    rest += (tmp_path / "out").read_text() + (tmp_path / "summary").read_text()
    assert "s3cr3t-token" not in rest and basic not in rest
    assert rest.count("***") >= 6


def test_annotations_escape_their_message_and_title(tmp_path: Path) -> None:
    report, out, _ = reporter(tmp_path)
    report.annotate("warning", "50% done\nnext line", "Input a,b:c")
    assert out.getvalue() == "::warning title=Input a%2Cb%3Ac::50%25 done%0Anext line\n"


def test_logged_text_cannot_issue_workflow_commands(tmp_path: Path) -> None:
    report, out, _ = reporter(tmp_path)
    report.info("server said:\n::add-mask::x\n  ::error::fake")
    lines = out.getvalue().splitlines()
    assert all(not line.lstrip().startswith("::") for line in lines)


def test_plain_logs_outside_github(tmp_path: Path) -> None:
    report, out, err = reporter(tmp_path, github=False)
    report.add_secret("tok")
    report.annotate("error", "broken", "Input site (COMPASS_SITE)")
    report.debug("hidden")
    assert out.getvalue() == ""
    assert err.getvalue() == "error: Input site (COMPASS_SITE): broken\n"


def test_debug_lines_appear_only_in_debug_mode(tmp_path: Path) -> None:
    quiet, quiet_out, _ = reporter(tmp_path)
    quiet.debug("details")
    loud, loud_out, _ = reporter(tmp_path, debug=True)
    loud.debug("details")
    assert quiet_out.getvalue() == "" and loud_out.getvalue() == "::debug::details\n"
