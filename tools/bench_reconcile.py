"""Benchmark: a 90-day history import (``reconcile: 90d``) under Compass's rate limit.

One action run (in this process) reconciles N workflow runs of the GitHub stand-in, each with a
build job and a deploy job to production: 2 events a run with ``build-unit: run`` (the run's
build, one deployment), 3 with ``--build-unit job`` (two builds, one deployment). The
Compass stand-in has its rate limit on (100 requests per user in any 60 s, sliding window).

The clock is the in-process runner's skipping clock: every wait the pacer asks for counts
(against the budget, and in the stand-in's window) but costs no real time, so the "paced" time
printed is what the import takes on a runner, waits included, and "real" is what the work
itself (requests to both stand-ins, deriving, the summary) took. The floor is what the limit
alone imposes: request k (from 0) may go no sooner than floor(k / 100) x 60 s.

Run: ``.venv/bin/python -m tools.bench_reconcile [--runs 200] [--build-unit run|job]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from compass_action.clients.delivery import RATE_LIMIT_REQUESTS, RATE_LIMIT_WINDOW

from .action_runner import EXAMPLE_COMPONENT, Run, SkippedWaits, run_step_in_process
from .compass_standin import RateLimit, Standin
from .github_standin import GitHubStandin, add_history

EMAIL = "bench@example.com"
TOKEN = "bench-token-of-the-stand-in"  # noqa: S105 - the stand-in's own
GITHUB_TOKEN = "ghs_bench0f7heGitHub5tandIn000000000000"  # noqa: S105 - the stand-in's own
REPOSITORY = "acme/shop"
EVENTS_PER_RUN = {"run": 2, "job": 3}


def measure(runs: int, unit: str = "run") -> tuple[float, float, float, int, int, int]:
    """Paced seconds, real seconds, floor seconds, 429s, events accepted, GitHub requests."""
    waits = SkippedWaits()
    limit = RateLimit(RATE_LIMIT_REQUESTS, RATE_LIMIT_WINDOW, clock=waits.monotonic)
    with (
        Standin(EMAIL, TOKEN, rate_limit=limit) as compass,
        GitHubStandin(GITHUB_TOKEN) as github,
        tempfile.TemporaryDirectory() as tmp,
    ):
        add_history(github, REPOSITORY, runs, 90, time.time())
        inputs = {
            "site": compass.base_url,
            "user-email": EMAIL,
            "api-token": TOKEN,
            "component-id": EXAMPLE_COMPONENT,
            "github-token": GITHUB_TOKEN,
            "reconcile": "90d",
            "timeout": "3600",
            "build-unit": unit,
        }
        run = Run(event_name="schedule", event={"schedule": "17 5 * * *"}, job="reconcile")
        paced_start, real_start = waits.monotonic(), time.monotonic()
        result = run_step_in_process(
            run, inputs, Path(tmp) / "job", {"GITHUB_API_URL": github.url}, waits=waits
        )
        paced, real = waits.monotonic() - paced_start, time.monotonic() - real_start
        accepted = sum(item.status == 202 for item in compass.received())
        asked = len(github.requests)
    if result.exit_code != 0:
        print(result.stdout[-3000:], file=sys.stderr)
    events = runs * EVENTS_PER_RUN[unit]
    floor = ((events - 1) // RATE_LIMIT_REQUESTS) * RATE_LIMIT_WINDOW
    return paced, real, floor, limit.refused, accepted, asked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--build-unit", choices=sorted(EVENTS_PER_RUN), default="run")
    args = parser.parse_args()
    paced, real, floor, refused, accepted, asked = measure(args.runs, args.build_unit)
    events = args.runs * EVENTS_PER_RUN[args.build_unit]
    print(
        f"{args.runs} runs over 90 days, {events} events: paced {paced:.1f} s, "
        f"floor {floor:.0f} s, over the floor {paced - floor:.1f} s, real work {real:.2f} s, "
        f"429s {refused}, accepted {accepted}, GitHub API requests {asked}"
    )
    return 1 if refused or accepted != events else 0


if __name__ == "__main__":
    sys.exit(main())
