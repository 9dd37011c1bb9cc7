#!/usr/bin/env bash
# Prefect 3 (the real server, worker and CLI from PyPI) for the `dezc flow` tests: a virtual
# environment in the test cache, created once with uv (installed from PyPI into the cache when it
# is not on PATH) or python3 -m venv + pip. Idempotent; quiet when the pinned version is in place.
# The tests point `dezc flow` at it with DEZC_FLOW_VENV.
set -euo pipefail
version=${DEZC_TEST_PREFECT_VERSION:-3.9.1}
dir=${DEZC_TEST_PREFECT_DIR:-/var/cache/dezc-test/prefect}
venv=$dir/venv
stamp=$dir/prefect.version
if [[ -x "$venv/bin/prefect" && "$(cat "$stamp" 2>/dev/null)" == "$version" ]]; then exit 0; fi
t0=$SECONDS
echo "ensure-prefect: installing prefect==$version into $venv" >&2
mkdir -p "$dir"
rm -rf "$venv"
uv=$(command -v uv || true)
if [[ -z "$uv" ]]; then
  if [[ ! -x "$dir/tools/bin/uv" ]]; then
    python3 -m venv "$dir/tools"
    "$dir/tools/bin/pip" install -q --disable-pip-version-check uv
  fi
  uv=$dir/tools/bin/uv
fi
"$uv" venv -q --python "$(command -v python3)" "$venv"
"$uv" pip install -q --python "$venv/bin/python" "prefect==$version"
"$venv/bin/prefect" version >/dev/null
printf '%s' "$version" >"$stamp"
echo "ensure-prefect: installed in $((SECONDS - t0)) s" >&2
