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
#   INTEROP_CLIENT_VERSION  Java client version to build against (default: the pom's rmq.version,
#                      5.3.3). RMQ_VERSION, the broker release of the cluster under test, is not
#                      used: the 5.x client talks to 4.9 and 5.5 brokers alike (docs/compatibility.md),
#                      and Interop.java uses 5.x packages that 4.9's client does not have.
#   INTEROP_JAVA_OPTS  extra JVM options
#   INTEROP_ACCESS_KEY, INTEROP_SECRET_KEY  ACL keys: every request is signed (AclClientRPCHook)
#   INTEROP_TLS_CA     a CA file (e.g. $RMQ_STORE_ROOT/tls/ca.pem): TLS to every server, verified
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
target="$here/target"
# shellcheck source=../support/maven_build.sh
. "$here/../support/maven_build.sh"
RMQ_VERSION=${INTEROP_CLIENT_VERSION:-} maven_build "$here" "$target" interop.sh

mkdir -p "$target/home"
tls_opts=()
if [ -n "${INTEROP_TLS_CA:-}" ]; then
  tls_opts=(-Dtls.enable=true -Dtls.test.mode.enable=false -Dtls.client.authServer=true
    "-Dtls.client.trustCertPath=$INTEROP_TLS_CA")
  # A client certificate, for servers that require one (mutual TLS).
  if [ -n "${INTEROP_TLS_CERT:-}" ]; then
    tls_opts+=("-Dtls.client.certPath=$INTEROP_TLS_CERT" "-Dtls.client.keyPath=${INTEROP_TLS_KEY:?with INTEROP_TLS_CERT}")
  fi
fi
set +e
java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
  --add-opens java.base/java.nio=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
  -Duser.home="$target/home" -Drocketmq.client.logRoot="$target/home/logs/rocketmqlogs" \
  "${tls_opts[@]}" ${INTEROP_JAVA_OPTS:-} \
  -cp "$target/classes:$target/lib/*" org.rocketmqcpp.interop.Interop "$@"
rc=$?
exit $rc
