"""Benchmark: several components sent under Compass's rate limit, against the limit's floor.

One action run (in this process, on the real clock: every wait is really waited) reports N
components to the stand-in with its rate limit on (100 requests per user per 60 s, a sliding
window: the strictest reading of Compass's limit). The theoretical floor is the time the limit
alone imposes: request k (from 0) may go out no sooner than floor(k / 100) x 60 s, so N requests
take at least floor((N - 1) / 100) x 60 s. Printed: wall time, floor, the difference, and the
count of 429 answers (must be 0).

The window is Compass's 60 s, which the action's pacer keeps to (with 1 s of slack), so 150
components take a little over a minute.

Run: ``.venv/bin/python -m tools.bench_fanout [--counts 20 150]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from compass_action.clients.delivery import RATE_LIMIT_REQUESTS, RATE_LIMIT_WINDOW

from .action_runner import EXAMPLE_COMPONENT, Run, run_step_in_process
from .compass_standin import RateLimit, Standin

EMAIL = "bench@example.com"
TOKEN = "bench-token-of-the-stand-in"  # noqa: S105 - the stand-in's own
LIMIT, WINDOW = RATE_LIMIT_REQUESTS, RATE_LIMIT_WINDOW


def _components(count: int) -> str:
    workspace = EXAMPLE_COMPONENT.rsplit("/", 1)[0]
    return "\n".join(f"{workspace}/{i:08x}-aaaa-4bbb-8ccc-0123456789ab" for i in range(count))


def measure(count: int, window: float) -> tuple[float, float, int, int]:
    """Wall seconds, floor seconds, 429s answered, events accepted."""
    limit = RateLimit(LIMIT, window)
    with Standin(EMAIL, TOKEN, rate_limit=limit) as server, tempfile.TemporaryDirectory() as tmp:
        inputs = {
            "site": server.base_url,
            "user-email": EMAIL,
            "api-token": TOKEN,
            "component-id": _components(count),
            "environment": "production",
            "timeout": str(window * (count // LIMIT + 2)),
        }
        started = time.monotonic()
        result = run_step_in_process(Run(), inputs, Path(tmp) / "job")
        wall = time.monotonic() - started
        accepted = sum(item.status == 202 for item in server.received())
    if result.exit_code != 0:
        print(result.stdout[-3000:], file=sys.stderr)
    floor = ((count - 1) // LIMIT) * window
    return wall, floor, limit.refused, accepted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="+", default=[20, 150])
    args = parser.parse_args()
    failed = False
    print(f"rate limit: {LIMIT} requests per user per {WINDOW:g} s (stand-in, sliding window)")
    for count in args.counts:
        wall, floor, refused, accepted = measure(count, WINDOW)
        print(
            f"{count} components: wall {wall:.2f} s, floor {floor:.0f} s, "
            f"over the floor {wall - floor:.2f} s, 429s {refused}, accepted {accepted}"
        )
        failed |= refused > 0 or accepted != count
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
