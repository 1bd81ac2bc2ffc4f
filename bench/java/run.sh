#!/usr/bin/env bash
# Runs the Java twin of rmq_bench_consumer (BenchConsumer, on the official rocketmq-client):
#
#   bench/java/run.sh --namesrv ADDR --topic T [--group G] [--threads 20] [--expect N] ...
#
# Builds with Maven on first use, or when pom.xml / src are newer than the build marker, into
# <repo>/build/bench-java (git-ignored); concurrent invocations serialise the build with flock.
# Build output goes to stderr. The exit code is the program's (0: got everything, 1: missed some).
#
# Environment (optional):
#   RMQ_VERSION       client version to build against (default: the pom's rmq.version, 5.3.3)
#   BENCH_JAVA_OPTS   JVM options (default: -Xmx1g, the heap of the distribution's benchmark
#                     scripts; the JVM's default collector, G1)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
target="$repo/build/bench-java"
marker="$target/.built"
want="version=${RMQ_VERSION:-default}"

log() { printf '[bench/java] %s\n' "$*" >&2; }

needs_build() {
  [ -f "$marker" ] || return 0
  [ "$(cat "$marker" 2>/dev/null)" = "$want" ] || return 0
  [ -d "$target/classes" ] && [ -d "$target/lib" ] || return 0
  [ -z "$(find "$here/pom.xml" "$here/src" -newer "$marker" -print -quit 2>/dev/null)" ] || return 0
  return 1
}

if needs_build; then
  command -v flock >/dev/null || { log "flock not found (util-linux)"; exit 1; }
  command -v mvn >/dev/null || { log "mvn not found: install Maven 3.8+"; exit 1; }
  mkdir -p "$target"
  exec 9>"$target/.build.lock"
  flock 9
  if needs_build; then
    log "building the Java benchmark consumer (${want}) ..."
    rm -f "$marker"
    stamp="$target/.built.tmp.$$"
    echo "$want" >"$stamp"
    rm -rf "$target/lib" "$target/classes"
    version_arg=()
    [ -n "${RMQ_VERSION:-}" ] && version_arg=(-Drmq.version="$RMQ_VERSION")
    if ! (cd "$here" && mvn -B -q -Dstyle.color=never -f pom.xml "${version_arg[@]}" package \
          dependency:copy-dependencies -DoutputDirectory="$target/lib" -DincludeScope=runtime) 1>&2; then
      rm -f "$stamp"
      log "build failed"
      exit 1
    fi
    mv -f "$stamp" "$marker"
    log "build done"
  fi
  flock -u 9
  exec 9>&-
fi

[ "${1:-}" = "--build-only" ] && exit 0
mkdir -p "$target/home"
# exec: the caller's pid is the JVM's (compare.sh samples it).
exec java ${BENCH_JAVA_OPTS:--Xmx1g} \
  --add-opens java.base/java.nio=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
  -Duser.home="$target/home" -Drocketmq.client.logRoot="$target/home/logs/rocketmqlogs" \
  -cp "$target/classes:$target/lib/*" org.rocketmqcpp.bench.BenchConsumer "$@"
