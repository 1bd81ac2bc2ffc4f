#!/usr/bin/env bash
# Runs the Go twin of rmq_bench_consumer / rmq_bench_producer (bench/go/main.go, on the official
# github.com/apache/rocketmq-client-go/v2):
#
#   bench/go/run.sh [consume] --namesrv ADDR --topic T [--group G] [--threads 20] [--expect N] ...
#   bench/go/run.sh produce --namesrv ADDR --topic T --count N [--threads 4] [--size 128] [--async 0|1]
#   bench/go/run.sh --build-only
#
# Builds on first use, or when main.go, go.mod or go.sum are newer than the binary, into
# <repo>/build/bench-go/ (git-ignored), as test/interop/go/interop-go.sh builds the interop peer
# (test/support/go_build.sh) and with the same module versions (go.mod / go.sum are the interop
# peer's), so on a machine where the interop peer was built nothing is downloaded.
# Exit code: the program's (0 ok, 1 missed messages or failed, 2 usage); 4 when Go is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../test/support/go_build.sh
source "$repo/test/support/go_build.sh"
go_build_once bench-go "$here" "$repo/build/bench-go/bench-go"

[ "${1:-}" = "--build-only" ] && exit 0
# exec: the caller's pid is the program's.
exec "$repo/build/bench-go/bench-go" "$@"
