#!/usr/bin/env bash
# Benchmark: the container step as a whole (podman run of the image to its exit), a dry run and
# one delivered event, against the same image that only imports its libraries; see
# tools/bench_container.py and docs/benchmarks.md. Uses the stand-in base that
# scripts/container-smoke.sh builds (run that first). A measurement, not a check: not in .ci/run.
# Usage: bash scripts/bench-container.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${COMPASS_SMOKE_DIR:-/var/tmp/compass-action-smoke}
export CONTAINERS_CONF="$work/containers.conf" BUILDAH_ISOLATION=chroot
base=localhost/compass-python-standin:bookworm
image=localhost/compass-action:bench-run
podman image exists "$base" || { echo "no base image: run scripts/container-smoke.sh first" >&2; exit 1; }

# The image of this tree (cached layers make this a few seconds).
podman build --quiet --from "$base" -t "$image" -f Dockerfile . >/dev/null
bash scripts/bootstrap.sh
exec .venv/bin/python -m tools.bench_container --image "$image" "$@"
