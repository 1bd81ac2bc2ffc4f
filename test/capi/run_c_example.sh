#!/usr/bin/env bash
# The C API example (example/c) as an application builds it: the library installed into a
# temporary prefix, the example configured as a C11 project of its own with find_package(RocketMQ)
# (target RocketMQ::rocketmq_c), then run against the cluster on a topic of its own.
#   run_c_example.sh <build dir> [sanitizer]
set -euo pipefail
build=$1
sanitize=${2:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/test/support/installed_prefix.sh"
install_into_temp_prefix "$build"
build_project "$root/example/c" "$work/example" \
  -DCMAKE_C_FLAGS="-Wall -Wextra -Wpedantic -Werror $(sanitizer_flags "$sanitize")"

namesrv=${NAMESRV_ADDR:-127.0.0.1:${RMQ_NAMESRV_PORT:-9876}}
suffix="$$_$(date +%s%N | tail -c 7)"
topic="capi_c_${suffix}"
"$root/test/interop/interop.sh" create-topic --namesrv "$namesrv" --topic "$topic" --queues 4 >&2
LD_LIBRARY_PATH="$prefix/lib" timeout 300 "$work/example/produce_consume" "$namesrv" "$topic" "capi_c_g_${suffix}" 8
