"""Benchmark: the action's runs end to end against the floors of importing its dependencies.

Measured in one run, round after round, each round running every command once in turn, as
whole processes:
- the card's floor as it is: ``python -c "import httpx, pydantic_settings"``, the design's
  libraries (issue 8), plain interpreter flags, the cyclic collector on;
- the stricter floor: the same imports made the way entrypoint.py makes them (collector off
  while importing, what they built frozen), as the image starts Python (-E -s -u -B);
- the action as the image starts it (``python -E -s -u -B entrypoint.py``) with the environment
  the runner gives it: a plain send (one deployment by ARI, accepted by the stand-in over http on
  loopback), a dry run, and track-job's post step sending the final state;
- with ``--https``, the plain send to the stand-in over https with a throw-away certificate.

Prints the medians of wall time and of CPU time (user + system of the process, from
``resource.getrusage``: steadier than wall time while other work loads the machine) and the
medians of the ratios to both floors, each round's command to the same round's floor. With
``--instructions``, each command instead runs once under valgrind's callgrind, which counts the
instructions the process ran: the same count (within 0.2 %) on every run, whatever else the
machine is doing, so two versions of the code compare on a busy machine.
Run: ``.venv/bin/python -m tools.bench_e2e [--rounds 25] [--https] [--instructions]``.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from .action_runner import EXAMPLE_COMPONENT, REPO, Run, step_env
from .compass_standin import Standin

EMAIL = "bench@example.com"
TOKEN = "bench-token-of-the-stand-in"  # noqa: S105 - the stand-in's own
IMPORTS = "import httpx, pydantic_settings"
FLOOR = [sys.executable, "-c", IMPORTS]
IMAGE_FLAGS = ["-E", "-s", "-u", "-B"]  # the Dockerfile's ENTRYPOINT
STRICT_FLOOR = [
    sys.executable,
    *IMAGE_FLAGS,
    "-c",
    f"import gc; gc.disable(); {IMPORTS}; gc.freeze(); gc.enable()",
]
ACTION = [sys.executable, *IMAGE_FLAGS, str(REPO / "entrypoint.py")]


def _timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one process, in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, check=False, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{command} failed: {done}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _instructions(command: list[str], env: dict[str, str] | None) -> int:
    """The instructions one run of ``command`` executed, counted by callgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    done = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{command} under callgrind failed: {done.stderr[-2000:]}")
    return int(found.group(1))


def _report_instructions(counts: dict[str, int]) -> None:
    floor, strict = counts["card's floor"], counts["stricter floor"]
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, instructions counted by callgrind, one run each"
    )
    print(f"{'':<20} {'millions':>9} {'/card':>6} {'/strict':>7}")
    for name, count in counts.items():
        print(f"{name:<20} {count / 1e6:9.1f} {count / floor:6.2f} {count / strict:7.2f}")


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=standin", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def plain_send_inputs(server: Standin) -> dict[str, str]:
    """The inputs of the plain send measured here and in bench_imports: one deployment to
    production, for the example component, to ``server``."""
    return {
        "site": server.base_url,
        "user-email": EMAIL,
        "api-token": TOKEN,
        "component-id": EXAMPLE_COMPONENT,
        "environment": "production",
    }


def _commands(
    folder: Path, plain: Standin, secure: Standin | None, tls: tuple[Path, Path] | None
) -> dict[str, tuple[list[str], dict[str, str] | None]]:
    """Each measured command with its environment (None: this process's)."""

    def env(name: str, server: Standin, extra: dict[str, str]) -> dict[str, str]:
        job = folder / name
        job.mkdir()
        variables = {"SSL_CERT_FILE": str(tls[0])} if tls else {}
        return step_env(Run(), plain_send_inputs(server) | extra, job, variables)

    post = env("post", plain, {"track-job": "true"}) | {"STATE_TRACKING": "true"}
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "card's floor": (FLOOR, None),
        "stricter floor": (STRICT_FLOOR, None),
        "plain send": (ACTION, env("send", plain, {})),
        "dry run": (ACTION, env("dry", plain, {"dry-run": "true"})),
        "post step": ([*ACTION, "post"], post),
    }
    if secure is not None:
        commands["plain send, https"] = (ACTION, env("https", secure, {}))
    return commands


def _report(times: dict[str, list[tuple[float, float]]], rounds: int) -> None:
    """Medians of each command's times, and of its ratio to each floor taken round by round:
    a round runs the commands back to back, so a host whose speed drifts between rounds (a
    shared virtual machine's does, by a third here) moves a command and its floor together."""
    floor, strict = "card's floor", "stricter floor"

    def median(name: str, part: int) -> float:
        return statistics.median(t[part] for t in times[name])

    def ratio(name: str, base: str, part: int) -> float:
        return statistics.median(
            a[part] / b[part] for a, b in zip(times[name], times[base], strict=True)
        )

    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.2f}")
    print(
        f"rounds: {rounds}, each command once a round, in turn; medians (ratios: of each round's)"
    )
    print(f"{'':<20} {'wall ms':>8} {'/card':>6} {'/strict':>7}   {'CPU ms':>7} {'/card':>6}")
    for name in times:
        print(
            f"{name:<20} {median(name, 0) * 1000:8.0f} {ratio(name, floor, 0):6.2f} "
            f"{ratio(name, strict, 0):7.2f}   {median(name, 1) * 1000:7.0f} "
            f"{ratio(name, floor, 1):6.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--https", action="store_true", help="also a send over https")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions (callgrind), once each"
    )
    args = parser.parse_args()
    # -B writes no bytecode: compile it once first, as the image does when it is built.
    compileall.compile_dir(REPO / "compass_action", quiet=1)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        tls = _certificate(folder) if args.https else None
        with Standin(EMAIL, TOKEN) as plain, Standin(EMAIL, TOKEN, tls=tls) as secure:
            commands = _commands(folder, plain, secure if tls else None, tls)
            if args.instructions:
                _report_instructions(
                    {
                        label: _instructions(command, env)
                        for label, (command, env) in commands.items()
                    }
                )
                return 0
            for command, env in commands.values():
                _timed(command, env)  # warm the file cache
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
            for _ in range(args.rounds):
                for label, (command, env) in commands.items():
                    times[label].append(_timed(command, env))
            sends = 3 if tls else 2  # the plain send and the post step, and the https send
            received = len(plain.bodies()) + len(secure.bodies())
    if received != sends * (args.rounds + 1):
        print(f"{received} events received, not {sends * (args.rounds + 1)}", file=sys.stderr)
        return 1
    _report(times, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
