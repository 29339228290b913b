"""Run main() in the test process with the environment the runner gives the container.

The environment is built by tools.action_runner.step_env, as for a subprocess run, so the
contract with action.yml is the same; what is saved is the process start. With ``skip_waits``
every wait of the delivery (backoff, Retry-After, pacing) returns at once while still counting
against the budget, as the fake clocks of the unit tests do; socket reads still take real time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from compass_action.clients import delivery

# The real classes, bound before any test replaces them in the delivery module.
from compass_action.clients.http import Clock as RealClock
from compass_action.clients.http import Pacer
from compass_action.main import main
from tools.action_runner import Run, StepResult, parse_output_file, step_env


class SkippedWaits:
    """A monotonic clock that runs in real time plus every wait it was asked to skip."""

    def __init__(self) -> None:
        self.skipped: list[float] = []

    def monotonic(self) -> float:
        return time.monotonic() + sum(self.skipped)

    def sleep(self, seconds: float) -> None:
        self.skipped.append(seconds)

    def clock(self) -> RealClock:
        return RealClock(monotonic=self.monotonic, sleep=self.sleep)


class InProcess:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self._monkeypatch, self._capsys = monkeypatch, capsys
        self.took = 0.0  # seconds the last run took, in real time

    def __call__(
        self,
        with_: Mapping[str, str],
        workdir: Path,
        step_env_vars: Mapping[str, str] | None = None,
        *,
        skip_waits: bool = False,
        run: Run | None = None,
    ) -> StepResult:
        workdir.mkdir(parents=True, exist_ok=True)
        env = step_env(run or Run(), with_, workdir, step_env_vars)
        for name in list(os.environ):
            if name.startswith(("COMPASS_", "INPUT_", "GITHUB_", "RUNNER_")):
                self._monkeypatch.delenv(name)
        for name, value in env.items():
            self._monkeypatch.setenv(name, value)
        # A fresh rate-limit pacer, as a fresh process has.
        self._monkeypatch.setattr(delivery, "_PACERS", {})
        if skip_waits:
            waits = SkippedWaits()
            self._monkeypatch.setattr(delivery, "Clock", waits.clock)
            self._monkeypatch.setattr(delivery, "compass_pacer", _pacer_on(waits))
        started = time.monotonic()
        code = main()
        self.took = time.monotonic() - started
        out, err = self._capsys.readouterr()
        assert "Traceback" not in out + err and "failed unexpectedly" not in out + err, out + err
        return StepResult(
            exit_code=code,
            stdout=out,
            stderr=err,
            outputs=parse_output_file(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")),
            summary=Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8"),
            env=env,
        )


def _pacer_on(waits: SkippedWaits) -> Callable[[], Pacer]:
    real = delivery.compass_pacer

    def pacer() -> Pacer:
        return real(clock=waits.monotonic, sleep=waits.sleep)

    return pacer
