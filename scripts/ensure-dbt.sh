#!/usr/bin/env bash
# Real dbt for the `dezc dbt` tests: dbt-core with the postgres, duckdb and bigquery adapters from PyPI, in a
# virtual environment made by uv (itself from PyPI), cached under /var/cache/dezc-test/dbt.
# Idempotent: quiet when the venv holds exactly the pinned versions. The tests find dbt at
# $DEZC_TEST_DBT_DIR/venv/bin/dbt.
set -euo pipefail
dir=${DEZC_TEST_DBT_DIR:-/var/cache/dezc-test/dbt}
pins="dbt-core==${DEZC_TEST_DBT_CORE:-1.10.15} dbt-postgres==${DEZC_TEST_DBT_POSTGRES:-1.9.1} dbt-duckdb==${DEZC_TEST_DBT_DUCKDB:-1.9.6} dbt-bigquery==${DEZC_TEST_DBT_BIGQUERY:-1.10.3} duckdb==${DEZC_TEST_DUCKDB:-1.5.6}"
stamp=$dir/venv/.dezc-pins
if [[ -x "$dir/venv/bin/dbt" && "$(cat "$stamp" 2>/dev/null)" == "$pins" ]]; then exit 0; fi
t0=$SECONDS
echo "ensure-dbt: installing $pins into $dir/venv" >&2
mkdir -p "$dir"
if [[ ! -x "$dir/uv/bin/uv" ]]; then
  python3 -m venv "$dir/uv"
  "$dir/uv/bin/pip" install --quiet --disable-pip-version-check "uv==${DEZC_TEST_UV:-0.13.9}"
fi
uv=$dir/uv/bin/uv
# The uv cache the install tests use too (test/integration/dbt/install.test.ts): warm after this.
export UV_CACHE_DIR=${UV_CACHE_DIR:-$dir/uv-cache}
rm -rf "$dir/venv"
"$uv" venv --quiet --python "$(command -v python3)" "$dir/venv"
# shellcheck disable=SC2086
VIRTUAL_ENV=$dir/venv "$uv" pip install --quiet $pins
"$dir/venv/bin/dbt" --version >&2
printf '%s' "$pins" >"$stamp"
echo "ensure-dbt: installed in $((SECONDS - t0)) s" >&2
