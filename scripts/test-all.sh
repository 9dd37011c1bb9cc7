#!/usr/bin/env bash
# The README's "run all tests" command: on a fresh Debian machine as root it installs what the
# tests need (npm packages, Debian packages, a Docker engine, local stand-in images), then runs
# every test and ends with one plain summary line "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# Typecheck, lint, format and unit tests first (no root, no Docker; under a minute): fail fast.
npm run -s check
bash scripts/ensure-system-deps.sh
bash scripts/ensure-docker.sh
# Before the images: the Spark cluster image is built from the real Spark distribution it repacks.
bash scripts/ensure-real-spark.sh
bash scripts/build-test-images.sh
bash scripts/ensure-registry.sh
bash scripts/ensure-compose-v2.sh
bash scripts/ensure-fake-gcs.sh
bash scripts/ensure-prefect.sh
bash scripts/ensure-dbt.sh
bash scripts/ensure-terraform.sh
echo "test-all: setup took $((SECONDS - t0)) s"
results=.vitest-results.json
rm -f "$results"
set +e
npx vitest run --reporter=default --reporter=json --outputFile="$results" "$@"
rc=$?
set -e
if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
    if (r.numTotalTests === 0) { console.error("test-all: no test ran"); process.exit(1) }
    if (r.numFailedTests === 0 && Number(process.argv[2]) !== 0) console.log(`test-all: vitest exited ${process.argv[2]} although no test failed: see "Unhandled Errors" above`);
  ' "$PWD/$results" "$rc" || rc=1
else
  echo "tests: 0 passed, 1 failed"
  rc=1
fi
echo "test-all: finished in $((SECONDS - t0)) s"
exit $rc
