"""Benchmark: what track-job's post step costs a step that did not turn it on.

In a job where no step turned track-job on, ``post-if`` is false and the runner starts no post
container at all: the cost is the runner evaluating one condition. Where another use of the
action in the job turned it on, ``post-if`` is true for every use, and the post container of a
use that did not starts and ends in ``post-entrypoint.sh`` before Python starts. Measured here as
processes, alternating, medians (no container runtime: the container's own start comes on top):

- the post entry point with nothing to finish: ``sh post-entrypoint.sh``;
- ``python entrypoint.py post`` with nothing to finish (it ends before its imports);
- for scale, the floor of any Python step: ``python -E -s -u -c pass``.

Run: ``.venv/bin/python -m tools.bench_post [--runs 40]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from .action_runner import REPO

COMMANDS = {
    "sh post-entrypoint.sh, nothing tracked": ["/bin/sh", str(REPO / "post-entrypoint.sh")],
    "python entrypoint.py post, nothing tracked": [
        *(sys.executable, "-E", "-s", "-u", "-B", str(REPO / "entrypoint.py"), "post")
    ],
    "python -E -s -u -c pass (floor of any Python step)": [
        *(sys.executable, "-E", "-s", "-u", "-c", "pass")
    ],
}


def _timed(command: list[str]) -> float:
    env = {"PATH": os.environ.get("PATH", ""), "GITHUB_ACTIONS": "true"}
    start = time.perf_counter()
    done = subprocess.run(command, env=env, check=False, capture_output=True)
    took = time.perf_counter() - start
    if done.returncode != 0 or done.stdout or done.stderr:
        raise SystemExit(f"{command} did not end quietly: {done}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for command in COMMANDS.values():
        _timed(command)  # warm the file cache
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            times[name].append(_timed(command))
    print(f"runs: {args.runs} of each, alternating; medians")
    for name, values in times.items():
        print(f"{name}: {statistics.median(values) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
