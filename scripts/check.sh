#!/usr/bin/env bash
# The static gate: Python lint, format and strict typing; action.yml, workflows and Dependabot
# against GitHub's schemas; actionlint, zizmor and hadolint. Every tool comes from the
# hash-pinned requirements/dev.txt, and all of them work offline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bin=.venv/bin
step() { printf '== %s\n' "$*"; }

step ruff check;   "$bin/ruff" check .
step ruff format;  "$bin/ruff" format --check .
step mypy --strict; "$bin/mypy"
step check-jsonschema
"$bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
"$bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
"$bin/check-jsonschema" --builtin-schema vendor.dependabot .github/dependabot.yml
step actionlint;   "$bin/actionlint" .github/workflows/*.yml
step readme tables; "$bin/python" -m tools.readme_tables --check
step hadolint;     "$bin/hadolint" Dockerfile
step zizmor;       "$bin/zizmor" --offline --quiet .github/workflows action.yml .github/dependabot.yml
step "static gate passed"
