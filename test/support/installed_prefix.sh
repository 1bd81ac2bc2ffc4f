# Sourced by the scripts that try the library as an application would: install a build tree into
# a temporary prefix (removed on exit), then configure, build and run programs against it.
#   source test/support/installed_prefix.sh
#   install_into_temp_prefix <build dir>   sets $work (a temporary directory) and $prefix under it
#   sanitizer_flags <address|thread|>      prints the compiler flags of that sanitizer
#   build_project <source dir> <build dir> [cmake -D...]   configures against $prefix and builds
#   run_and_expect <label> <text> <program> [args]   runs it with $prefix/lib on the loader path,
#                                                    prints "<label>: <output>", fails unless it holds <text>

install_into_temp_prefix() {
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  prefix="$work/prefix"
  cmake --install "$1" --prefix "$prefix" >/dev/null
}

sanitizer_flags() {
  case "${1:-}" in
    address) echo "-fsanitize=address,undefined" ;;
    thread) echo "-fsanitize=thread" ;;
    *) echo "" ;;
  esac
}

build_project() {
  local source=$1 binary=$2
  shift 2
  cmake -S "$source" -B "$binary" -DCMAKE_PREFIX_PATH="$prefix" "$@" >/dev/null
  cmake --build "$binary" >/dev/null
}

run_and_expect() {
  local label=$1 expected=$2 out
  shift 2
  out=$(LD_LIBRARY_PATH="$prefix/lib" "$@")
  echo "$label: $out"
  grep -q -F "$expected" <<<"$out"
}
