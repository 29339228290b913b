"""Hostile and mistaken input through the whole action, in process: messages, exit codes.

Each case runs ``compass_action.main.run`` (or ``main``) with a prepared environment and a
Reporter writing to memory, as the runner would see it (``GITHUB_ACTIONS=true``), and checks the
exact annotation, the exit code, and that nothing escaped as a traceback.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from compass_action import main as action
from compass_action.events.contract import MAX_SAFE_INTEGER
from compass_action.report.reporter import Reporter
from tools import read_trusted_yaml
from tools.action_runner import REPO, Run, evaluate, step_env
from tools.compass_standin import Standin

from .conftest import COMPONENT, EMAIL, TOKEN

LEDGER = Path(".compass-action") / "sent-events.json"
DRY_RUN_DOCS = REPO / "docs" / "deployments-and-builds.md"


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def errors(self) -> list[str]:
        return [line for line in self.out.splitlines() if line.startswith("::error ")]

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.out.splitlines() if line.startswith("::warning ")]


def run_in_process(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Outcome:
    """``compass_action.main.run`` with exactly ``env`` for COMPASS_*, GITHUB_* and RUNNER_*."""
    for name in list(os.environ):
        if name.startswith(("COMPASS_", "GITHUB_", "RUNNER_", "INPUT_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out, err = io.StringIO(), io.StringIO()
    reporter = Reporter(github=True, debug_enabled=False, out=out, err=err)
    code = action.run(reporter, os.environ)
    outcome = Outcome(code, out.getvalue(), err.getvalue())
    assert "Traceback" not in outcome.out + outcome.err
    assert "please report it" not in outcome.out + outcome.err
    return outcome


class Step:
    """One step of a job on GitHub: the job's home and payload, the run's variables."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
        self.monkeypatch = monkeypatch
        self.home = home
        self.event_path = home / "event.json"
        self.event_path.write_text("{}", encoding="utf-8")

    def run(
        self, inputs: dict[str, str], in_a_run: bool = True, run_env: dict[str, str] | None = None
    ) -> Outcome:
        """``in_a_run=False``: no GITHUB_* but GITHUB_ACTIONS, so no key can be derived."""
        env = {"GITHUB_ACTIONS": "true", "HOME": str(self.home)}
        if in_a_run:
            env |= Run().github_env(self.event_path)
        env |= run_env or {}
        for name, value in inputs.items():
            env["COMPASS_" + name.upper().replace("-", "_")] = value
        return run_in_process(self.monkeypatch, env)


