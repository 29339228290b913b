"""A runner file the action cannot write is one clear error that says what Compass already has.

Under nektos/act (and on a runner whose disk is full) GITHUB_OUTPUT and its siblings may be a
folder, in a folder that is gone, or unwritable. The event may be delivered by then: the step
must say so and name the file, not end as a bug of ours ("failed unexpectedly").
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from compass_action.report.reporter import Reporter
from tools.action_runner import Run, start_in_process, step_env
from tools.compass_standin import Standin

from .conftest import COMPONENT, EMAIL, TOKEN


@pytest.fixture(scope="module")
def server() -> Iterator[Standin]:
    with Standin(EMAIL, TOKEN) as running:
        yield running


def _inputs(server: Standin) -> dict[str, str]:
    return {
        "site": server.base_url,
        "user-email": EMAIL,
        "api-token": TOKEN,
        "component-id": COMPONENT,
        "environment": "production",
        "state": "successful",
    }


def _run(env: dict[str, str]) -> tuple[int, list[str], list[str]]:
    out, err = io.StringIO(), io.StringIO()
    reporter = Reporter.from_environ(env)
    reporter.out, reporter.err = out, err
    code = start_in_process(env, reporter)
    text = out.getvalue() + err.getvalue()
    assert "Traceback" not in text and "please report it" not in text and "unexpectedly" not in text
    lines = out.getvalue().splitlines()
    return (
        code,
        [line for line in lines if line.startswith("::error ")],
        [line for line in lines if line.startswith("::warning ")],
    )


def _unwritable(kind: str, tmp_path: Path) -> tuple[Path, str]:
    """A path the runner file cannot be appended to, and the reason the OS gives."""
    if kind == "a folder":
        folder = tmp_path / "outputs"
        folder.mkdir()
        return folder, "Is a directory"
    if kind == "a missing folder":
        return tmp_path / "gone" / "set_output", "No such file or directory"
    return Path("/dev/full"), "No space left on device"  # every write: ENOSPC


KINDS = ["a folder", "a missing folder", "a full disk"]


@pytest.mark.parametrize("kind", KINDS)
def test_outputs_that_cannot_be_written_name_the_file_and_say_the_event_was_accepted(
    server: Standin, tmp_path: Path, kind: str
) -> None:
    before = len(server.bodies())
    env = step_env(Run(), _inputs(server), tmp_path)
    path, reason = _unwritable(kind, tmp_path)
    env["GITHUB_OUTPUT"] = str(path)
    code, errors, _ = _run(env)
    assert len(server.bodies()) == before + 1  # delivered all the same
    assert code == 1  # fail-on: config, the default
    assert errors == [
        f"::error title=GITHUB_OUTPUT::Compass accepted the event; the step outputs could not be "
        f"written to GITHUB_OUTPUT={path}: {reason}"
    ]
    # The summary, a file of its own, was still written.
    assert "Accepted" in Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")


@pytest.mark.parametrize(("fail_on", "code"), [("config", 1), ("any", 1), ("never", 0)])
def test_fail_on_decides_whether_an_unwritable_runner_file_fails_the_step(
    server: Standin, tmp_path: Path, fail_on: str, code: int
) -> None:
    env = step_env(Run(), _inputs(server) | {"fail-on": fail_on}, tmp_path)
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path)  # a folder
    exit_code, errors, warnings = _run(env)
    assert exit_code == code
    expected = (
        "title=GITHUB_STEP_SUMMARY::Compass accepted the event; the job summary could not be "
        f"written to GITHUB_STEP_SUMMARY={tmp_path}: Is a directory"
    )
    assert (errors, warnings) == (
        ([f"::error {expected}"], []) if code else ([], [f"::warning {expected}"])
    )


@pytest.mark.parametrize("variable", ["GITHUB_STATE", "GITHUB_ENV"])
def test_track_job_says_its_post_step_will_not_run_when_its_files_cannot_be_written(
    server: Standin, tmp_path: Path, variable: str
) -> None:
    inputs = _inputs(server) | {"track-job": "true", "state": ""}
    env = step_env(Run(), inputs, tmp_path)
    env[variable] = str(tmp_path / "gone" / "file")
    code, errors, _ = _run(env)
    assert code == 1
    [error] = errors
    assert error.startswith(f"::error title={variable}::Compass accepted the event; track-job's")
    assert "so it will not send the final state" in error
    assert error.endswith(f"{variable}={tmp_path / 'gone' / 'file'}: No such file or directory")


def test_a_dry_run_says_nothing_was_sent(tmp_path: Path) -> None:
    env = step_env(Run(), {"component-id": COMPONENT, "dry-run": "true"}, tmp_path)
    env["COMPASS_ENVIRONMENT"] = "production"
    env["GITHUB_OUTPUT"] = str(tmp_path)
    code, errors, _ = _run(env)
    assert code == 1
    assert errors == [
        "::error title=GITHUB_OUTPUT::Dry run: nothing was sent; the step outputs could not be "
        f"written to GITHUB_OUTPUT={tmp_path}: Is a directory"
    ]
