#!/usr/bin/env bash
# Runs the Go twin of rmq_bench_consumer / rmq_bench_producer (bench/go/main.go, on the official
# github.com/apache/rocketmq-client-go/v2):
#
#   bench/go/run.sh [consume] --namesrv ADDR --topic T [--group G] [--threads 20] [--expect N] ...
#   bench/go/run.sh produce --namesrv ADDR --topic T --count N [--threads 4] [--size 128] [--async 0|1]
#   bench/go/run.sh --build-only
#
# Builds on first use, or when main.go, go.mod or go.sum are newer than the binary, into
# <repo>/build/bench-go/ (git-ignored), exactly as test/interop/go/interop-go.sh builds the interop
# peer: the same module versions (go.mod / go.sum are the interop peer's), Go's per-user module and
# build caches (GOMODCACHE, GOCACHE), GOFLAGS=-mod=mod, GOTOOLCHAIN=local, GOPROXY as the
# environment has it. So on a machine where the interop peer was built nothing is downloaded.
# Concurrent invocations serialise the build with flock. Build output goes to stderr.
# Exit code: the program's (0 ok, 1 missed messages or failed, 2 usage); 4 when Go is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out="$repo/build/bench-go"
binary="$out/bench-go"
export GOFLAGS=-mod=mod
export GOTOOLCHAIN=local
[ -x /usr/local/go/bin/go ] && PATH="$PATH:/usr/local/go/bin"

needs_build() {
  [ -x "$binary" ] || return 0
  [ -n "$(find "$here/main.go" "$here/go.mod" "$here/go.sum" -newer "$binary" -print -quit 2>/dev/null)" ]
}

if needs_build; then
  command -v go >/dev/null || { echo "[bench-go] go not found: install Go (./build.sh deps does)" >&2; exit 4; }
  command -v flock >/dev/null || { echo "[bench-go] flock not found (util-linux)" >&2; exit 1; }
  mkdir -p "$out"
  exec 9>"$out/.build.lock"
  flock 9
  if needs_build; then
    echo "[bench-go] building with $(go version) ..." >&2
    started=$SECONDS
    if ! (cd "$here" && go build -o "$binary.tmp.$$" .) 1>&2; then
      rm -f "$binary.tmp.$$"
      echo "[bench-go] build failed" >&2
      exit 1
    fi
    mv -f "$binary.tmp.$$" "$binary"
    echo "[bench-go] build done in $((SECONDS - started)) s" >&2
  fi
  flock -u 9
  exec 9>&-
fi

[ "${1:-}" = "--build-only" ] && exit 0
# exec: the caller's pid is the program's.
exec "$binary" "$@"
