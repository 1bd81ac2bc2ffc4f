#!/usr/bin/env bash
# rocketmq-cpp build driver.
#
#   ./build.sh                  install missing dependencies, release build in build/release
#   ./build.sh test             dependencies, ASan+UBSan build (build/asan, warnings are errors),
#                               a local RocketMQ cluster, every CTest label (the fault tests beside
#                               the others on a cluster of their own; ROCKETMQ_SKIP_FAULT=1 leaves
#                               them out); then a TSan build
#                               running every unit test and the lifecycle tests; stops the cluster;
#                               then the [security] tests on a cluster with TLS and ACL on
#                               (ROCKETMQ_SKIP_SECURITY=1 skips them)
#   ./build.sh fault            ASan build and the fault tests (CTest label fault: brokers killed and
#                               relaunched, a slave read, a black-holed broker, name server failover),
#                               on a cluster of their own, alone
#   ./build.sh tsan             TSan build (build/tsan): every unit test and the lifecycle tests
#                               (against $NAMESRV_ADDR, else a local cluster it starts and stops)
#   ./build.sh fuzz             clang ASan+UBSan build (build/fuzz) of the libFuzzer targets in test/fuzz,
#                               each run FUZZ_SECONDS (default 30; 10 within test) on a copy of its seeds
#   ./build.sh demo             release build of the library and two examples, local cluster (unless
#                               NAMESRV_ADDR is set), produce
#                               and consume with the examples
#   ./build.sh matrix           ASan build, then the integration label (ctest -L integration) against
#                               each broker release in turn (RMQ_MATRIX_VERSIONS, default
#                               "4.9.7 5.3.3 5.5.0") on a cluster of its own (name server 31876,
#                               brokers 31911/31931, private-cluster tests on 31886/31951/31971);
#                               prints a table release x test: pass/fail/skip and seconds
#                               (build/matrix/). Not part of ./build.sh test.
#   ./build.sh cluster start|stop|status|restart
#   ./build.sh deps             only install missing Debian packages
#
# Environment: NAMESRV_ADDR (use an existing cluster for demo), CTEST_ARGS (extra ctest arguments,
# e.g. "-L unit" or "-R integration.cluster"), JOBS (parallel build jobs, default nproc), FUZZ_SECONDS
# (per fuzz target), ROCKETMQ_SKIP_FUZZ=1 (test without the fuzzers), ROCKETMQ_CCACHE=0 (compile
# without ccache, which build directories configured here use when it is installed).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"
jobs=${JOBS:-$(nproc)}
cluster="$root/test/cluster/cluster.sh"

log() { printf '\n==> %s\n' "$*" >&2; }

