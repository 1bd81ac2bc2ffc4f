# Sourced by the launchers of our Go programs (test/interop/go/interop-go.sh, bench/go/run.sh).
#
# go_build_once LABEL SOURCE_DIR BINARY builds the Go program in SOURCE_DIR into BINARY when BINARY
# is missing or older than the folder's main.go, go.mod or go.sum. The module and build caches are
# Go's per-user ones (GOMODCACHE, GOCACHE: ~/go/pkg/mod, ~/.cache/go-build), which outlive a clone
# as ~/.m2 does for the Java programs, so a machine downloads and compiles the client once and a
# fresh clone only links. Concurrent invocations serialise the build with flock. GOFLAGS=-mod=mod,
# GOTOOLCHAIN=local; GOPROXY is Go's default unless set. Build output goes to stderr, each line of
# ours prefixed with [LABEL]. Exits the calling script with 4 when Go is missing, 1 when the build
# fails.
go_build_once() {
  local label=$1 source_dir=$2 binary=$3
  export GOFLAGS=-mod=mod
  export GOTOOLCHAIN=local
  [ -x /usr/local/go/bin/go ] && PATH="$PATH:/usr/local/go/bin"
  if ! go_build_needed "$source_dir" "$binary"; then return 0; fi
  command -v go >/dev/null || { echo "[$label] go not found: install Go (./build.sh deps does)" >&2; exit 4; }
  command -v flock >/dev/null || { echo "[$label] flock not found (util-linux)" >&2; exit 1; }
  mkdir -p "$(dirname "$binary")"
  exec 9>"$(dirname "$binary")/.build.lock"
  flock 9
  if go_build_needed "$source_dir" "$binary"; then
    echo "[$label] building with $(go version) ..." >&2
    local started=$SECONDS
    if ! (cd "$source_dir" && go build -o "$binary.tmp.$$" .) 1>&2; then
      rm -f "$binary.tmp.$$"
      echo "[$label] build failed" >&2
      exit 1
    fi
    mv -f "$binary.tmp.$$" "$binary"
    echo "[$label] build done in $((SECONDS - started)) s" >&2
  fi
  flock -u 9
  exec 9>&-
}

go_build_needed() {
  local source_dir=$1 binary=$2
  [ -x "$binary" ] || return 0
  [ -n "$(find "$source_dir/main.go" "$source_dir/go.mod" "$source_dir/go.sum" -newer "$binary" -print -quit 2>/dev/null)" ]
}
