#!/usr/bin/env bash
# Installs the built library into a temporary prefix, then builds (in a temporary build directory,
# against that prefix only) and runs a program twice: once with find_package(RocketMQ CONFIG) and
# once with pkg-config; the same for a C11 program on the C API (RocketMQ::rocketmq_c, pkg-config
# rocketmq-c).
#   check_install.sh <build-dir> [sanitizer]
set -euo pipefail
build=$1
sanitize=${2:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../support/installed_prefix.sh"
flags=$(sanitizer_flags "$sanitize")
install_into_temp_prefix "$build"
test -f "$prefix/include/rocketmq/rocketmq.h"
test -f "$prefix/lib/cmake/RocketMQ/RocketMQConfig.cmake"
test -f "$prefix/lib/pkgconfig/rocketmq.pc"
test -f "$prefix/lib/pkgconfig/rocketmq-c.pc"
for header in CCommon CMessage CMessageExt CBatchMessage CSendResult CMQException CErrorMessage CProducer \
  CPushConsumer CPullConsumer CMessageQueue CPullResult CTransactionStatus CTraceModel; do
  test -f "$prefix/include/rocketmq/$header.h"
done

# Only the public API may be exported: every dynamic symbol belongs to namespace rocketmq, and the
# internal layers (remoting, protocol, client, consumer internals) are not among them.
so=$(ls "$prefix"/lib/librocketmq.so.* 2>/dev/null | head -1 || true)
if [ -n "$so" ]; then
  symbols=$(nm -D --defined-only -C "$so" | cut -d' ' -f3-)
  # The C API's functions (include/rocketmq/C*.h) are the one exception, checked by name.
  symbols=$(grep -v -x -F -f <("$here/../capi/c_api_functions.sh" "$prefix/include") <<<"$symbols")
  leaked=$(grep -v -E 'rocketmq::' <<<"$symbols" | head -5 || true)
  internal=$(grep -E 'rocketmq::(remoting|protocol|client|consumer|producer|common|filter|detail|capi)::|::Impl::' <<<"$symbols" |
    grep -v 'MessageExtAccess' | head -5 || true)
  if [ -n "$leaked$internal" ]; then
    echo "librocketmq exports non-public symbols:" >&2
    echo "$leaked$internal" >&2
    exit 1
  fi
  readelf -d "$so" | grep -q 'SONAME.*librocketmq.so.0' || { echo "SONAME missing" >&2; exit 1; }
  # What C programs and the Python wrapper link or load: the plain name.
  test -L "$prefix/lib/librocketmq.so"
fi

version="rocketmq-cpp 0.1.0"
pc() { PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs "$1"; }

# C++ programs, then C programs on the C API, each built with find_package and with pkg-config.
build_project "$here/app" "$work/app" -DCMAKE_CXX_FLAGS="$flags"
run_and_expect "find_package app" "$version" "$work/app/rocketmq_app"
c++ $flags "$here/app/main.cpp" -o "$work/app_pc" $(pc rocketmq)
run_and_expect "pkg-config app" "$version" "$work/app_pc"

c_flags="$flags -Wall -Wextra -Wpedantic -Werror"
build_project "$here/c_app" "$work/c_app" -DCMAKE_C_FLAGS="$c_flags"
run_and_expect "find_package C app" "$version, C API error: SendMessageSync: the producer is not started" \
  "$work/c_app/rocketmq_c_app"
cc -std=c11 $c_flags "$here/c_app/main.c" -o "$work/c_app_pc" $(pc rocketmq-c)
run_and_expect "pkg-config C app" "$version, C API error" "$work/c_app_pc"
