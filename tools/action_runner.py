"""Runs entrypoint.py the way the GitHub runner runs the container action (tests and the demo).

It reads action.yml, so the contract between action.yml and the code is what gets tested:
- every declared input is set as ``INPUT_<NAME>`` with hyphens kept, an unset one as "";
- an input's ``default:`` is evaluated against the ``github`` and ``job`` contexts;
- ``runs.env`` is evaluated against ``inputs`` and applied only where the step's env has no such
  variable yet (the workflow's ``env:`` wins, as on the runner);
- ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` are empty files that are read back afterwards.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from compass_action import main as action_main
from compass_action import text
from compass_action.clients import delivery
from compass_action.clients.http import Clock
from compass_action.main import start
from compass_action.report.reporter import Reporter

from . import EXAMPLE_COMPONENT as EXAMPLE_COMPONENT  # the demo's and benchmarks' name for it
from . import read_trusted_yaml

REPO = Path(__file__).resolve().parent.parent
ACTION = read_trusted_yaml((REPO / "action.yml").read_text(encoding="utf-8"))
_EXPRESSION = re.compile(r"^\$\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}$")


def evaluate(template: str, contexts: Mapping[str, Any]) -> str:
    """Evaluate the ``${{ a.b.c }}`` form that action.yml uses; anything else is rejected."""
    if "${{" not in template:
        return template
    match = _EXPRESSION.match(template.strip())
    if match is None:
        raise ValueError(f"this harness evaluates only ${{{{ a.b.c }}}}, not {template!r}")
    value: Any = contexts
    for part in match.group(1).split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    # Expressions render null as "" and numbers in their plain form.
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


@dataclass
class StepResult:
    exit_code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    env: dict[str, str]
    saved_state: dict[str, str] = field(default_factory=dict)  # GITHUB_STATE, for the post step
    exported_env: dict[str, str] = field(default_factory=dict)  # GITHUB_ENV, for later steps

    @property
    def payload(self) -> dict[str, Any]:
        return dict(json.loads(self.outputs["payload"]))


def parse_output_file(text: str) -> dict[str, str]:
    """Parse the runner's file-command format: ``name=value`` or ``name<<DELIM ... DELIM``."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value_lines = []
            while lines[index] != delimiter:
                value_lines.append(lines[index])
                index += 1
            index += 1
            outputs[name] = "\n".join(value_lines)
        else:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


@dataclass
class Run:
    """A workflow run as the action sees it: the github context and the job status."""

    repository: str = "acme/shop"
    repository_id: str = "123456789"
    run_id: int = 19_500_000_001
    run_attempt: int = 1
    run_number: int = 42
    job: str = "deploy"
    workflow: str = "Deploy"
    event_name: str = "push"
    ref: str = "refs/heads/main"
    sha: str = "0123456789abcdef0123456789abcdef01234567"
    event: dict[str, Any] | None = None
    job_status: str = "success"
    check_run_id: int | None = 51_725_241_954

    @property
    def ref_type(self) -> str:
        return "tag" if self.ref.startswith("refs/tags/") else "branch"

    @property
    def ref_name(self) -> str:
        return self.ref.split("/", 2)[2]

    def github_env(self, event_path: Path) -> dict[str, str]:
        return {
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": "https://api.github.com",
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_REPOSITORY_ID": self.repository_id,
            "GITHUB_REPOSITORY_OWNER": self.repository.split("/")[0],
            "GITHUB_RUN_ID": str(self.run_id),
            "GITHUB_RUN_ATTEMPT": str(self.run_attempt),
            "GITHUB_RUN_NUMBER": str(self.run_number),
            "GITHUB_JOB": self.job,
            "GITHUB_WORKFLOW": self.workflow,
            "GITHUB_WORKFLOW_REF": f"{self.repository}/.github/workflows/deploy.yml@{self.ref}",
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REF": self.ref,
            "GITHUB_REF_NAME": self.ref_name,
            "GITHUB_REF_TYPE": self.ref_type,
            "GITHUB_SHA": self.sha,
            "GITHUB_ACTOR": "octocat",
            "GITHUB_WORKSPACE": str(event_path.parent),
            "RUNNER_OS": "Linux",
            "RUNNER_TEMP": str(event_path.parent),
        }

    def contexts(self) -> dict[str, Any]:
        return {
            "github": {"event": self.event or {}, "ref": self.ref, "sha": self.sha},
            "job": {"status": self.job_status, "check_run_id": self.check_run_id},
        }


