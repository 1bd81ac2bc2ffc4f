#!/usr/bin/env bash
# Runs the Java twin of rmq_bench_consumer (BenchConsumer, on the official rocketmq-client):
#
#   bench/java/run.sh --namesrv ADDR --topic T [--group G] [--threads 20] [--expect N] ...
#   bench/java/run.sh produce --namesrv ADDR --topic T --count N [--threads 4] [--size 128] [--async 0|1]
#                                       (BenchProducer, the twin of rmq_bench_producer --count)
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
# shellcheck source=../../test/support/maven_build.sh
. "$repo/test/support/maven_build.sh"
maven_build "$here" "$target" bench/java

[ "${1:-}" = "--build-only" ] && exit 0
main=org.rocketmqcpp.bench.BenchConsumer
if [ "${1:-}" = "produce" ]; then
  main=org.rocketmqcpp.bench.BenchProducer
  shift
fi
mkdir -p "$target/home"
# exec: the caller's pid is the JVM's (compare.sh samples it).
exec java ${BENCH_JAVA_OPTS:--Xmx1g} \
  --add-opens java.base/java.nio=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
  -Duser.home="$target/home" -Drocketmq.client.logRoot="$target/home/logs/rocketmqlogs" \
  -cp "$target/classes:$target/lib/*" "$main" "$@"
