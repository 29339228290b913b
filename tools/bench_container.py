"""Benchmark: the container step as a user feels it (start the container, run, exit).

Four ``podman run`` commands of the built image, measured in the same run, alternating, as
whole processes from the start of ``podman run`` to its exit:
- container: the entrypoint replaced by ``/bin/true``, so nothing runs: what podman itself costs;
- floor: the same image with its entrypoint replaced by
  ``python -E -s -c "import httpx, pydantic_settings"``: what any Python container step that
  uses these libraries costs here;
- dry run: the action with ``dry-run: true`` (derives and prints the event, sends nothing);
- delivered: the action sending one event, accepted by the stand-in, which runs on the host and
  is reached with ``--network host`` over http://127.0.0.1.

All four get the command the runner builds for a container action (``--rm``, ``--workdir
/github/workspace``, the /github mounts, ``-e NAME`` for every variable), each run in fresh
folders, so they differ only in what runs inside the container.

Run through ``scripts/bench-container.sh``, which sets up podman as the smoke test does and builds
the image first. Prints medians, ratios to the floor and the differences.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from .action_runner import EXAMPLE_COMPONENT, Run, parse_output_file, step_env
from .bench_e2e import EMAIL, TOKEN
from .compass_standin import Standin

FLOOR_ENTRYPOINT = "/usr/local/bin/python"
FLOOR_ARGS = ["-E", "-s", "-c", "import httpx, pydantic_settings"]
MOUNTS = ("workspace", "home", "workflow", "file_commands", "runner_temp")
KINDS = ("container", "floor", "dry-run", "delivered")


def _podman() -> str:
    podman = shutil.which("podman")
    if podman is None:
        raise SystemExit("podman is not installed: run scripts/container-smoke.sh first")
    return podman


def _step(image: str, inputs: dict[str, str], host: Path) -> tuple[list[str], dict[str, str]]:
    """The runner's ``docker run`` for one step, and the values of the variables it names."""
    dirs = {name: host / name for name in MOUNTS}
    for folder in dirs.values():
        folder.mkdir(parents=True)
    env = step_env(Run(), inputs, dirs["workflow"])
    env.pop("PATH")
    output = f"set_output_{uuid.uuid4()}"
    (dirs["file_commands"] / output).write_text("")
    (dirs["file_commands"] / "step_summary").write_text("")
    env |= {
        "HOME": "/github/home",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_OUTPUT": f"/github/file_commands/{output}",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/step_summary",
        "RUNNER_TEMP": "/github/runner_temp",
    }
    command = [_podman(), "run", "--rm", "--network", "host", "--workdir", "/github/workspace"]
    for name in env:
        command += ["-e", name]
    for name, folder in dirs.items():
        command += ["-v", f"{folder}:/github/{name}"]
    return [*command, image], env


def _timed(kind: str, image: str, server: Standin, host: Path) -> float:
    inputs = {"component-id": EXAMPLE_COMPONENT, "environment": "production"}
    if kind == "delivered":
        inputs |= {"site": server.base_url, "user-email": EMAIL, "api-token": TOKEN}
    else:
        inputs["dry-run"] = "true"
    command, env = _step(image, inputs, host)
    if kind == "container":  # podman alone: the container starts and exits, nothing runs
        command[-1:] = ["--entrypoint", "/bin/true", image]
    elif kind == "floor":
        command[-1:] = ["--entrypoint", FLOOR_ENTRYPOINT, image, *FLOOR_ARGS]
    podman_env = {
        key: os.environ[key]
        for key in ("PATH", "CONTAINERS_CONF", "BUILDAH_ISOLATION")
        if key in os.environ
    }
    start = time.perf_counter()
    completed = subprocess.run(command, env=podman_env | env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    _check(kind, completed, host / "file_commands" / Path(env["GITHUB_OUTPUT"]).name)
    return elapsed


def _check(kind: str, completed: subprocess.CompletedProcess[bytes], output: Path) -> None:
    """A run that did not do its job must not count as a fast one."""
    if completed.returncode != 0:
        raise SystemExit(f"{kind}: exit {completed.returncode}\n{completed.stderr.decode()}")
    if kind in ("container", "floor"):
        return
    outputs = parse_output_file(output.read_text())
    expected = {"dry-run": ("status", "dry-run"), "delivered": ("delivered", "true")}[kind]
    if outputs.get(expected[0]) != expected[1]:
        raise SystemExit(f"{kind}: outputs {outputs}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--image", required=True)
    parser.add_argument("--runs", type=_positive, default=10, help="runs of each (default 10)")
    args = parser.parse_args()
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with tempfile.TemporaryDirectory() as folder, Standin(EMAIL, TOKEN) as server:
        for round_ in range(args.runs + 1):
            for kind in KINDS:
                elapsed = _timed(kind, args.image, server, Path(folder) / f"{round_}-{kind}")
                if round_ > 0:  # round 0 warms podman's storage and the page cache
                    times[kind].append(elapsed)
        received = len(server.bodies())
    if received != args.runs + 1:
        print(f"the stand-in received {received} events, not {args.runs + 1}", file=sys.stderr)
        return 1
    container, floor, dry, delivered = (statistics.median(times[kind]) * 1000 for kind in KINDS)
    spread = {kind: _quartiles(times[kind]) for kind in KINDS}
    print(f"runs: {args.runs} of each, alternating; medians of podman run to exit (quartiles)")
    print(f"container only (entrypoint /bin/true), podman's own cost: {container:.0f} ms "
          f"{spread['container']}")  # fmt: skip
    print(f"floor, the image only starting Python and importing httpx, pydantic_settings: "
          f"{floor:.0f} ms {spread['floor']}")  # fmt: skip
    for kind, label, value in (
        ("dry-run", "dry run", dry),
        ("delivered", "one event delivered to the stand-in", delivered),
    ):
        print(f"action, {label}: {value:.0f} ms {spread[kind]}, ratio {value / floor:.2f}, "
              f"{value - floor:+.0f} ms")  # fmt: skip
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("give at least one run")
    return value


def _quartiles(seconds: list[float]) -> str:
    """The middle half of the runs, to show how far one median can be trusted."""
    if len(seconds) < 2:
        return ""
    low, _, high = statistics.quantiles(seconds, n=4)
    return f"({low * 1000:.0f}-{high * 1000:.0f})"


if __name__ == "__main__":
    sys.exit(main())
