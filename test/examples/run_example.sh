#!/usr/bin/env bash
# Runs one example program against the test cluster on a topic of its own (created first with the
# Java interop peer, 4 queues on each broker), so that the README's programs are proven to work:
#   run_example.sh <example binary> <topic prefix> [extra arguments after name server, topic, group]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=$1
prefix=$2
shift 2
namesrv=${NAMESRV_ADDR:-127.0.0.1:${RMQ_NAMESRV_PORT:-9876}}
suffix="$$_$(date +%s%N | tail -c 7)"
topic="${prefix}_${suffix}"
group="${prefix}_g_${suffix}"
"$here/../interop/interop.sh" create-topic --namesrv "$namesrv" --topic "$topic" --queues 4 >&2
exec timeout 300 "$binary" "$namesrv" "$topic" "$group" "$@"
