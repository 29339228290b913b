#!/usr/bin/env bash
# Builds the action image from the Dockerfile with podman and runs it the way the GitHub runner
# runs a container action (tests/test_container.py). No registry is reachable here, so the
# Dockerfile's base is replaced by a stand-in: Debian's Python in a root file system made with
# debootstrap, shaped like python:*-slim (python and pip in /usr/local/bin).
set -euo pipefail
cd "$(dirname "$0")/.."

tools=(podman buildah runc debootstrap)
missing=()
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing ${missing[*]} ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tools[@]}" >/dev/null
  else
    echo "The container smoke test needs ${tools[*]}; missing: ${missing[*]}." >&2
    echo "Install them (Debian/Ubuntu): sudo apt-get install ${tools[*]}" >&2
    exit 1
  fi
fi

work=${COMPASS_SMOKE_DIR:-/var/tmp/compass-action-smoke}
mkdir -p "$work"
# This machine's kernel setup needs runc, cgroupfs and modest ulimits (crun fails here).
cat > "$work/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
CONF
export CONTAINERS_CONF="$work/containers.conf" BUILDAH_ISOLATION=chroot

base=localhost/compass-python-standin:bookworm
if ! podman image exists "$base"; then
  echo "Building the stand-in base image (debootstrap, about a minute) ..."
  rm -rf "$work/rootfs" "$work/base"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$work/rootfs" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  tar -C "$work/rootfs" -c . | podman import --quiet - localhost/compass-debian-python:bookworm >/dev/null
  rm -rf "$work/rootfs"
  mkdir -p "$work/base"
  # pip inside the build must trust the same certificate authorities as this machine's pip.
  ca=${PIP_CERT:-$(python3 -m pip config get global.cert 2>/dev/null || echo /etc/ssl/certs/ca-certificates.crt)}
  cp "$ca" "$work/base/host-ca.crt"
  cat > "$work/base/Containerfile" <<'CONTAINERFILE'
FROM localhost/compass-debian-python:bookworm
# A virtual environment at /usr/local puts python and pip where python:*-slim has them.
RUN python3 -m venv /usr/local
COPY host-ca.crt /etc/ssl/certs/ca-certificates.crt
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt
CONTAINERFILE
  podman build --quiet -t "$base" "$work/base" >/dev/null
fi

image=localhost/compass-action:smoke
echo "Building $image from the Dockerfile (base replaced by $base) ..."
podman build --quiet --from "$base" -t "$image" -f Dockerfile . >/dev/null
podman image prune --force >/dev/null  # earlier builds' untagged layers

bash scripts/bootstrap.sh
COMPASS_SMOKE_IMAGE="$image" .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_container.py
