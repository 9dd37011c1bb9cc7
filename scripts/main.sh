#!/usr/bin/env bash
# The README's "main job" on a fresh Debian machine (as root): install, build, make sure a Docker
# engine runs, build the course's images here (Docker Hub is not reachable) and serve them from a
# real registry on loopback that the engine uses as its mirror, then start the course's stack with
# dezc, which pulls them like a new user's first run, and show it. Re-running is safe: dezc leaves a
# healthy stack alone.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
bash scripts/ensure-system-deps.sh
bash scripts/ensure-docker.sh
bash scripts/build-test-images.sh
bash scripts/ensure-registry.sh
# A first run pulls: drop the local tags the stack uses (kept when a container still uses them),
# so `env up` fetches them from the registry through the engine's mirror.
registry=${DEZC_TEST_REGISTRY:-127.0.0.1:5055}
if docker info --format '{{json .RegistryConfig.Mirrors}}' | grep -qF "$registry"; then
  for image in postgres:13 dpage/pgadmin4:4.8; do
    if [ -z "$(docker ps -aq --filter "ancestor=$image")" ]; then docker rmi "$image" >/dev/null 2>&1 || true; fi
  done
fi
./bin/run.js env up "$@"
./bin/run.js env status "$@"
