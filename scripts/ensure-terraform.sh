#!/usr/bin/env bash
# A real terraform for the `dezc tf` tests, built from its Go module source (no release downloads
# here: releases.hashicorp.com is not reachable). Cached by version under
# /var/cache/dezc-test/terraform/<version>/: the binary `terraform`, and in release/ a release zip
# of it laid out as releases.hashicorp.com publishes one (terraform_<v>_<os>_<arch>.zip holding
# LICENSE.txt and terraform, plus terraform_<v>_SHA256SUMS), which `dezc tf install` downloads
# from the tests' loopback mirror. Prints nothing when cached. The tests find the directory at
# $DEZC_TEST_TERRAFORM_DIR (default: the path below; test/helpers/real-terraform.ts).
#
# `go install github.com/hashicorp/terraform@v1.11.4` refuses: its go.mod has replace directives.
# They point at nested modules inside the repository (./internal/legacy and
# ./internal/backend/remote-state/{azure,consul,...}), which the root module zip leaves out (each
# is a module of its own). The Go module proxy serves those nested modules too, by pseudo-version
# of a commit. Their version lists
# (proxy.golang.org/github.com/hashicorp/terraform/internal/legacy/@v/list) hold
# v0.0.0-20250409131005-35645b8fca68, whose commit time is exactly the v1.11.4 tag's time in the
# proxy's v1.11.4.info (2025-04-09T13:10:05Z; checked below), so it is taken as the release commit
# (the proxy does not say which commit a tag is, and resolves no bare hash here). So: download the
# root module and the nested modules at that commit, lay the nested ones where the replace
# directives expect them, and build in that tree with the release's linker flags (version.dev=no:
# `terraform version` says 1.11.4, not 1.11.4-dev), using the Go release the repository names in
# .go-version (1.23.3 for v1.11.4), fetched by GOTOOLCHAIN from the same proxy
# (golang.org/toolchain): newer Go refuses the go.mod's `godebug tlskyber=0`. A terraform already
# on PATH is not reused: every machine gets the same binary from the same source (byte for byte:
# two builds compared equal). Measured on 2 cores: 264 s with an empty Go build cache (the
# go1.23.3 toolchain and every dependency downloaded), 13 s with a warm one; 3 s to pack the zip.
set -euo pipefail
version=${DEZC_TEST_TERRAFORM_VERSION:-1.11.4}
commit_pseudo=${DEZC_TEST_TERRAFORM_PSEUDO:-v0.0.0-20250409131005-35645b8fca68}
dir=${DEZC_TEST_TERRAFORM_DIR:-/var/cache/dezc-test/terraform/$version}
dest=$dir/terraform
platform=$(go env GOOS)_$(go env GOARCH)
release=$dir/release
zip=terraform_${version}_$platform.zip
sums=terraform_${version}_SHA256SUMS
log() { printf 'ensure-terraform: %s\n' "$*" >&2; }
built() { [[ -x "$dest" ]] && TF_CLI_CONFIG_FILE= "$dest" version -json 2>/dev/null | grep -q "\"terraform_version\": \"$version\""; }
if built && [[ -f "$release/$sums" ]]; then exit 0; fi
t0=$SECONDS
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
mod=github.com/hashicorp/terraform
dl() { go mod download -json "$1" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["Dir"]) if "Dir" in j else sys.exit("go mod download: " + j.get("Error", "no Dir"))'; }
build() {
  log "building terraform $version from the Go module proxy"
  local info tag_time pseudo_time toolchain nested rel
  info=$(go env GOMODCACHE)/cache/download/$mod/@v/v$version.info
  # The nested modules must come from the release commit: its time equals the tag's.
  tag_time=$(python3 -c 'import json,sys,datetime; t=json.load(open(sys.argv[1]))["Time"]; print(datetime.datetime.fromisoformat(t.replace("Z","+00:00")).strftime("%Y%m%d%H%M%S"))' "$info")
  pseudo_time=$(cut -d- -f2 <<<"$commit_pseudo")
  if [[ "$tag_time" != "$pseudo_time" ]]; then
    log "the pseudo-version $commit_pseudo (time $pseudo_time) is not the commit of v$version (tagged $tag_time)"
    exit 1
  fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  # Every replace directive of the root go.mod names a nested module at ./<path>.
  for nested in $(sed -n 's#^replace \(github.com/hashicorp/terraform/[^ ]*\) => \./.*#\1#p' "$work/go.mod"); do
    rel=${nested#"$mod/"}
    mkdir -p "$work/$rel"
    cp -r "$(dl "$nested@$commit_pseudo")/." "$work/$rel/"
  done
  chmod -R u+w "$work"
  mkdir -p "$(dirname "$dest")"
  toolchain=go$(tr -d '[:space:]' <"$work/.go-version")
  (cd "$work" && GOTOOLCHAIN=$toolchain go build -trimpath -buildvcs=false -ldflags "-w -s -X 'github.com/hashicorp/terraform/version.dev=no'" -o "$dest.tmp" .)
  mv "$dest.tmp" "$dest"
  log "$(TF_CLI_CONFIG_FILE= "$dest" version | head -n 1) built in $((SECONDS - t0)) s"
}

src=$(dl "$mod@v$version")
built || build

# The release zip: LICENSE.txt and terraform (mode 755), deflated, like HashiCorp's.
rm -rf "$release.tmp" && mkdir -p "$release.tmp"
python3 - "$release.tmp/$zip" "$src/LICENSE" "$dest" <<'PY'
import sys, zipfile
out, licence, exe = sys.argv[1:]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(licence, "LICENSE.txt")
    info = zipfile.ZipInfo.from_file(exe, "terraform")
    info.external_attr = (0o100755 << 16)
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(exe, "rb") as f:
        z.writestr(info, f.read())
PY
(cd "$release.tmp" && sha256sum "$zip" >"$sums")
rm -rf "$release" && mv "$release.tmp" "$release"
log "release zip $release/$zip ($(du -m "$release/$zip" | cut -f1) MB) in $((SECONDS - t0)) s"
