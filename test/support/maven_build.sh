# Sourced by the launchers of the Java tools (test/interop/interop.sh, bench/java/run.sh):
#
#   maven_build <project dir> <output dir> <label>
#
# Builds the Maven project once into <output dir>/classes and its runtime dependencies into
# <output dir>/lib, again only when pom.xml or src/ are newer than the last build or RMQ_VERSION
# changed. Concurrent launchers serialise the build with flock. Build output goes to stderr, so
# the tools' stdout stays theirs.
maven_build() {
  local project=$1 output=$2 label=$3
  local marker="$output/.built"
  local want="version=${RMQ_VERSION:-default}"
  _maven_needs_build() {
    [ -f "$marker" ] || return 0
    [ "$(cat "$marker" 2>/dev/null)" = "$want" ] || return 0
    [ -d "$output/classes" ] && [ -d "$output/lib" ] || return 0
    [ -z "$(find "$project/pom.xml" "$project/src" -newer "$marker" -print -quit 2>/dev/null)" ] || return 0
    return 1
  }
  _maven_needs_build || return 0
  command -v flock >/dev/null || { echo "[$label] flock not found (util-linux)" >&2; exit 1; }
  command -v mvn >/dev/null || { echo "[$label] mvn not found: install Maven 3.8+" >&2; exit 1; }
  mkdir -p "$output"
  exec 9>"$output/.build.lock"
  flock 9
  if _maven_needs_build; then
    echo "[$label] building (${want}) ..." >&2
    rm -f "$marker"
    local stamp="$output/.built.tmp.$$"
    echo "$want" >"$stamp"  # stamped before the build: edits made during it trigger a rebuild
    rm -rf "$output/lib" "$output/classes"
    local version_arg=()
    [ -n "${RMQ_VERSION:-}" ] && version_arg=(-Drmq.version="$RMQ_VERSION")
    if ! (cd "$project" && mvn -B -q -Dstyle.color=never -f pom.xml "${version_arg[@]}" package \
          dependency:copy-dependencies -DoutputDirectory="$output/lib" -DincludeScope=runtime) 1>&2; then
      rm -f "$stamp"
      echo "[$label] build failed" >&2
      exit 1
    fi
    mv -f "$stamp" "$marker"
    echo "[$label] build done" >&2
  fi
  flock -u 9
  exec 9>&-
}
