#!/usr/bin/env bash
# Second interop peer for the C++ SDK tests: the official Apache RocketMQ Go client
# (github.com/apache/rocketmq-client-go/v2), with the `produce` and `consume` commands and JSON
# lines of the Java peer (test/interop/interop.sh).
#
#   interop-go.sh produce|consume [options]     (interop-go.sh --help lists them)
#
# Builds on first use, or when main.go, go.mod or go.sum are newer than the binary, into
# <repo>/build/interop-go/ (git-ignored). The module and build caches are Go's per-user ones
# (GOMODCACHE, GOCACHE: ~/go/pkg/mod, ~/.cache/go-build), which outlive a clone as ~/.m2 does for the
# Java peer, so a machine downloads and compiles the client once and a fresh clone (CI) only links.
# Concurrent invocations serialise the build with flock. GOFLAGS=-mod=mod; GOPROXY is Go's default
# unless set.
# stdout carries only the program's JSON lines; build output and logs go to stderr.
# Exit code: the program's (0 ok, 1 failure, 2 usage, 3 consume timeout); 4 when Go is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out="$repo/build/interop-go"
binary="$out/interop-go"
export GOFLAGS=-mod=mod
export GOTOOLCHAIN=local
[ -x /usr/local/go/bin/go ] && PATH="$PATH:/usr/local/go/bin"

needs_build() {
  [ -x "$binary" ] || return 0
  [ -n "$(find "$here/main.go" "$here/go.mod" "$here/go.sum" -newer "$binary" -print -quit 2>/dev/null)" ]
}

if needs_build; then
  command -v go >/dev/null || { echo "[interop-go] go not found: install Go (./build.sh deps does)" >&2; exit 4; }
  command -v flock >/dev/null || { echo "[interop-go] flock not found (util-linux)" >&2; exit 1; }
  mkdir -p "$out"
  exec 9>"$out/.build.lock"
  flock 9
  if needs_build; then
    echo "[interop-go] building with $(go version) ..." >&2
    started=$SECONDS
    if ! (cd "$here" && go build -o "$binary.tmp.$$" .) 1>&2; then
      rm -f "$binary.tmp.$$"
      echo "[interop-go] build failed" >&2
      exit 1
    fi
    mv -f "$binary.tmp.$$" "$binary"
    echo "[interop-go] build done in $((SECONDS - started)) s" >&2
  fi
  flock -u 9
  exec 9>&-
fi

exec "$binary" "$@"
