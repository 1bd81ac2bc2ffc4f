#!/usr/bin/env bash
# Second interop peer for the C++ SDK tests: the official Apache RocketMQ Go client
# (github.com/apache/rocketmq-client-go/v2), with the `produce` and `consume` commands and JSON
# lines of the Java peer (test/interop/interop.sh).
#
#   interop-go.sh produce|consume [options]     (interop-go.sh --help lists them)
#
# Builds on first use, or when main.go, go.mod or go.sum are newer than the binary, into
# <repo>/build/interop-go/ (git-ignored), with Go's per-user caches (test/support/go_build.sh), so
# a machine downloads and compiles the client once and a fresh clone (CI) only links.
# stdout carries only the program's JSON lines; build output and logs go to stderr.
# Exit code: the program's (0 ok, 1 failure, 2 usage, 3 consume timeout); 4 when Go is missing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
# shellcheck source=../../support/go_build.sh
source "$repo/test/support/go_build.sh"
go_build_once interop-go "$here" "$repo/build/interop-go/interop-go"

exec "$repo/build/interop-go/interop-go" "$@"
