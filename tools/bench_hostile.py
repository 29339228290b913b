"""Benchmark: hostile answers from GitHub, and partial secret echoes (issue 20).

Each GitHub case runs the real entrypoint as its own process (as the runner runs the container)
against the GitHub stand-in playing the answers (tools/github_standin.py, ``play``) and the
Compass stand-in, with ``timeout: 20``, and prints the step's time, its peak memory (the
process's own maximum resident set, read as it exits) and how it ended. What "Done" asks of
each: ends within timeout + 5 s, under 300 MB, good items delivered, a clear message.

The cases: an observer (``workflow_run``) whose jobs list is answered with

- ``baseline``: one good job (what a step costs anyway);
- ``8mib``: 8 MiB pages of real-shaped jobs, each naming a next page, without end;
- ``4mib``: pages just under the 4 MiB limit (some 2,000 jobs each, 100 asked), without end;
- ``tiny``: pages just under 4 MiB of empty objects (1.4 million values each), without end;
- ``values``: pages of 145,000 empty objects (290,000 values, just under the cap), without
  end;
- ``bad``: one page of good jobs mixed with times out of range, lone surrogates, 5,000-digit
  ids;

a reconcile whose runs list is ``4mib`` pages of workflow runs without end (``reconcile``); and
a reconcile of Dependabot alerts of ``4mib`` pages without end (``alerts``). Then the scrubber
on a 64 KiB text (in this process).

Run: ``.venv/bin/python -m tools.bench_hostile [--only 8mib,bad]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compass_action.text import Scrubber

from .action_runner import EXAMPLE_COMPONENT, REPO, Run, step_env
from .compass_standin import Standin
from .github_standin import (
    GitHubStandin,
    Player,
    dependabot_alert,
    endless_pages,
    job,
    oversized_page,
    raw_items,
    tiny_values_page,
    workflow_run,
)

EMAIL = "bench@example.com"
TOKEN = "bench-token-of-the-stand-in"  # noqa: S105 - the stand-in's own
GITHUB_TOKEN = "ghs_bench0f7heGitHub5tandIn000000000000"  # noqa: S105 - the stand-in's own
REPOSITORY = "acme/shop"
RUN_ID = 19_600_000_123
SHA = "3484a3fb816e0859fd6e1cea078d76385ff50625"
JOBS = f"/repos/{REPOSITORY}/actions/runs/{RUN_ID}/attempts/1/jobs"
MIB = 1024 * 1024
TIMEOUT = 20

# The child's own peak memory, written as it exits (ru_maxrss: KiB on Linux).
_MEASURED = """
import atexit, os, resource, runpy, sys
def _peak():
    with open(os.environ["BENCH_PEAK_FILE"], "w") as out:
        out.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
atexit.register(_peak)
sys.argv = [sys.argv[1]]
sys.path.insert(0, os.path.dirname(sys.argv[0]))
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _job(number: int, **values: Any) -> dict[str, Any]:
    return job(REPOSITORY, RUN_ID, 51_725_241_000 + number, f"test ({number})", head_sha=SHA)


def _bad_page() -> Player:
    good = [json.dumps(_job(n)) for n in range(5)]
    bad = [
        json.dumps(_job(10) | {"started_at": "0001-01-01T00:00:00+01:00"}),
        json.dumps(_job(11) | {"completed_at": "9999-12-31T23:59:59-10:00"}),
        json.dumps(_job(12) | {"name": "build \ud800"}),
        json.dumps(_job(13)).replace('"id": 51725241013', '"id": ' + "9" * 5000),
    ]
    return raw_items(good + bad, "jobs")


def _runs_page() -> Player:
    run = workflow_run(REPOSITORY, RUN_ID, head_sha=SHA)
    return oversized_page(4 * MIB - 64 * 1024, run, "workflow_runs")


OBSERVER_CASES: dict[str, Callable[[], Player]] = {
    "baseline": lambda: raw_items([json.dumps(_job(1))], "jobs"),
    "8mib": lambda: oversized_page(8 * MIB, _job(1), "jobs"),
    "4mib": lambda: oversized_page(4 * MIB - 64 * 1024, _job(1), "jobs"),
    "tiny": lambda: tiny_values_page(4 * MIB - 1024, "jobs"),
    "values": lambda: tiny_values_page(145_000 * 3, "jobs"),
    "bad": _bad_page,
}


