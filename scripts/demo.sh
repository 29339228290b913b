#!/usr/bin/env bash
# Runs the action end to end on this machine against the bundled Compass stand-in.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m tools.demo