@pytest.fixture
def step(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Step:
    return Step(monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def server() -> Iterator[Standin]:
    # One for the module: stopping a stand-in takes half a second. Tests count bodies they add.
    with Standin(EMAIL, TOKEN) as running:
        yield running


DRY = {"component-id": COMPONENT, "state": "success", "environment": "staging", "dry-run": "true"}


def sending(server: Standin) -> dict[str, str]:
    return DRY | {
        "dry-run": "false",
        "site": server.base_url,
        "user-email": EMAIL,
        "api-token": TOKEN,
    }


# -- item 7: no "failed unexpectedly" for input ---------------------------------------------


@pytest.mark.parametrize(
    ("started_at", "message"),
    [
        (
            "0001-01-01T00:00:00+01:00",
            "0001-01-01T00:00:00+01:00 is before 1970-01-01; give when the work started, "
            "e.g. 2026-01-31T12:00:00Z",
        ),
        (
            "0999-12-31T23:59:59Z",
            "0999-12-31T23:59:59+00:00 is before 1970-01-01; give when the work started, "
            "e.g. 2026-01-31T12:00:00Z",
        ),
        (
            "9999-12-31T23:59:59-01:00",
            "9999-12-31T23:59:59-01:00 is past the year 9999 in UTC; give when the work started, "
            "e.g. 2026-01-31T12:00:00Z",
        ),
    ],
)
def test_a_start_out_of_range_is_an_input_problem(
    step: Step, started_at: str, message: str
) -> None:
    outcome = step.run(DRY | {"started-at": started_at})
    assert outcome.code == 1
    assert outcome.errors == [f"::error title=Input started-at::{message}"]


@pytest.mark.parametrize(
    ("fail_on", "code", "level"),
    [("config", 1, "error"), ("any", 1, "error"), ("never", 0, "warning")],
)
def test_fail_on_decides_the_exit_code_of_an_input_problem(
    step: Step, fail_on: str, code: int, level: str
) -> None:
    outcome = step.run(DRY | {"started-at": "9999-12-31T23:59:59-01:00", "fail-on": fail_on})
    assert outcome.code == code
    assert [line for line in outcome.out.splitlines() if line.startswith("::")] == [
        f"::{level} title=Input started-at::9999-12-31T23:59:59-01:00 is past the year 9999 in "
        "UTC; give when the work started, e.g. 2026-01-31T12:00:00Z"
    ]


@pytest.mark.parametrize("name", ["api-token", "user-email"])
def test_credentials_that_are_not_utf8_are_refused(step: Step, name: str) -> None:
    # os.environ hands undecodable bytes over as lone surrogates.
    outcome = step.run(
        DRY
        | {
            "dry-run": "false",
            "site": "acme",
            "user-email": EMAIL,
            "api-token": TOKEN,
            name: "BADVALUE\udcff\udcfeFfGF0-rest-of-it",
        }
    )
    assert outcome.code == 1
    assert outcome.errors == [
        f"::error title=Input {name}::is not valid UTF-8 text; set it again from a clean copy"
    ]
    assert "BADVALUE" not in outcome.out  # the refused value is never shown


def test_credentials_that_are_not_utf8_do_not_crash_main(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # main() registers the credentials for scrubbing before anything is read: that must hold too.
    for name in list(os.environ):
        if name.startswith(("COMPASS_", "GITHUB_", "RUNNER_")):
            monkeypatch.delenv(name)
    env = DRY | {
        "dry-run": "false",
        "site": "acme",
        "user-email": "deployer\udcff@example.com",
        "api-token": "ATATT3xFfGF0\udcff-rest-of-it",
    }
    for name, value in env.items():
        monkeypatch.setenv("COMPASS_" + name.upper().replace("-", "_"), value)
    for name, value in Run().github_env(tmp_path / "event.json").items():
        monkeypatch.setenv(name, value)
    assert action.main() == 1
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.startswith("::error")] == [
        "::error title=Input user-email::is not valid UTF-8 text; set it again from a clean copy",
        "::error title=Input api-token::is not valid UTF-8 text; set it again from a clean copy",
    ]


def test_a_run_variable_that_is_not_utf8_is_named(step: Step) -> None:
    outcome = step.run(DRY, run_env={"GITHUB_JOB": "deploy\udcff"})
    assert outcome.code == 1
    assert outcome.errors == [
        "::error title=Input GITHUB_JOB::is not valid UTF-8 text; set it again from a clean copy"
    ]


def test_no_update_sequence_number_after_the_largest(step: Step, server: Standin) -> None:
    first = step.run(
        sending(server) | {"state": "in_progress", "update-sequence-number": str(MAX_SAFE_INTEGER)}
    )
    assert first.code == 0, first.out
    sent = len(server.bodies())
    final = step.run(sending(server))
    assert final.code == 1
    assert final.errors == [
        "::error title=Input update-sequence-number::an earlier send of this event in this job "
        f"used {MAX_SAFE_INTEGER}; no larger number is left below 2^53 (at most "
        f"{MAX_SAFE_INTEGER}) for this send. Give the earlier step a smaller "
        "update-sequence-number, or leave it empty there and here"
    ]
    assert len(server.bodies()) == sent  # nothing sent


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _directory(path: Path) -> None:
    path.mkdir()


def _huge(path: Path) -> None:
    with path.open("wb") as handle:
        handle.truncate(64 * 1024**3)


def _deep(path: Path) -> None:
    path.write_text("[" * 300_000 + "]" * 300_000, encoding="utf-8")


HOSTILE = {
    "fifo": (_fifo, "is a FIFO, not a regular file"),
    "dev-zero": (_dev_zero, "is a device, not a regular file"),
    "directory": (_directory, "is a directory, not a regular file"),
    "huge": (_huge, "is larger than {limit} bytes"),
    "deep": (_deep, "nests too deeply to be read"),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_ledger_is_ignored_with_a_warning(step: Step, server: Standin, kind: str) -> None:
    make, problem = HOSTILE[kind]
    path = step.home / LEDGER
    path.parent.mkdir()
    make(path)
    sent = len(server.bodies())
    outcome = step.run(sending(server))
    assert outcome.code == 0, outcome.out
    if kind == "dev-zero":  # a symlink, and one out of HOME: not even looked at
        problem = f"points out of {step.home}, not a file to read"
    what = f"::warning title=compass-action::The job's record of earlier sends ({path})"
    assert outcome.warnings[0] == (
        f"{what} {problem.format(limit=1048576)}; ignored, so this send does not continue what "
        "earlier steps of the job sent"
    )
    # Replaced by a good file, except a directory, which is not ours to remove: that is said.
    assert outcome.warnings[1:] == (
        [
            f"{what} could not be written (Is a directory); the event was delivered, but a "
            "later step of the job sending it again will not continue from this send"
        ]
        if kind == "directory"
        else []
    )
    assert len(server.bodies()) == sent + 1


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_event_payload_is_ignored_with_a_warning(step: Step, kind: str) -> None:
    make, problem = HOSTILE[kind]
    step.event_path.unlink()
    make(step.event_path)
    outcome = step.run(DRY)
    assert outcome.code == 0, outcome.out
    assert outcome.warnings == [
        f"::warning title=GITHUB_EVENT_PATH::The event payload at GITHUB_EVENT_PATH "
        f"({step.event_path}) {problem.format(limit=33554432)}; ignored, so nothing is taken "
        "from it (a deployment's environment, a release's tag)"
    ]


def test_a_garbage_start_in_the_ledger_is_not_sent(step: Step, server: Standin) -> None:
    assert step.run(sending(server) | {"state": "in_progress"}).code == 0
    path = step.home / LEDGER
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data.values():
        entry["started_at"] = "2026-11-22T12:00:00Z\n##[error]forged"
    path.write_text(json.dumps(data), encoding="utf-8")

    final = step.run(sending(server))
    assert final.code == 0
    assert len(final.warnings) == 1 and "has an entry that is not a valid" in final.warnings[0]
    body = json.loads(server.bodies()[-1])
    started = body["event"]["deployment"]["deploymentProperties"]["startedAt"]
    assert "forged" not in started and started.endswith("Z")


# -- item 8: every problem in one pass, the URL of a dry run -----------------------------------


def test_a_deployment_without_environment_fails_before_sending(step: Step, server: Standin) -> None:
    # Moved from the subprocess tests: the same checks, in process.
    sent = len(server.bodies())
    outcome = step.run(sending(server) | {"environment": ""})
    assert outcome.code == 1
    assert outcome.errors == [
        "::error title=Input environment::is required for a deployment: set it to the "
        "environment you deploy to (the same name as jobs.<id>.environment), e.g. "
        "environment: staging"
    ]
    assert "  delivered=false" in outcome.out.splitlines()  # the outputs, listed
    assert len(server.bodies()) == sent


def test_every_problem_is_reported_in_one_pass(step: Step) -> None:
    outcome = step.run(
        {
            "site": "https://acme.atlassian.net/compass",
            "api-token": TOKEN,
            "component-id": "Not an ARI",
            "state": "sideways",
            "started-at": "2026-01-01T10:00:00",
        },
        in_a_run=False,
    )
    assert outcome.code == 1
    assert [line.split("::")[1] for line in outcome.errors] == [
        "error title=Input site",
        "error title=Input component-id",
        "error title=Input state",
        "error title=Input started-at",
        "error title=Input user-email",
        "error title=Input external-event-source-id",
        "error title=Input pipeline-id",
        "error title=Input url",
        "error title=Input environment",
        "error title=Input sequence-number",
    ]


def test_a_wrong_event_type_hides_the_problems_that_depend_on_it(step: Step) -> None:
    outcome = step.run(
        {"component-id": COMPONENT, "state": "success", "event-type": "deploy", "dry-run": "true"}
    )
    assert outcome.code == 1
    assert [line.split("::")[1] for line in outcome.errors] == ["error title=Input event-type"]


def test_a_wrong_dry_run_does_not_call_credentials_missing(step: Step) -> None:
    outcome = step.run(DRY | {"dry-run": "maybe"})
    assert [line.split("::")[1] for line in outcome.errors] == ["error title=Input dry-run"]


def test_a_dry_run_shows_the_url_it_would_post_to(step: Step) -> None:
    outcome = step.run(DRY | {"site": "acme"})
    assert outcome.code == 0
    assert "Dry run: would POST to https://acme.atlassian.net/gateway/api/compass/v1/events" in (
        outcome.out.splitlines()
    )


def test_the_docs_fork_example_dry_runs_without_secrets_or_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DRY_RUN_DOCS.read_text(encoding="utf-8"), re.DOTALL)
    [workflow] = [read_trusted_yaml(block) for block in blocks if "head.repo.fork" in block]
    [uses] = [
        s for s in workflow["jobs"]["build"]["steps"] if "compass-action" in s.get("uses", "")
    ]
    fork = Run(
        event_name="pull_request", event={"pull_request": {"head": {"repo": {"fork": True}}}}
    )
    # A fork's run gets neither secrets nor variables: both contexts are empty.
    contexts = fork.contexts() | {"vars": {}, "secrets": {}}
    with_ = {name: evaluate(str(value), contexts) for name, value in uses["with"].items()}
    assert with_["dry-run"] == "true" and with_["api-token"] == ""
    with_["component-id"] = COMPONENT  # the example shows where the real one goes
    outcome = run_in_process(monkeypatch, step_env(fork, with_, tmp_path))
    assert outcome.code == 0, outcome.out
    assert "Dry run: would POST to https://acme.atlassian.net/gateway/api/compass/v1/events" in (
        outcome.out.splitlines()
    )


@pytest.mark.parametrize("event_type", ["deployment", "build"])
def test_an_empty_job_status_with_an_empty_state_names_job_status(
    step: Step, event_type: str
) -> None:
    # As under nektos/act, where job.status may be empty: what is missing is the job's status.
    outcome = step.run(DRY | {"state": "", "job-status": "", "event-type": event_type})
    assert outcome.code == 1
    assert outcome.errors == [
        "::error title=Input job-status::is empty, and state is empty too, so a deployment's or "
        "build's state is unknown; leave job-status at its default ${{ job.status }}, or set "
        "state, e.g. in_progress or successful"
    ]
