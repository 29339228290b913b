"""Benchmark: what each module a plain send imports costs, beyond the card's floor.

Runs the action as the image starts it, with ``-X importtime``, sending one deployment to the
stand-in, ``--runs`` times; prints each module's own import time (its "self" column, the least
seen over the runs: the steadiest figure on a shared machine) for the modules that
``python -c "import httpx, pydantic_settings"`` does not import itself. ``-X importtime`` does not
see modules loaded through ``importlib.import_module`` (the one event kind a run sends).

Run: ``.venv/bin/python -m tools.bench_imports [--runs 9] [--top 40]``.
"""

from __future__ import annotations

import argparse
import compileall
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from .action_runner import REPO, Run, step_env
from .bench_e2e import EMAIL, IMAGE_FLAGS, IMPORTS, TOKEN, plain_send_inputs
from .compass_standin import Standin

_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _self_times(stderr: str) -> dict[str, int]:
    """Each module's own import time in microseconds, from ``-X importtime``'s report."""
    found = (_LINE.match(line) for line in stderr.splitlines())
    return {match.group(4): int(match.group(1)) for match in found if match}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    compileall.compile_dir(REPO / "compass_action", quiet=1)
    floor = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORTS], capture_output=True, text=True
    )
    floor_modules = set(_self_times(floor.stderr))
    least: dict[str, int] = {}
    command = [sys.executable, *IMAGE_FLAGS, "-X", "importtime", str(REPO / "entrypoint.py")]
    with tempfile.TemporaryDirectory() as folder, Standin(EMAIL, TOKEN) as server:
        env = step_env(Run(), plain_send_inputs(server), Path(folder))
        for _ in range(args.runs):
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"the send failed: {done.stdout}{done.stderr}")
            for module, took in _self_times(done.stderr).items():
                least[module] = min(took, least.get(module, took))
    ours = {module: took for module, took in least.items() if module not in floor_modules}
    print(
        f"modules imported: {len(least)}, {len(ours)} of them beyond the floor's, their own "
        f"import time {sum(ours.values()) / 1000:.1f} ms (least of {args.runs} runs)"
    )
    for module, took in sorted(ours.items(), key=lambda item: -item[1])[: args.top]:
        print(f"{took / 1000:6.1f} ms  {module}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
