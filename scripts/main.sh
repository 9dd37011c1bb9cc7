#!/usr/bin/env bash
# The README's "main job" on a fresh Debian machine (as root): install, build, make sure a Docker
# engine runs (locally built stand-in images, since no registry is reachable here), then start the
# course's stack with dezc and show it. Re-running is safe: dezc leaves a healthy stack alone.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
bash scripts/ensure-system-deps.sh
bash scripts/ensure-docker.sh
bash scripts/build-test-images.sh
./bin/run.js env up "$@"
./bin/run.js env status "$@"
