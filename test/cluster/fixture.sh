#!/usr/bin/env bash
# CTest fixture around cluster.sh: `setup` starts the test cluster unless one is managed outside
# ctest (ROCKETMQ_TEST_CLUSTER=external, as build.sh does) and remembers that it did; `cleanup`
# stops only a cluster that `setup` started.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
marker="${2:-.}/.cluster-started-by-ctest"
[ "${ROCKETMQ_TEST_CLUSTER:-}" = external ] && exit 0
case "$1" in
  setup)
    if "$here/cluster.sh" status >/dev/null 2>&1; then exit 0; fi
    "$here/cluster.sh" start
    touch "$marker"
    ;;
  cleanup)
    if [ -f "$marker" ]; then
      rm -f "$marker"
      "$here/cluster.sh" stop
    fi
    ;;
esac
