#!/usr/bin/env bash
# Creates .venv with the hash-pinned development dependencies, once; later calls reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.installed-$(sha256sum requirements/dev.txt | cut -c1-16)
if [ ! -f "$stamp" ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
  touch "$stamp"
fi
