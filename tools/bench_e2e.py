"""Benchmark: one action run end to end against the floor of importing its dependencies.

Both are measured in the same run, alternating, as whole processes:
- floor: ``python -c "import httpx, pydantic_settings"``, the design's libraries (issue 8);
- action: ``python entrypoint.py`` with the environment the runner gives it, until the event is
  accepted by the stand-in and the process has exited; once against the stand-in over http on
  loopback, once over https with a throw-away certificate (what TLS set-up adds).

Run: ``.venv/bin/python -m tools.bench_e2e [--runs 30]``. Prints medians and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .action_runner import EXAMPLE_COMPONENT, REPO, Run, step_env
from .compass_standin import Standin

EMAIL = "bench@example.com"
TOKEN = "bench-token-of-the-stand-in"  # noqa: S105 - the stand-in's own
# Both start Python as the image's entrypoint does (-E -s -u); bytecode is written once, in the
# warm-up, as the image compiles it at build time.
FLOOR = [sys.executable, "-E", "-s", "-u", "-c", "import httpx, pydantic_settings"]
# The same imports made the way entrypoint.py makes them (no cyclic collection meanwhile): the
# stricter floor, which our start-up technique cannot beat.
FLOOR_NO_GC = [
    *FLOOR[:-1],
    "import gc; gc.disable(); import httpx, pydantic_settings; gc.freeze(); gc.enable()",
]


def _timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"floor": [], "floor_no_gc": [], "http": [], "https": []}
    command = [sys.executable, "-E", "-s", "-u", str(REPO / "entrypoint.py")]
    with tempfile.TemporaryDirectory() as folder:
        tls = _certificate(Path(folder))
        with Standin(EMAIL, TOKEN) as plain, Standin(EMAIL, TOKEN, tls=tls) as secure:
            envs = {}
            for name, server in (("http", plain), ("https", secure)):
                inputs = {
                    "site": server.base_url,
                    "user-email": EMAIL,
                    "api-token": TOKEN,
                    "component-id": EXAMPLE_COMPONENT,
                    "environment": "production",
                }
                job = Path(folder) / name
                job.mkdir()
                envs[name] = step_env(Run(), inputs, job, {"SSL_CERT_FILE": str(tls[0])})
                _timed(command, envs[name])  # warm the file cache and write bytecode once
            _timed(FLOOR)
            for _ in range(args.runs):
                times["floor"].append(_timed(FLOOR))
                times["floor_no_gc"].append(_timed(FLOOR_NO_GC))
                times["http"].append(_timed(command, envs["http"]))
                times["https"].append(_timed(command, envs["https"]))
            accepted = len(plain.bodies()) + len(secure.bodies())
    if accepted != 2 * (args.runs + 1):
        print(f"only {accepted} of {2 * (args.runs + 1)} events were received", file=sys.stderr)
        return 1
    floor, strict, http, https = (
        statistics.median(times[k]) * 1000 for k in ("floor", "floor_no_gc", "http", "https")
    )
    print(f"runs: {args.runs} of each, alternating; medians")
    print(f"floor, start Python and import httpx and pydantic-settings: {floor:.0f} ms")
    print(f"the same imports with the collector off, as entrypoint.py makes them: {strict:.0f} ms")
    for label, value in (("over http on loopback", http), ("over https (TLS set-up)", https)):
        print(
            f"action end to end, stand-in {label}: {value:.0f} ms, "
            f"ratio {value / floor:.2f} (to the stricter floor {value / strict:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
