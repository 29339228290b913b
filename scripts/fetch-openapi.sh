#!/usr/bin/env bash
# Puts Atlassian's published Compass OpenAPI document where the tests read it
# (../shared/compass-api/events.openapi.json), for machines that do not have it, such as
# GitHub-hosted runners. The document is Atlassian's; it is not copied into this repository.
set -euo pipefail
cd "$(dirname "$0")/.."
target=../shared/compass-api/events.openapi.json
if [ -f "$target" ]; then
  exit 0
fi
mkdir -p "$(dirname "$target")"
curl --fail --silent --show-error --location --retry 3 \
  --output "$target" https://developer.atlassian.com/cloud/compass/swagger.v3.json
