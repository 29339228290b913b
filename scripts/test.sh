#!/usr/bin/env bash
# The full test suite: unit, property and end-to-end tests (the entrypoint against the stand-in).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# On every core: the tests that wait on a real deadline overlap with the rest.
exec .venv/bin/python -m pytest -n auto "$@"
