"""The in-process runner the tests use: main() with the environment the runner gives the container.

The environment is built by tools.action_runner.step_env, as for a subprocess run, so the
contract with action.yml is the same; the outputs file and the job summary are read back the
same way. What is saved is the process start (~0.4 s) and every wait: the runs share one
SkippedWaits clock, so back-off, Retry-After and pacing cost no real time while still counting
against the budget, and the wall clock moves on from one step to the next. Socket reads still
take real time, so a server that hangs is cut by the real deadline.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from tools.action_runner import (
    Run,
    SkippedWaits,
    StepResult,
    run_post_in_process,
    run_step_in_process,
)


class InProcess:
    """Called as ``tools.action_runner.run_step`` is: ``(run, with_, workdir, step_env_vars)``."""

    def __init__(self) -> None:
        self.waits = SkippedWaits()
        self.took = 0.0  # seconds the last run took, in real time

    def __call__(
        self,
        run: Run,
        with_: Mapping[str, str],
        workdir: Path,
        step_env_vars: Mapping[str, str] | None = None,
    ) -> StepResult:
        started = time.monotonic()
        result = run_step_in_process(run, with_, workdir, step_env_vars, waits=self.waits)
        self.took = time.monotonic() - started
        printed = result.stdout + result.stderr
        # A bug of ours would be reported, not raised: it must never be what a test sees pass.
        assert "Traceback" not in printed and "failed unexpectedly" not in printed, printed
        return result

    def post(
        self,
        run: Run,
        with_: Mapping[str, str],
        workdir: Path,
        main: StepResult,
        step_env_vars: Mapping[str, str] | None = None,
    ) -> StepResult | None:
        """The post step after ``main``, as the runner runs it; None when post-if skips it."""
        result = run_post_in_process(run, with_, workdir, main, step_env_vars, waits=self.waits)
        if result is not None:
            printed = result.stdout + result.stderr
            assert "Traceback" not in printed and "failed unexpectedly" not in printed, printed
        return result
