#!/usr/bin/env bash
# Ensure a real Docker engine is installed and running on this machine (test infrastructure).
# Idempotent and quiet unless it has to do something.
#   - installs docker.io from Debian if dockerd is missing (waits for a concurrent apt/dpkg)
#   - starts dockerd detached on unix:///var/run/docker.sock and tcp://127.0.0.1:2375
#   - with the loopback test registry (scripts/ensure-registry.sh) as its registry mirror, so
#     `docker pull postgres:13` asks it first, as a mirror of Docker Hub would be asked
#   - leaves an already-running engine alone (notes a missing tcp listener or mirror)
set -euo pipefail

SOCK=/var/run/docker.sock
TCP_ADDR=127.0.0.1:2375
MIRROR=http://${DEZC_TEST_REGISTRY:-127.0.0.1:5055}
LOG=/var/log/dockerd.log
START_TIMEOUT=${DEZC_DOCKERD_TIMEOUT:-60}
export DOCKER_HOST="unix://$SOCK"

log() { printf 'ensure-docker: %s\n' "$*" >&2; }

# The Docker 28 CLI negotiates the API version down to the engine's (1.41 for Debian's 20.10),
# so no pin is normally needed; honour an explicit DOCKER_API_VERSION if the caller set one.
engine_up() { timeout 10 docker version >/dev/null 2>&1; }

apt_get() {
  # DPkg::Lock::Timeout makes apt wait for a concurrent apt/dpkg instead of failing.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}

if ! command -v dockerd >/dev/null 2>&1; then
  log "dockerd not found; installing docker.io from Debian"
  apt_get update -qq
  apt_get install -y -qq docker.io >/dev/null
  command -v dockerd >/dev/null 2>&1 || { log "docker.io installed but dockerd still missing"; exit 1; }
fi

if ! command -v docker >/dev/null 2>&1; then
  log "no docker client on PATH"; exit 1
fi

if engine_up; then
  if ! (exec 3<>"/dev/tcp/${TCP_ADDR%:*}/${TCP_ADDR#*:}") 2>/dev/null; then
    log "note: engine is running but not listening on tcp://$TCP_ADDR (tcp:// tests will fail; not restarting it)"
  fi
  if ! docker info --format '{{json .RegistryConfig.Mirrors}}' 2>/dev/null | grep -qF "$MIRROR"; then
    log "note: engine is running without the registry mirror $MIRROR (pull tests will fail; restart dockerd to fix)"
  fi
  exit 0
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  log "dockerd process exists but does not answer yet; waiting"
else
  log "starting dockerd (unix://$SOCK, tcp://$TCP_ADDR), log: $LOG"
  # A stale pid file from a killed daemon makes dockerd refuse to start.
  if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  setsid dockerd --host "unix://$SOCK" --host "tcp://$TCP_ADDR" --registry-mirror "$MIRROR" >"$LOG" 2>&1 </dev/null &
  disown || true
fi

t0=$SECONDS
until engine_up; do
  if (( SECONDS - t0 >= START_TIMEOUT )); then
    log "engine did not answer within ${START_TIMEOUT}s; last lines of $LOG:"
    tail -n 30 "$LOG" >&2 || true
    exit 1
  fi
  sleep 0.3
done
log "engine ready after $((SECONDS - t0))s ($(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null))"