def _observer_run() -> Run:
    event = {
        "action": "completed",
        "workflow_run": {"id": RUN_ID, "run_attempt": 1, "event": "push", "head_sha": SHA},
        "repository": {"id": 123456789, "full_name": REPOSITORY},
    }
    return Run(event_name="workflow_run", event=event, job="report", workflow="Report")


def _reconcile_run() -> Run:
    return Run(event_name="schedule", event={"schedule": "17 5 * * *"}, job="reconcile")


def run_case(name: str) -> str:
    """One case as its own process; a line of what it took."""
    with (
        Standin(EMAIL, TOKEN) as compass,
        GitHubStandin(GITHUB_TOKEN) as github,
        tempfile.TemporaryDirectory() as tmp,
    ):
        inputs = {
            "site": compass.base_url,
            "user-email": EMAIL,
            "api-token": TOKEN,
            "component-id": EXAMPLE_COMPONENT,
            "github-token": GITHUB_TOKEN,
            "timeout": str(TIMEOUT),
        }
        if name in OBSERVER_CASES:
            run = _observer_run()
            inputs["event-type"] = "build"
            github.add_run(REPOSITORY, workflow_run(REPOSITORY, RUN_ID, head_sha=SHA), [])
            github.play(JOBS, OBSERVER_CASES[name]())
        elif name == "reconcile":
            run, inputs["reconcile"] = _reconcile_run(), "7d"
            github.play(f"/repos/{REPOSITORY}/actions/runs", _runs_page())
        else:
            run, inputs["reconcile"] = _reconcile_run(), "7d"
            inputs["vulnerabilities"] = "dependabot"
            alert = dependabot_alert(REPOSITORY, 1)
            github.play(f"/repos/{REPOSITORY}/actions/runs", endless_pages([], "workflow_runs"))
            github.play(
                f"/repos/{REPOSITORY}/dependabot/alerts", oversized_page(4 * MIB - 65536, alert)
            )
        workdir = Path(tmp) / "job"
        workdir.mkdir()
        env = step_env(run, inputs, workdir, {"GITHUB_API_URL": github.url})
        env["BENCH_PEAK_FILE"] = str(Path(tmp) / "peak")
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", _MEASURED, str(REPO / "entrypoint.py")],
            env=env,
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=TIMEOUT + 60,
            check=False,
        )
        took = time.monotonic() - started
        peak = int((Path(tmp) / "peak").read_text()) / 1024
        sent = len(compass.events())
        asked = len(github.requests)
    said = [
        line
        for line in done.stdout.splitlines()
        if line.startswith(("::error", "::warning", "::notice"))
    ]
    first = said[0][:160] if said else "(no annotation)"
    return (
        f"{name:9} {took:5.1f} s  peak {peak:6.1f} MB  exit {done.returncode}  "
        f"GitHub requests {asked:3}  events sent {sent}  first annotation: {first}"
    )


def scrub_64k() -> str:
    """The scrubber on a 64 KiB log text, with an Atlassian token of the current form."""
    token = "ATATT3xFfGF0" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5" * 5  # 192 characters
    secrets = Scrubber()
    secrets.add_credentials("someone@example.com", token)
    text = ("GET /gateway/api/graphql 200 in 12 ms; " * 1700)[: 64 * 1024]
    echoed = text[:30000] + token[:24] + " was refused " + text[30000:]
    secrets.scrub("warm up")
    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        clean = secrets.scrub(echoed)
    took = (time.perf_counter() - started) / rounds * 1000
    assert token[:24] not in clean
    return f"scrub     {took:5.1f} ms for a 64 KiB text with a 24-character echo of the token"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    cases = [*OBSERVER_CASES, "reconcile", "alerts"]
    parser.add_argument("--only", default=",".join([*cases, "scrub"]))
    chosen = parser.parse_args().only.split(",")
    for name in chosen:
        print(scrub_64k() if name == "scrub" else run_case(name), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
