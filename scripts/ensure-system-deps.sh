#!/usr/bin/env bash
# Installs the Debian packages the test suite and benchmarks use, when missing. Idempotent.
#   postgresql-15 + client  real Postgres for ingest tests and psql \copy baselines
#   openssh-server/client   a real sshd on loopback for the ssh:// Docker transport
#   docker-compose          the baseline `docker-compose up` in bench/env-up
#   tmux                    driving interactive prompts in a real terminal
#   debootstrap             building the local test images (no registry here)
#   openjdk-17-jre-headless a real `java` for spark tests
#   python3                 a real python for the spark tests' PYTHONPATH/pyspark checks
#   chromium                headless browser for the pgAdmin end-to-end test (driven by playwright-core)
set -euo pipefail
want=(postgresql-15 postgresql-client openssh-server openssh-client docker-compose tmux debootstrap openjdk-17-jre-headless python3 chromium)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
