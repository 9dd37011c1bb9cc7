#!/usr/bin/env bash
# fake-gcs-server (github.com/fsouza/fake-gcs-server, a real Cloud Storage JSON API server written
# in Go) for the `dezc lake` tests: built once from the Go module proxy into the test cache.
# Idempotent; quiet when the binary is in place. The tests start it themselves on a free port.
set -euo pipefail
version=${DEZC_TEST_FAKE_GCS_VERSION:-v1.56.1}
dir=${DEZC_TEST_BIN_DIR:-/var/cache/dezc-test/bin}
bin=$dir/fake-gcs-server
stamp=$dir/fake-gcs-server.version
if [[ -x "$bin" && "$(cat "$stamp" 2>/dev/null)" == "$version" ]]; then exit 0; fi
t0=$SECONDS
echo "ensure-fake-gcs: building fake-gcs-server $version from the Go module proxy" >&2
mkdir -p "$dir"
GOBIN=$dir go install "github.com/fsouza/fake-gcs-server@$version"
printf '%s' "$version" >"$stamp"
echo "ensure-fake-gcs: built in $((SECONDS - t0)) s" >&2
