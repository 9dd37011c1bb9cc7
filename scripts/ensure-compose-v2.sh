#!/usr/bin/env bash
# A real Docker Compose v2 for the `env compose` tests, built from its Go module (no GitHub
# release downloads here). Cached by version; ~3.5 min to build on a fresh 2-core machine.
# Prints nothing when cached. The tests find it at $DEZC_COMPOSE_V2 (default: the path below).
set -euo pipefail
version=v2.40.3
dest=/usr/local/lib/dezc-test/compose-$version/docker-compose
[ -x "$dest" ] && exit 0
t0=$SECONDS
echo "ensure-compose-v2: building Docker Compose $version from the Go module proxy"
# `go install` refuses modules whose go.mod has exclude directives: build from the module's source.
src=$(GOFLAGS=-mod=mod go mod download -json "github.com/docker/compose/v2@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src/." "$work/" && chmod -R u+w "$work"
mkdir -p "$(dirname "$dest")"
(cd "$work" && go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$version" -o "$dest.tmp" ./cmd)
mv "$dest.tmp" "$dest"
echo "ensure-compose-v2: $("$dest" version) built in $((SECONDS - t0)) s"
