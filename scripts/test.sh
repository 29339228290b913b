#!/usr/bin/env bash
# The full test suite: unit, property and end-to-end tests (the entrypoint against the stand-in).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# Let Python keep its bytecode (git-ignored __pycache__), pytest's assertion-rewritten modules
# included: with PYTHONDONTWRITEBYTECODE=1 (as this machine's environment sets it) every worker
# recompiles some 150 modules and spends ~2.5 s collecting instead of ~0.4 s.
unset PYTHONDONTWRITEBYTECODE
# One worker per core and one more: the tests that wait on a real deadline (a hanging server)
# leave their core idle, and the extra worker uses it (measured: 2 cores, 3 workers the fastest).
# worksteal evens out the property tests of a few seconds each, which conftest.py puts at the
# head of each worker's first share; tests/warm_start.py writes the bytecode once before they start.
# The 20 slowest tests are listed at the end, so a test that grows slow is seen (in CI's log too).
# pytest ends with exit code 5 when no test ran: that fails too.
exec .venv/bin/python -m pytest -n "$(($(nproc) + 1))" --dist worksteal --durations=20 "$@"
