#!/usr/bin/env bash
# Interop peer for the C++ SDK tests: runs the official Apache RocketMQ Java client.
#
#   interop.sh <command> [options]     (interop.sh --help lists the commands)
#
# Builds with Maven on first use, or when pom.xml / src are newer than the build marker, into
# test/interop/target (git-ignored); concurrent invocations serialise the build with flock.
# stdout carries only JSON lines from the program; build output and logs go to stderr.
# The exit code is the program's (0 ok, 1 failure, 2 usage, 3 consume timeout).
#
# Environment (optional):
#   RMQ_VERSION        client version to build against (default: the pom's rmq.version)
#   INTEROP_JAVA_OPTS  extra JVM options
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
target="$here/target"
marker="$target/.built"
want="version=${RMQ_VERSION:-default}"

log() { printf '[interop.sh] %s\n' "$*" >&2; }

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
    log "building the interop peer (${want}) ..."
    rm -f "$marker"
    stamp="$target/.built.tmp.$$"
    echo "$want" >"$stamp"   # timestamped before the build: edits made during it trigger a rebuild
    rm -rf "$target/lib" "$target/classes"
    version_arg=()
    [ -n "${RMQ_VERSION:-}" ] && version_arg=(-Drmq.version="$RMQ_VERSION")
    if ! (cd "$here" && mvn -B -q -Dstyle.color=never -f pom.xml "${version_arg[@]}" package dependency:copy-dependencies \
          -DoutputDirectory=target/lib -DincludeScope=runtime) 1>&2; then
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

mkdir -p "$target/home"
set +e
java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
  --add-opens java.base/java.nio=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
  -Duser.home="$target/home" -Drocketmq.client.logRoot="$target/home/logs/rocketmqlogs" \
  ${INTEROP_JAVA_OPTS:-} \
  -cp "$target/classes:$target/lib/*" org.rocketmqcpp.interop.Interop "$@"
rc=$?
exit $rc