def step_env(
    run: Run,
    with_: Mapping[str, str],
    workdir: Path,
    step_env_vars: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment the container gets for ``uses: ./`` with ``with_`` in this run.

    ``workdir`` stands for the job's runner temp directory: steps of one job share it.
    """
    declared = ACTION["inputs"]
    unknown = set(with_) - set(declared)
    if unknown:
        raise ValueError(f"inputs not declared in action.yml: {sorted(unknown)}")
    # The runner writes the payload once, when the job starts; every step of the job shares it.
    event_path = workdir / "event.json"
    if not event_path.exists():
        event_path.write_text(json.dumps(run.event or {}), encoding="utf-8")
    contexts = run.contexts()
    inputs = {
        name: with_[name] if name in with_ else evaluate(str(spec.get("default", "")), contexts)
        for name, spec in declared.items()
    }
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir)}
    env |= run.github_env(event_path)
    env |= {f"INPUT_{name.replace(' ', '_').upper()}": value for name, value in inputs.items()}
    env |= dict(step_env_vars or {})
    for name, template in ACTION["runs"]["env"].items():
        env.setdefault(name, evaluate(str(template), {"inputs": inputs}))
    for variable, name in _FILE_COMMANDS.items():
        path = workdir / name
        path.write_text("")
        env[variable] = str(path)
    return env


# The runner's file commands: a fresh empty file per step, read back when the step ends.
_FILE_COMMANDS = {
    "GITHUB_OUTPUT": "set_output",
    "GITHUB_STEP_SUMMARY": "step_summary",
    "GITHUB_STATE": "save_state",
    "GITHUB_ENV": "set_env",
}


def _file_command(env: Mapping[str, str], variable: str) -> dict[str, str]:
    return parse_output_file(Path(env[variable]).read_text(encoding="utf-8"))


_POST_IF = re.compile(r"^always\(\) && env\.([A-Z_]+) == '([a-z]+)'$")


def post_condition(job_env: Mapping[str, str]) -> bool:
    """action.yml's ``runs.post-if`` in the job's env context; only the form it has is known."""
    match = _POST_IF.match(str(ACTION["runs"]["post-if"]))
    if match is None:
        raise ValueError("this harness evaluates only always() && env.X == 'y' as post-if")
    return job_env.get(match.group(1)) == match.group(2)


def run_entrypoint(
    env: Mapping[str, str], cwd: Path, timeout: float = 120, stage: str = "main"
) -> subprocess.CompletedProcess[str]:
    """Start entrypoint.py with exactly ``env``, as a fresh process, and wait for it.

    ``stage`` "post" passes what post-entrypoint.sh passes."""
    return subprocess.run(
        [sys.executable, str(REPO / "entrypoint.py"), *(["post"] if stage == "post" else [])],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_step(
    run: Run,
    with_: Mapping[str, str],
    workdir: Path,
    step_env_vars: Mapping[str, str] | None = None,
    timeout: float = 120,
    *,
    stage: str = "main",
    state: Mapping[str, str] | None = None,
) -> StepResult:
    workdir.mkdir(parents=True, exist_ok=True)
    env = step_env(run, with_, workdir, step_env_vars)
    env |= {f"STATE_{name}": value for name, value in (state or {}).items()}
    completed = run_entrypoint(env, workdir, timeout, stage)
    return StepResult(
        exit_code=completed.returncode,
        stdout=completed.stdout,
        stderr=completed.stderr,
        outputs=_file_command(env, "GITHUB_OUTPUT"),
        summary=Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8"),
        env=env,
        saved_state=_file_command(env, "GITHUB_STATE"),
        exported_env=_file_command(env, "GITHUB_ENV"),
    )


class SkippedWaits:
    """A clock whose sleeps cost no real time: it runs in real time plus every wait it skipped.

    Sockets still take real time, so a server that hangs is cut by the real deadline, while a
    back-off of 1, 2 and 4 s or a Retry-After is taken at once and still counts against the
    budget. The wall clock moves with it, for Retry-After dates and the event's times.
    """

    def __init__(self, *, real_time: bool = True) -> None:
        """``real_time`` False: the clock moves only by the waits, so what a test counts against
        it (a budget, a rate limit's window) never depends on how loaded the machine is;
        socket reads then have no deadline but the per-attempt timeout."""
        self.slept: list[float] = []  # every wait asked for, in order
        self._skipped = 0.0  # their sum, kept as they come: runs of hundreds of waits read it
        self._real_time = real_time
        self._started = time.monotonic()
        self._started_wall = datetime.now(UTC)

    def monotonic(self) -> float:
        return (time.monotonic() if self._real_time else self._started) + self._skipped

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._skipped += seconds

    def wall(self) -> datetime:
        return self._started_wall + timedelta(seconds=self.monotonic() - self._started)

    def clock(self) -> Clock:
        return Clock(monotonic=self.monotonic, sleep=self.sleep, wall=self.wall)


@contextlib.contextmanager
def _environment(wanted: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` is ``wanted`` inside, as it was after: only the variables that differ
    are set or removed (mock.patch.dict's clear=True empties it item by item, twice a run)."""
    before = dict(os.environ)
    _change_environment(before, wanted)
    try:
        yield
    finally:
        _change_environment(dict(os.environ), before)


def _change_environment(current: Mapping[str, str], wanted: Mapping[str, str]) -> None:
    for name in current.keys() - wanted.keys():
        del os.environ[name]
    for name, value in wanted.items():
        if current.get(name) != value:
            os.environ[name] = value


def start_in_process(
    env: Mapping[str, str],
    reporter: Reporter,
    waits: SkippedWaits | None = None,
    stage: str = "main",
) -> int:
    """What entrypoint.py does, in this process: ``env`` is the whole environment.

    Each run gets a fresh secret scrubber and a fresh rate-limit pacer, as each step is a process
    of its own; with ``waits`` every wait is skipped (see SkippedWaits). Some hundred times
    faster than a process, for tests that need many runs.
    """
    kept = {name: os.environ[name] for name in ("PATH", "TMPDIR") if name in os.environ}
    secrets = text.Scrubber()
    reporter.secrets = secrets
    clock = Clock() if waits is None else waits.clock()
    with (
        _environment(kept | dict(env)),
        mock.patch.object(text, "SECRETS", secrets),
        mock.patch.object(action_main, "CLOCK", clock),
        mock.patch.object(delivery, "_PACERS", {}),
    ):
        return start(reporter, os.environ, stage)


def run_step_in_process(
    run: Run,
    with_: Mapping[str, str],
    workdir: Path,
    step_env_vars: Mapping[str, str] | None = None,
    *,
    waits: SkippedWaits | None = None,
    stage: str = "main",
    state: Mapping[str, str] | None = None,
) -> StepResult:
    """``run_step``, in this process; the reporter writes to memory instead of the pipes.

    ``stage`` "post" with the main step's ``state`` runs the post step (see run_post_in_process).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    env = step_env(run, with_, workdir, step_env_vars)
    env |= {f"STATE_{name}": value for name, value in (state or {}).items()}
    out, err = io.StringIO(), io.StringIO()
    reporter = Reporter.from_environ(env)
    reporter.out, reporter.err = out, err
    code = start_in_process(env, reporter, waits, stage)
    return StepResult(
        exit_code=code,
        stdout=out.getvalue(),
        stderr=err.getvalue(),
        outputs=_file_command(env, "GITHUB_OUTPUT"),
        summary=Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8"),
        env=env,
        saved_state=_file_command(env, "GITHUB_STATE"),
        exported_env=_file_command(env, "GITHUB_ENV"),
    )


def run_post_step(
    run: Run,
    with_: Mapping[str, str],
    workdir: Path,
    main: StepResult,
    step_env_vars: Mapping[str, str] | None = None,
) -> StepResult | None:
    """The post step after ``main`` as a process, as run_post_in_process describes."""
    job_env = {**main.exported_env, **(step_env_vars or {})}
    if not post_condition(job_env):
        return None
    return run_step(run, with_, workdir, job_env, stage="post", state=main.saved_state)


def run_post_in_process(
    run: Run,
    with_: Mapping[str, str],
    workdir: Path,
    main: StepResult,
    step_env_vars: Mapping[str, str] | None = None,
    *,
    waits: SkippedWaits | None = None,
) -> StepResult | None:
    """The action's post step as the runner runs it after ``main``; None when it is skipped.

    As on the runner (actions/runner, src/Runner.Worker): post-if sees the job's env, which
    holds what earlier steps wrote to GITHUB_ENV; the inputs are evaluated again, so
    ``job.status`` is ``run.job_status`` now; the main step's GITHUB_STATE arrives as STATE_*.
    """
    job_env = {**main.exported_env, **(step_env_vars or {})}
    if not post_condition(job_env):
        return None
    return run_step_in_process(
        run, with_, workdir, job_env, waits=waits, stage="post", state=main.saved_state
    )
