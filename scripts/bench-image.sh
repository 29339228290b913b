#!/usr/bin/env bash
# Benchmark: how long the image takes to build with its base already present, and how many
# bytes the action adds on top of the base. Uses the stand-in base that
# scripts/container-smoke.sh builds (run that first); see docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${COMPASS_SMOKE_DIR:-/var/tmp/compass-action-smoke}
export CONTAINERS_CONF="$work/containers.conf" BUILDAH_ISOLATION=chroot
base=localhost/compass-python-standin:bookworm
image=localhost/compass-action:bench
podman image exists "$base" || { echo "no base image: run scripts/container-smoke.sh first" >&2; exit 1; }

timed() {  # prints the seconds the command took
  local start end
  start=$(date +%s%N); "$@" >/dev/null; end=$(date +%s%N)
  python3 -c "print(f'{($end - $start) / 1e9:.1f}')"
}

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp -r Dockerfile .dockerignore entrypoint.py compass_action requirements "$context"

full=$(timed podman build --no-cache --from "$base" -t "$image" "$context")
# A code change: the dependency layers come from the cache, the code layers are rebuilt.
echo "# changed $(date +%s%N)" >> "$context/compass_action/__init__.py"
changed=$(timed podman build --from "$base" -t "$image" "$context")
added=$(( $(podman image inspect --format '{{.Size}}' "$image") - $(podman image inspect --format '{{.Size}}' "$base") ))
echo "build with the base present, nothing cached: $full s"
echo "rebuild after a code change: $changed s"
python3 -c "print(f'added on top of the base: {$added / 1e6:.1f} MB')"
