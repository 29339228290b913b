"""Run the action end to end on this machine: the real entrypoint against the Compass stand-in.

It plays a release: a tag push deploys to production, with an IN_PROGRESS step and a final step,
as a workflow would, then shows what Compass (the stand-in) stored.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from . import EXAMPLE_COMPONENT
from .compass_contract import ContractMissing
from .compass_standin import Standin

EMAIL = "demo@example.com"
TOKEN = "demo-token-of-the-stand-in"  # noqa: S105 - the stand-in's own, not a real credential


def main() -> int:
    try:
        return _demo()
    except (ContractMissing, OSError) as problem:  # the stand-in could not start: say why, now
        print(f"demo: the Compass stand-in cannot start: {problem}", file=sys.stderr)
        return 1


def _demo() -> int:
    with Standin(EMAIL, TOKEN) as server, tempfile.TemporaryDirectory() as folder:
        # The runner model (and with it the action) loads once the stand-in is up: a stand-in
        # that cannot start is told without waiting for either.
        from .action_runner import Run, run_step

        run = Run(ref="refs/tags/v1.4.0", event_name="push")
        job = Path(folder)
        inputs = {
            "site": server.base_url,
            "user-email": EMAIL,
            "api-token": TOKEN,
            "component-id": EXAMPLE_COMPONENT,
        }
        for title, step_run, extra in (
            ("Step 1: state in_progress", run, {"state": "in_progress"}),
            (
                "Step 2: if: always(), state from job.status",
                dataclasses.replace(run, job_status="success"),
                {},
            ),
        ):
            print(f"\n=== {title} " + "=" * 40)
            result = run_step(step_run, inputs | extra, job)
            print(result.stdout + result.stderr, end="")
            print(f"--- exit code {result.exit_code}; outputs:")
            for name, value in result.outputs.items():
                if name != "payload":
                    print(f"  {name}={value}")
            if result.exit_code != 0:
                return result.exit_code
        print("\n=== What the stand-in stored (one deployment, updated in place) " + "=" * 10)
        print(json.dumps(server.events(), indent=2))
        return 0 if len(server.events()) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
