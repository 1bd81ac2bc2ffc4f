#!/usr/bin/env bash
# Installs the built library into a temporary prefix, then builds and runs a program outside the
# tree twice: once with find_package(RocketMQ CONFIG) and once with pkg-config; the same for a C11
# program on the C API (RocketMQ::rocketmq_c, pkg-config rocketmq-c).
#   check_install.sh <build-dir> [sanitizer]
set -euo pipefail
build=$1
sanitize=${2:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

flags=""
case "$sanitize" in
  address) flags="-fsanitize=address,undefined" ;;
  thread) flags="-fsanitize=thread" ;;
esac

cmake --install "$build" --prefix "$prefix" >/dev/null
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

mkdir -p "$work/app"
cp "$here/app/main.cpp" "$here/app/CMakeLists.txt" "$work/app/"
cmake -S "$work/app" -B "$work/app/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build "$work/app/build" >/dev/null
out=$(LD_LIBRARY_PATH="$prefix/lib" "$work/app/build/rocketmq_app")
echo "find_package app: $out"
grep -q "rocketmq-cpp 0.1.0" <<<"$out"

PKG_CONFIG_PATH="$prefix/lib/pkgconfig" c++ $flags "$here/app/main.cpp" -o "$work/app_pc" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs rocketmq)
out=$(LD_LIBRARY_PATH="$prefix/lib" "$work/app_pc")
echo "pkg-config app: $out"
grep -q "rocketmq-cpp 0.1.0" <<<"$out"

# C programs on the C API.
mkdir -p "$work/c_app"
cp "$here/c_app/main.c" "$here/c_app/CMakeLists.txt" "$work/c_app/"
cmake -S "$work/c_app" -B "$work/c_app/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$flags -Wall -Wextra -Wpedantic -Werror" >/dev/null
cmake --build "$work/c_app/build" >/dev/null
out=$(LD_LIBRARY_PATH="$prefix/lib" "$work/c_app/build/rocketmq_c_app")
echo "find_package C app: $out"
grep -q "rocketmq-cpp 0.1.0, C API error: SendMessageSync: the producer is not started" <<<"$out"

cc -std=c11 $flags -Wall -Wextra -Wpedantic -Werror "$here/c_app/main.c" -o "$work/c_app_pc" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs rocketmq-c)
out=$(LD_LIBRARY_PATH="$prefix/lib" "$work/c_app_pc")
echo "pkg-config C app: $out"
grep -q "rocketmq-cpp 0.1.0, C API error" <<<"$out"