deps() {
  local packages=(build-essential cmake ninja-build pkg-config libboost-dev libboost-system-dev rapidjson-dev
    libssl-dev openssl zlib1g-dev liblz4-dev libzstd-dev catch2 maven ccache)
  command -v java >/dev/null || packages+=(openjdk-17-jdk-headless)
  # The Go interop peer (test/interop/go) builds with any Go >= 1.19: Debian's when none is installed.
  command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || packages+=(golang-go)
  local missing=()
  local p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# clang and its libFuzzer runtime, only when fuzzing; the runtime package is named after clang's major
# version.
fuzz_deps() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  local wanted=()
  command -v clang++ >/dev/null || wanted+=(clang)
  if [ ${#wanted[@]} -eq 0 ]; then
    local runtime
    runtime="libclang-rt-$(clang++ -dumpversion | cut -d. -f1)-dev"
    dpkg-query -W -f='${Status}' "$runtime" 2>/dev/null | grep -q "install ok installed" || wanted+=("$runtime")
  fi
  [ ${#wanted[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${wanted[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${wanted[@]}"
  # Installing clang just now: its runtime is the one package still missing.
  [ "${wanted[0]}" = clang ] && fuzz_deps
  return 0
}

# dir, cmake args..., then optionally --target and the targets to build (default: all).
configure_and_build() {
  local dir=$1
  shift
  local args=() targets=()
  while [ $# -gt 0 ] && [ "$1" != --target ]; do
    args+=("$1")
    shift
  done
  if [ $# -gt 1 ]; then
    shift
    targets=(--target "$@")
  fi
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  # Compiler results are cached per user (ccache, ~/.cache/ccache): a clean clone of code this
  # machine has compiled before, at any path (CI after a developer's run), compiles in seconds
  # instead of minutes. Paths below the clone are hashed relative to it (CCACHE_BASEDIR) and the
  # working directory is not hashed, so the debug info of a cached object names the source paths of
  # the clone that compiled it first. Given on every configure, so that ROCKETMQ_CCACHE=0 (no
  # cache) and a build directory configured before also take effect.
  local launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=)
  if [ "${ROCKETMQ_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
  fi
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$dir" "${generator[@]}" "${launcher[@]}" "${args[@]}"
  else
    cmake "$dir" "${launcher[@]}" "${args[@]}" >/dev/null
  fi
  cmake --build "$dir" -j "$jobs" "${targets[@]}"
}

release_build() {
  log "release build in build/release"
  configure_and_build build/release -DCMAKE_BUILD_TYPE=Release
}

run_tests() {
  deps
  log "ASan+UBSan build in build/asan"
  configure_and_build build/asan -DCMAKE_BUILD_TYPE=Debug -DROCKETMQ_SANITIZE=address -DROCKETMQ_WERROR=ON \
    -DROCKETMQ_BUILD_BENCH=OFF
  # The Go interop peer ([go] tests) builds once per machine (Go's module and build caches outlive
  # the clone); built here so that no test's timeout pays for it.
  log "building the Go interop peer"
  test/interop/go/interop-go.sh --help >/dev/null 2>&1 || log "the Go interop peer did not build: the [go] tests will fail"
  log "starting the test cluster"
  # The fault tests stop their cluster themselves; this is for a run that was killed or timed out.
  trap '"$cluster" stop || true; RMQ_STORE_ROOT=/dev/shm/rmq-it-fault "$cluster" stop >/dev/null 2>&1 || true' EXIT
  trap 'exit 130' INT TERM
  "$cluster" start
  # The fault tests run beside the others, on a six-process cluster of their own
  # (ROCKETMQ_SKIP_FAULT=1 leaves them out; ./build.sh fault runs them alone).
  local skip_fault=()
  [ "${ROCKETMQ_SKIP_FAULT:-0}" = 1 ] && skip_fault=(-LE fault)
  log "running every test (ctest ${skip_fault[*]} ${CTEST_ARGS:-})"
  local status=0
  (
    cd build/asan
    ROCKETMQ_TEST_CLUSTER=external \
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure --no-tests=error -j 2 "${skip_fault[@]}" ${CTEST_ARGS:-}
  ) || status=$?
  if [ $status -eq 0 ] && [ "${ROCKETMQ_SKIP_TSAN:-0}" != 1 ]; then
    # While the cluster is still up: the lifecycle tests need it.
    tsan_build || status=$?
    if [ $status -eq 0 ]; then tsan_unit_and_lifecycle || status=$?; fi
  fi
  log "stopping the test cluster"
  "$cluster" stop || true
  if [ $status -eq 0 ] && [ "${ROCKETMQ_SKIP_SECURITY:-0}" != 1 ]; then
    security_tests || status=$?
  fi
  if [ $status -eq 0 ] && [ "${ROCKETMQ_SKIP_FUZZ:-0}" != 1 ]; then
    fuzz "${FUZZ_SECONDS:-10}" || status=$?
  fi
  if [ $status -ne 0 ]; then
    log "tests FAILED (exit $status)"
  else
    log "all tests passed"
  fi
  return $status
}

# The [security] integration tests on a cluster of their own with TLS (enforcing) and ACL on, on
# ports apart from the plain cluster's; stopped whatever the outcome.
security_tests() {
  local status=0
  # Mutual TLS: the servers require a client certificate of their CA.
  secure_env=(RMQ_TLS=1 RMQ_ACL=1 RMQ_TLS_CLIENT_AUTH=${RMQ_SECURE_CLIENT_AUTH:-require}
    RMQ_NAMESRV_PORT=${RMQ_SECURE_NAMESRV_PORT:-28876} RMQ_BROKER_A_PORT=${RMQ_SECURE_BROKER_A_PORT:-29911}
    RMQ_BROKER_B_PORT=${RMQ_SECURE_BROKER_B_PORT:-30911} RMQ_STORE_ROOT=${RMQ_SECURE_STORE_ROOT:-/dev/shm/rmq-it-secure})
  log "starting the secured cluster (TLS + ACL)"
  trap 'env "${secure_env[@]}" "$cluster" stop || true' EXIT
  env "${secure_env[@]}" "$cluster" start || return $?
  log "running the [security] tests"
  (
    cd build/asan
    env "${secure_env[@]}" NAMESRV_ADDR=127.0.0.1:${RMQ_SECURE_NAMESRV_PORT:-28876} ROCKETMQ_TEST_CLUSTER=external \
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ./test/rocketmq_integration_tests "[security]" --durations yes
  ) || status=$?
  log "stopping the secured cluster"
  env "${secure_env[@]}" "$cluster" stop || true
  trap - EXIT
  return $status
}

# The fault tests (label fault) in the ASan build; they start and stop their own cluster.
fault_tests() {
  deps
  log "ASan+UBSan build in build/asan"
  configure_and_build build/asan -DCMAKE_BUILD_TYPE=Debug -DROCKETMQ_SANITIZE=address -DROCKETMQ_WERROR=ON \
    -DROCKETMQ_BUILD_BENCH=OFF
  log "running the fault tests"
  (
    cd build/asan
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure --no-tests=error -L fault ${CTEST_ARGS:-}
  )
}

tsan_build() {
  log "ThreadSanitizer build in build/tsan"
  # Only what runs under TSan: the unit tests and the files with [lifecycle] tests (and their helper).
  configure_and_build build/tsan -DCMAKE_BUILD_TYPE=Debug -DROCKETMQ_SANITIZE=thread -DROCKETMQ_WERROR=ON \
    -DROCKETMQ_BUILD_EXAMPLES=OFF -DROCKETMQ_BUILD_BENCH=OFF \
    --target rocketmq_unit_tests rocketmq_lifecycle_tests rocketmq_lifecycle_helper
}

# Every unit test, then the lifecycle tests against the running cluster, under TSan. One process
# per binary: TSan's start-up per test would cost more than the tests.
tsan_unit_and_lifecycle() {
  local status=0
  log "every unit test under ThreadSanitizer"
  (cd build/tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:exitcode=66 \
    ./test/rocketmq_unit_tests --order rand) || status=$?
  if [ $status -eq 0 ]; then
    log "lifecycle tests under ThreadSanitizer, against the cluster"
    (cd build/tsan && ROCKETMQ_TEST_CLUSTER=external TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:exitcode=66 \
      ./test/rocketmq_lifecycle_tests "[lifecycle]") || status=$?
  fi
  return $status
}

tsan_tests() {
  deps
  tsan_build
  local status=0
  if [ -n "${NAMESRV_ADDR:-}" ]; then
    tsan_unit_and_lifecycle || status=$?
  else
    trap '"$cluster" stop || true' EXIT
    "$cluster" start
    tsan_unit_and_lifecycle || status=$?
    "$cluster" stop || true
  fi
  return $status
}

# The libFuzzer targets of test/fuzz in a clang build of their own, each run for $1 (else FUZZ_SECONDS,
# else 30) seconds on a copy of its seed corpus, so that runs never touch the committed seeds. Fails if
# any target reports a crash, leak, timeout, excess memory or sanitizer error; the input that did it is
# kept in build/fuzz/run/<target>/artifacts/.
fuzz() {
  local seconds=${1:-${FUZZ_SECONDS:-30}}
  deps
  fuzz_deps
  log "libFuzzer build in build/fuzz (clang, ASan+UBSan)"
  # ccache does not hash the UBSan ignore list named by -fsanitize-ignorelist: named here, an edit
  # of it is a cache miss.
  CCACHE_EXTRAFILES="$root/test/fuzz/ubsan_ignorelist.txt" CXX=clang++ configure_and_build build/fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
    -DROCKETMQ_BUILD_FUZZ=ON -DROCKETMQ_BUILD_TESTS=OFF -DROCKETMQ_BUILD_EXAMPLES=OFF -DROCKETMQ_BUILD_BENCH=OFF \
    --target fuzzers
  local failed=()
  local corpus name work dict
  for corpus in test/fuzz/corpus/*/; do
    name=$(basename "$corpus")
    work=build/fuzz/run/$name
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp "$corpus"* "$work/corpus/"
    dict=()
    [ -f "test/fuzz/$name.dict" ] && dict=("-dict=test/fuzz/$name.dict")
    log "fuzzing $name for ${seconds}s"
    if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "build/fuzz/test/fuzz/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="$work/artifacts/" "${dict[@]}" "$work/corpus" >"$work/fuzz.log" 2>&1; then
      grep -E '^#[0-9]+[[:space:]]+DONE' "$work/fuzz.log" | tail -n 1 >&2 || true
    else
      tail -n 60 "$work/fuzz.log" >&2
      failed+=("$name")
    fi
  done
  if [ ${#failed[@]} -gt 0 ]; then
    log "fuzzing FAILED: ${failed[*]} (inputs in build/fuzz/run/<target>/artifacts/, logs next to them)"
    return 1
  fi
  log "fuzzing found nothing"
}

# The integration label against each broker release in turn, each on a fresh cluster on ports of its
# own, then one table. A release cluster.sh refuses (exit 3: cannot run on this Java) is reported as
# skipped with its reason.
matrix() {
  deps
  local versions
  read -r -a versions <<<"${RMQ_MATRIX_VERSIONS:-4.9.7 5.3.3 5.5.0}"
  log "ASan+UBSan build in build/asan"
  configure_and_build build/asan -DCMAKE_BUILD_TYPE=Debug -DROCKETMQ_SANITIZE=address -DROCKETMQ_WERROR=ON \
    -DROCKETMQ_BUILD_BENCH=OFF
  local out="$root/build/matrix"
  mkdir -p "$out"
  local ns_port=${RMQ_MATRIX_NAMESRV_PORT:-31876}
  matrix_env=(RMQ_NAMESRV_PORT=$ns_port RMQ_BROKER_A_PORT=${RMQ_MATRIX_BROKER_A_PORT:-31911}
    RMQ_BROKER_B_PORT=${RMQ_MATRIX_BROKER_B_PORT:-31931} RMQ_STORE_ROOT=${RMQ_MATRIX_STORE_ROOT:-/dev/shm/rmq-matrix}
    ROCKETMQ_PRIVATE_CLUSTER_PORTS=${RMQ_MATRIX_PRIVATE_PORTS:-31886,31951,31971})
  local version status=0 rc started
  trap 'env "${matrix_env[@]}" RMQ_VERSION="$version" "$cluster" stop >/dev/null 2>&1 || true' EXIT
  trap 'exit 130' INT TERM
  for version in "${versions[@]}"; do
    rm -f "$out/$version.log" "$out/$version.status"
    log "RocketMQ $version: starting the cluster"
    started=$SECONDS
    rc=0
    env "${matrix_env[@]}" RMQ_VERSION="$version" "$cluster" start 2>"$out/$version.cluster.log" || rc=$?
    if [ $rc -eq 3 ]; then
      grep -m1 'skipping' "$out/$version.cluster.log" | sed 's/^\[cluster\] //' >"$out/$version.status"
      log "$(cat "$out/$version.status")"
      continue
    elif [ $rc -ne 0 ]; then
      tail -n 40 "$out/$version.cluster.log" >&2
      echo "cluster did not start (build/matrix/$version.cluster.log)" >"$out/$version.status"
      status=1
      continue
    fi
    log "RocketMQ $version: ctest -L integration ${MATRIX_CTEST_ARGS:-} (log: build/matrix/$version.log)"
    rc=0
    (
      cd build/asan
      env "${matrix_env[@]}" RMQ_VERSION="$version" NAMESRV_ADDR=127.0.0.1:$ns_port ROCKETMQ_TEST_CLUSTER=external \
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --output-on-failure --no-tests=error -j 2 -L integration ${MATRIX_CTEST_ARGS:-}
    ) >"$out/$version.log" 2>&1 || rc=$?
    [ $rc -ne 0 ] && status=1
    echo "ctest exit $rc in $((SECONDS - started)) s" >"$out/$version.status"
    env "${matrix_env[@]}" RMQ_VERSION="$version" "$cluster" stop >/dev/null 2>&1 || true
    grep -E '^[0-9]+% tests passed|tests failed out of' "$out/$version.log" >&2 || true
  done
  trap - EXIT
  matrix_table "$out" "${versions[@]}" | tee "$out/table.txt"
  return $status
}

# Prints release x test from the ctest logs of matrix(): "pass 12.3" / "FAIL 4.0" / "skip" per cell.
matrix_table() {
  local out=$1
  shift
  local version
  for version in "$@"; do
    [ -f "$out/$version.log" ] || continue
    sed -nE 's/^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: (.*[^. ]) \.+ *(\*\*\*)?(.*[^ ]) +([0-9.]+) sec.*/\1|\3|\4/p' \
      "$out/$version.log" | sed "s/^/$version|/"
  done | awk -F'|' -v versions="$*" '
    BEGIN { n = split(versions, vs, " ") }
    {
      key = $2; gsub(/^integration\./, "", key)
      if (!(key in seen)) { seen[key] = 1; names[++count] = key }
      status = ($3 ~ /Passed/) ? "pass" : ($3 ~ /Skipped/) ? "skip" : "FAIL"
      cell[$1, key] = sprintf("%s %6.1f", status, $4)
      if (status == "pass") pass[$1]++; else if (status == "skip") skip[$1]++; else fail[$1]++
      total[$1] += $4
    }
    END {
      width = 60
      printf "%-" width "s", "test"
      for (i = 1; i <= n; i++) printf " | %-11s", vs[i]
      printf "\n"
      for (j = 1; j <= count; j++) {
        name = names[j]
        if (length(name) > width) name = substr(name, 1, width - 3) "..."
        printf "%-" width "s", name
        for (i = 1; i <= n; i++) printf " | %-11s", ((vs[i], names[j]) in cell) ? cell[vs[i], names[j]] : "-"
        printf "\n"
      }
      printf "%-" width "s", "passed / failed / skipped, test seconds"
      for (i = 1; i <= n; i++) printf " | %d/%d/%d %.0fs", pass[vs[i]], fail[vs[i]], skip[vs[i]], total[vs[i]]
      printf "\n"
    }'
  for version in "$@"; do
    [ -f "$out/$version.status" ] && printf 'RocketMQ %s: %s\n' "$version" "$(cat "$out/$version.status")"
  done
  return 0
}

demo() {
  local started=$SECONDS
  deps
  # Only what the demo runs: the library and two examples (no tests, no benchmarks).
  log "release build of the library and the demo programs in build/release"
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  if [ ! -f build/release/CMakeCache.txt ]; then
    cmake -S "$root" -B build/release "${generator[@]}" -DCMAKE_BUILD_TYPE=Release
  fi
  cmake --build build/release -j "$jobs" --target producer push_consumer
  local namesrv=${NAMESRV_ADDR:-}
  local started_cluster=0
  if [ -z "$namesrv" ]; then
    "$cluster" start
    namesrv=127.0.0.1:${RMQ_NAMESRV_PORT:-9876}
    started_cluster=1
  fi
  local topic="DemoTopic"
  local group="demo_group_$$"
  log "creating $topic (8 queues on each broker) with the Java interop peer"
  test/interop/interop.sh create-topic --namesrv "$namesrv" --topic "$topic" --queues 8
  log "producing 10 messages with our producer (example/producer.cpp)"
  build/release/example/producer "$namesrv" "$topic" 10
  log "producing 10 more with the official Java client"
  test/interop/interop.sh produce --namesrv "$namesrv" --topic "$topic" --count 10 --tags TagA,TagB \
    --keys-prefix demo- --property region=us-west
  log "consuming all 20 with our push consumer (example/push_consumer.cpp) in group $group"
  build/release/example/push_consumer "$namesrv" "$topic" "$group" 20 60
  log "demo done in $((SECONDS - started)) s: name server $namesrv, topic $topic; 10 messages sent by our producer \
and 10 by the Java client, all 20 received by our push consumer (group $group)"
  if [ $started_cluster = 1 ]; then
    log "the cluster is still running for you (store ${RMQ_STORE_ROOT:-/dev/shm/rmq-it}); stop it with ./build.sh cluster stop"
  fi
}

case "${1:-build}" in
  build | "") deps; release_build ;;
  deps) deps ;;
  test) run_tests ;;
  tsan) tsan_tests ;;
  fault) fault_tests ;;
  fuzz) fuzz ;;
  demo) demo ;;
  matrix) matrix ;;
  cluster) shift; deps; "$cluster" "$@" ;;
  *) sed -n '2,31p' "$0" >&2; exit 2 ;;
esac
