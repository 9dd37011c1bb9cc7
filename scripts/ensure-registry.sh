#!/usr/bin/env bash
# A real container registry on loopback for the tests: the CNCF distribution registry (built from
# its Go module, cached by version), started detached with filesystem storage, holding the test
# images under their official names (library/postgres:13, library/postgres:18, dpage/pgadmin4:4.8,
# :9, apache/spark:4.0.1-python3). What a pull of dpage/pgadmin4:4.8 gets is the real pgAdmin (4.22 code with the 4.8
# contract, build-test-images.sh's dpage/pgadmin4:4.8-real); the local tag of that name stays the
# fast stand-in the env tests start by the dozen.
# The engine uses it as its registry mirror (scripts/ensure-docker.sh), so a pull of postgres:13 on
# an engine that lacks the image is a real pull. Idempotent; quiet when all is in place.
set -euo pipefail
version=v3.0.0
addr=${DEZC_TEST_REGISTRY:-127.0.0.1:5055}
bin=/usr/local/lib/dezc-test/registry-$version/registry
state=/var/lib/dezc-test/registry
log() { printf 'ensure-registry: %s\n' "$*" >&2; }
up() { curl -fsS -o /dev/null "http://$addr/v2/" 2>/dev/null; }

if [[ ! -x "$bin" ]]; then
  t0=$SECONDS
  log "building the distribution registry $version from the Go module proxy"
  mkdir -p "$(dirname "$bin")"
  GOBIN=$(dirname "$bin") go install "github.com/distribution/distribution/v3/cmd/registry@$version"
  log "built in $((SECONDS - t0)) s"
fi

if ! up; then
  mkdir -p "$state/data"
  cat >"$state/config.yml" <<CONFIG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/data
  delete:
    enabled: true
http:
  addr: $addr
CONFIG
  log "starting the registry on $addr (log: $state/registry.log)"
  (OTEL_TRACES_EXPORTER=none setsid "$bin" serve "$state/config.yml" >"$state/registry.log" 2>&1 </dev/null &)
  for _ in $(seq 1 100); do up && break; sleep 0.1; done
  up || { log "the registry did not answer on $addr; last lines of its log:"; tail -n 20 "$state/registry.log" >&2; exit 1; }
fi

# push IMAGE REPO [TAG]: the local image under its official repository name (and TAG, default
# the image's own), when the registry lacks that exact image.
push() {
  local image=$1 repo=$2 tag=${3:-${1##*:}}
  local id; id=$(docker image inspect -f '{{.Id}}' "$image")
  local marker="$state/pushed-$(printf '%s' "$repo:$tag" | tr '/:' '__')"
  [[ -f "$marker" && "$(cat "$marker")" == "$id" ]] && curl -fsS -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$addr/v2/$repo/manifests/$tag" && return 0
  local t0=$SECONDS
  docker tag "$image" "$addr/$repo:$tag"
  docker push -q "$addr/$repo:$tag" >/dev/null
  docker rmi "$addr/$repo:$tag" >/dev/null
  printf '%s' "$id" >"$marker"
  log "pushed $image as $addr/$repo:$tag in $((SECONDS - t0)) s"
}
push postgres:13 library/postgres
push postgres:18 library/postgres
push dpage/pgadmin4:4.8-real dpage/pgadmin4 4.8
push dpage/pgadmin4:9 dpage/pgadmin4
# The Spark cluster image (x86_64 only: built from the real Spark repack).
if docker image inspect apache/spark:4.0.1-python3 >/dev/null 2>&1; then push apache/spark:4.0.1-python3 apache/spark; fi
