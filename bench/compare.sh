#!/usr/bin/env bash
# Our push consumer side by side with the official Java and Go clients, on the same brokers, the
# same backlog and the same machine, in one run. See bench/README.md for what every figure means.
#
#   bench/compare.sh [-n MESSAGES] [-s BODY_BYTES] [-t CONSUME_THREADS] [-b CONSUME_BATCH] [-r RATE]
#                    [-d SECONDS] [-k REPEAT] [--no-java] [--no-go] [--no-micro] [--producer]
#                    [--producer-only] [-p PRODUCER_MESSAGES] [--pair] [--keep-cluster] [--secure]
#
#   -n  backlog preloaded and drained by every consumer (1000000)
#   -s  message body size in bytes (128)
#   -t  consume threads of the push consumers (20; Go: ConsumeGoroutineNums)
#   -b  consume batch size of the push consumers (1: one message per listener call)
#   -r  rate of the fixed-rate latency runs, messages/s (5000)
#   -d  duration of each latency run, seconds (30)
#   -k  drains per push consumer, alternating ours / Java / Go; the table takes each one's fastest (1);
#       with --producer also rounds of the six producer runs, alternating, each one's fastest
#   --no-java, --no-go  without the Java / Go consumer (and producer)
#   --producer  also the producer comparison: our async and sync producer, Java's and Go's, each
#       sending -p messages of -s bytes from 4 threads into a fresh topic (send TPS, CPU s per M)
#   --producer-only  only the producer comparison (no backlog, drains, latency runs, micro)
#   -p  messages per producer run (200000)
#   --pair  also a drain by two of our push consumers sharing one group (two processes, counted
#       exactly once between them through a shared seen-set file in /dev/shm)
#   --secure  on a TLS + ACL cluster (test/cluster/cluster.sh RMQ_TLS=1 RMQ_ACL=1, ports 64876,
#       64911, 65111, store /dev/shm/rmq-bench-secure): our programs verify the servers against its
#       CA and sign every request. Without the Java consumer and the raw pull loop (neither speaks
#       TLS here); compare its figures with a plain run's to see what TLS and signing cost.
#
# Steps: build (Release) -> cluster (ours, or NAMESRV_ADDR) -> topic with 8 queues on each broker ->
# preload N messages with rmq_bench_producer (batched sends) -> drain it with: the raw pull loop,
# our push consumer, the Java push consumer, the Go push consumer, the raw pull loop again (each in
# a fresh group, from the first offset) -> a fixed-rate latency run per consumer -> [producer
# comparison] -> micro benchmarks and callgrind instruction counts -> one table, and
# bench/results/latest.json. Exit code 1 when a consumer missed messages (or a step failed).
#
# Environment (optional):
#   NAMESRV_ADDR        use this running cluster instead of starting one
#   RMQ_NAMESRV_PORT    ports of the cluster compare.sh starts (61876, 62911, 63911: not the
#   RMQ_BROKER_A_PORT   shared test cluster's), its store root (/dev/shm/rmq-bench); a cluster
#   RMQ_BROKER_B_PORT   already running there is reused and left running
#   RMQ_STORE_ROOT
#   BENCH_BUILD_DIR     CMake build directory (build/release when it is a Release build, else
#                       build/bench, configured here)
#   BENCH_JAVA_OPTS     JVM options of the Java consumer (bench/java/run.sh: -Xmx1g)
#   GOPROXY etc.        the Go program is built by bench/go/run.sh with Go's per-user caches
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
count=1000000
size=128
threads=20
rate=5000
latency_seconds=30
repeat=1
consume_batch=1
run_java=1
run_go=1
run_producer=0
run_consume=1
run_pair=0
producer_count=200000
run_micro=1
keep_cluster=0
secure=0
while [ $# -gt 0 ]; do
  case "$1" in
    -n) count=$2; shift 2 ;;
    -s) size=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    -b) consume_batch=$2; shift 2 ;;
    -p) producer_count=$2; shift 2 ;;
    --producer) run_producer=1; shift ;;
    --producer-only) run_producer=1; run_consume=0; run_micro=0; shift ;;
    --no-go) run_go=0; shift ;;
    --pair) run_pair=1; shift ;;
    -r) rate=$2; shift 2 ;;
    -d) latency_seconds=$2; shift 2 ;;
    -k) repeat=$2; shift 2 ;;
    --no-java) run_java=0; shift ;;
    --no-micro) run_micro=0; shift ;;
    --keep-cluster) keep_cluster=1; shift ;;
    --secure) secure=1; run_java=0; run_go=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

t_begin=$(date +%s)
log() { printf '[compare %4ds] %s\n' "$(($(date +%s) - t_begin))" "$*" >&2; }
stamp=$(date +%Y%m%d-%H%M%S)
results="$here/results"
run_dir="$results/$stamp"
mkdir -p "$run_dir"
failures=()

# ---- build -----------------------------------------------------------------------------------
if [ -n "${BENCH_BUILD_DIR:-}" ]; then
  build=$BENCH_BUILD_DIR
elif grep -qs '^CMAKE_BUILD_TYPE:STRING=Release$' "$repo/build/release/CMakeCache.txt"; then
  build=$repo/build/release
else
  build=$repo/build/bench
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  log "configuring a Release build in $build"
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DROCKETMQ_BUILD_TESTS=OFF >"$run_dir/build.log" 2>&1 \
    || { tail -20 "$run_dir/build.log" >&2; exit 1; }
fi
grep -qs '^CMAKE_BUILD_TYPE:STRING=Release$' "$build/CMakeCache.txt" \
  || log "warning: $build is not a Release build: figures will be slow"
log "building the benchmarks in $build"
cmake --build "$build" -j2 --target rmq_bench_producer rmq_bench_consumer rmq_bench_raw_pull rmq_bench_micro \
  >>"$run_dir/build.log" 2>&1 || { tail -30 "$run_dir/build.log" >&2; exit 1; }
bin="$build/bench"
if [ "$run_java" = 1 ]; then
  log "building the Java consumer (bench/java)"
  "$here/java/run.sh" --build-only 2>>"$run_dir/build.log" || { tail -30 "$run_dir/build.log" >&2; exit 1; }
fi
if [ "$run_go" = 1 ]; then
  log "building the Go consumer (bench/go)"
  "$here/go/run.sh" --build-only 2>>"$run_dir/build.log" || { tail -30 "$run_dir/build.log" >&2; exit 1; }
fi

# ---- cluster ---------------------------------------------------------------------------------
security=()
if [ "$secure" = 1 ]; then
  export RMQ_TLS=1 RMQ_ACL=1
  export RMQ_NAMESRV_PORT=${RMQ_NAMESRV_PORT:-64876}
  export RMQ_BROKER_A_PORT=${RMQ_BROKER_A_PORT:-64911}
  export RMQ_BROKER_B_PORT=${RMQ_BROKER_B_PORT:-65111}
  export RMQ_STORE_ROOT=${RMQ_STORE_ROOT:-/dev/shm/rmq-bench-secure}
  security=(--tls-ca "$RMQ_STORE_ROOT/tls/ca.pem" --access-key "${RMQ_ACL_ACCESS_KEY:-rocketmq2}"
    --secret-key "${RMQ_ACL_SECRET_KEY:-12345678}")
  export INTEROP_TLS_CA=$RMQ_STORE_ROOT/tls/ca.pem
  export INTEROP_ACCESS_KEY=${RMQ_ACL_ACCESS_KEY:-rocketmq2} INTEROP_SECRET_KEY=${RMQ_ACL_SECRET_KEY:-12345678}
fi
export RMQ_NAMESRV_PORT=${RMQ_NAMESRV_PORT:-61876}
export RMQ_BROKER_A_PORT=${RMQ_BROKER_A_PORT:-62911}
export RMQ_BROKER_B_PORT=${RMQ_BROKER_B_PORT:-63911}
export RMQ_STORE_ROOT=${RMQ_STORE_ROOT:-/dev/shm/rmq-bench}
started_cluster=0
if [ -n "${NAMESRV_ADDR:-}" ]; then
  namesrv=$NAMESRV_ADDR
  log "using the cluster at $namesrv"
else
  namesrv=127.0.0.1:$RMQ_NAMESRV_PORT
  if "$repo/test/cluster/cluster.sh" status >/dev/null 2>&1; then
    log "reusing the cluster running at $namesrv ($RMQ_STORE_ROOT)"
  else
    log "starting a cluster at $namesrv (store $RMQ_STORE_ROOT)"
    "$repo/test/cluster/cluster.sh" start 2>>"$run_dir/cluster.log" || { tail -20 "$run_dir/cluster.log" >&2; exit 1; }
    started_cluster=1
  fi
fi
cleanup() {
  local pid
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
  if [ "$started_cluster" = 1 ] && [ "$keep_cluster" = 0 ]; then
    log "stopping the cluster"
    "$repo/test/cluster/cluster.sh" stop 2>>"$run_dir/cluster.log" || true
  fi
}
trap cleanup EXIT

create_topic() {
  "$repo/test/interop/interop.sh" create-topic --namesrv "$namesrv" --topic "$1" --queues 8 \
    >>"$run_dir/topics.log" 2>&1 || { log "create-topic $1 failed"; tail -5 "$run_dir/topics.log" >&2; exit 1; }
}

# Runs a benchmark program, its output to $run_dir/<name>.log (and the terminal), its RESULT line
# to $run_dir/<name>.json. Never aborts the script: a failure is recorded.
run_bench() {
  local name=$1
  shift
  local rc=0
  "$@" >"$run_dir/$name.log" 2>"$run_dir/$name.err" || rc=$?
  grep -E '^(Summary|READY|STARTED)' "$run_dir/$name.log" | sed "s/^/  [$name] /" >&2 || true
  sed -n 's/^RESULT //p' "$run_dir/$name.log" | tail -1 >"$run_dir/$name.json"
  if [ "$rc" != 0 ] || [ ! -s "$run_dir/$name.json" ]; then
    failures+=("$name (exit $rc)")
    log "$name FAILED (exit $rc); see $run_dir/$name.log / .err"
    tail -3 "$run_dir/$name.err" >&2 || true
  fi
  return 0
}

# ---- backlog ---------------------------------------------------------------------------------
consume_args=(--threads "$threads" --consume-batch "$consume_batch")
if [ "$run_consume" = 1 ]; then
topic=BenchDrain_$stamp
topic=${topic//-/_}
log "creating $topic (8 queues on each broker) and preloading $count messages of $size bytes"
create_topic "$topic"
run_bench preload "$bin/rmq_bench_producer" --namesrv "$namesrv" --topic "$topic" --threads 4 --size "$size" \
  --count "$count" --batch 64 "${security[@]}"
if [ ! -s "$run_dir/preload.json" ]; then
  log "preload failed: nothing to drain"
  exit 1
fi

# ---- drains ----------------------------------------------------------------------------------
drain_group() { echo "bench_${1}_${stamp//-/_}"; }
if [ "$secure" = 0 ]; then
  log "drain 1/4: raw pull loop (broker-bound limit)"
  run_bench raw_1 "$bin/rmq_bench_raw_pull" --namesrv "$namesrv" --topic "$topic" --group "$(drain_group raw1)" \
    --expect "$count"
fi
for ((k = 1; k <= repeat; k++)); do
  suffix=""
  [ "$k" -gt 1 ] && suffix="_$k"
  log "drain 2/4: our push consumer ($threads threads, consume batch $consume_batch)${suffix:+, repeat $k}"
  run_bench "ours_drain$suffix" "$bin/rmq_bench_consumer" --namesrv "$namesrv" --topic "$topic" \
    --group "$(drain_group "ours$k")" "${consume_args[@]}" --expect "$count" "${security[@]}"
  if [ "$run_java" = 1 ]; then
    log "drain 3/4: Java push consumer ($threads threads)${suffix:+, repeat $k}"
    run_bench "java_drain$suffix" "$here/java/run.sh" --namesrv "$namesrv" --topic "$topic" \
      --group "$(drain_group "java$k")" "${consume_args[@]}" --expect "$count"
  fi
  if [ "$run_go" = 1 ]; then
    log "drain 3/4: Go push consumer ($threads goroutines)${suffix:+, repeat $k}"
    run_bench "go_drain$suffix" "$here/go/run.sh" --namesrv "$namesrv" --topic "$topic" \
      --group "$(drain_group "go$k")" "${consume_args[@]}" --expect "$count"
  fi
done
if [ "$run_pair" = 1 ]; then
  # Two processes, one group: each owns half the queues after the rebalance; messages delivered to
  # both around it are counted once (the shared set). Both end when the pair has N distinct.
  pair_file=/dev/shm/rmq-bench-pair-$stamp
  rm -f "$pair_file"
  log "pair drain: two of our push consumers in one group ($threads threads each)"
  run_bench ours_pair_a "$bin/rmq_bench_consumer" --namesrv "$namesrv" --topic "$topic" --group "$(drain_group pair)" \
    "${consume_args[@]}" --expect "$count" --shared-seen "$pair_file" "${security[@]}" &
  pair_a=$!
  run_bench ours_pair_b "$bin/rmq_bench_consumer" --namesrv "$namesrv" --topic "$topic" --group "$(drain_group pair)" \
    "${consume_args[@]}" --expect "$count" --shared-seen "$pair_file" "${security[@]}" &
  pair_b=$!
  wait "$pair_a" "$pair_b" || true
  rm -f "$pair_file"
fi
if [ "$secure" = 0 ]; then
  log "drain 4/4: raw pull loop again (the limit is the better of the two raw runs)"
  run_bench raw_2 "$bin/rmq_bench_raw_pull" --namesrv "$namesrv" --topic "$topic" --group "$(drain_group raw2)" \
    --expect "$count"
fi

# ---- fixed-rate latency runs -----------------------------------------------------------------
latency_count=$((rate * latency_seconds))
latency_run() { # name command...
  local name=$1
  shift
  local lat_topic=BenchLatency_${name}_${stamp//-/_}
  create_topic "$lat_topic"
  log "latency run $name: $rate msg/s for ${latency_seconds}s on $lat_topic"
  run_bench "${name}_latency" "$@" --topic "$lat_topic" --group "bench_lat_${name}_${stamp//-/_}" \
    "${consume_args[@]}" --expect "$latency_count" --idle 30 --queues 16 "${security[@]}" &
  local consumer=$!
  local i
  # READY: the consumer owns 16 queues (Java: of the topic; ours: of the topic and its group's retry
  # topic, which it takes at once; from the first offset either way, so nothing can be missed).
  for ((i = 0; i < 60; i++)); do
    grep -q '^READY' "$run_dir/${name}_latency.log" 2>/dev/null && break
    kill -0 "$consumer" 2>/dev/null || break
    sleep 0.5
  done
  sleep 1
  run_bench "${name}_latency_producer" "$bin/rmq_bench_producer" --namesrv "$namesrv" --topic "$lat_topic" \
    --threads 2 --size "$size" --rate "$rate" --seconds "$latency_seconds" --async 1 "${security[@]}"
  wait "$consumer" || true
}
latency_run ours "$bin/rmq_bench_consumer" --namesrv "$namesrv"
if [ "$run_java" = 1 ]; then
  latency_run java "$here/java/run.sh" --namesrv "$namesrv"
fi
if [ "$run_go" = 1 ]; then
  latency_run go "$here/go/run.sh" --namesrv "$namesrv"
fi
fi # run_consume

# ---- producer comparison ---------------------------------------------------------------------
# Every producer sends the same -p messages of -s bytes from 4 threads (a failed send is sent
# again), each into a fresh topic (8 queues on each broker), one after the other; with -k K in K
# alternating rounds (prod_<name>, prod_<name>_2, ...), the report taking each one's fastest.
producer_run() { # name round command...
  local name=$1 round=$2
  shift 2
  local suffix=""
  [ "$round" -gt 1 ] && suffix="_$round"
  local prod_topic=BenchProduce_${name}${suffix}_${stamp//-/_}
  create_topic "$prod_topic"
  log "producer $name: $producer_count x $size B on $prod_topic${suffix:+, round $round}"
  run_bench "prod_$name$suffix" "$@" --topic "$prod_topic" --threads 4 --size "$size" --count "$producer_count"
}
if [ "$run_producer" = 1 ]; then
  if [ "$run_consume" = 0 ]; then
    # Without a preload and drains before them, the first producer would meet brokers that have
    # not written yet (page faults in a fresh commit log, JIT): its first seconds ran at under
    # 600 msg/s with 3-8 s round trips in one run. A warm-up send first, not counted.
    warm_topic=BenchWarmUp_${stamp//-/_}
    create_topic "$warm_topic"
    log "warming the brokers up: $producer_count x $size B on $warm_topic (not counted)"
    "$bin/rmq_bench_producer" --namesrv "$namesrv" --topic "$warm_topic" --threads 4 --size "$size" \
      --count "$producer_count" --async 1 "${security[@]}" >"$run_dir/warm_up.log" 2>&1 ||
      log "the warm-up send failed (see $run_dir/warm_up.log); going on"
  fi
  for ((k = 1; k <= repeat; k++)); do
    producer_run ours_async "$k" "$bin/rmq_bench_producer" --namesrv "$namesrv" --async 1 "${security[@]}"
    producer_run ours_sync "$k" "$bin/rmq_bench_producer" --namesrv "$namesrv" --async 0 "${security[@]}"
    if [ "$run_java" = 1 ]; then
      producer_run java_async "$k" "$here/java/run.sh" produce --namesrv "$namesrv" --async 1
      producer_run java_sync "$k" "$here/java/run.sh" produce --namesrv "$namesrv" --async 0
    fi
    if [ "$run_go" = 1 ]; then
      producer_run go_async "$k" "$here/go/run.sh" produce --namesrv "$namesrv" --async 1
      producer_run go_sync "$k" "$here/go/run.sh" produce --namesrv "$namesrv" --async 0
    fi
  done
fi

# ---- micro benchmarks ------------------------------------------------------------------------
if [ "$run_micro" = 1 ]; then
  log "micro benchmarks (rmq_bench_micro) and callgrind instruction counts"
  "$bin/rmq_bench_micro" | tee "$run_dir/micro.log" | sed 's/^/  /' >&2
  "$bin/rmq_bench_micro" --json --seconds 0.3 >"$run_dir/micro.json" || failures+=("micro")
  if command -v valgrind >/dev/null; then
    "$here/callgrind.sh" "$build" 200 >"$run_dir/callgrind.log" 2>&1 || failures+=("callgrind")
    sed 's/^/  /' "$run_dir/callgrind.log" | grep -v CALLGRIND >&2
    sed -n 's/^CALLGRIND //p' "$run_dir/callgrind.log" >"$run_dir/callgrind.json"
  else
    log "valgrind not installed: no instruction counts"
  fi
fi

# ---- report ----------------------------------------------------------------------------------
elapsed=$(($(date +%s) - t_begin))
python3 "$here/report.py" --dir "$run_dir" --out "$results/latest.json" --count "$count" --size "$size" --repeat "$repeat" \
  --threads "$threads" --consume-batch "$consume_batch" --producer-count "$producer_count" --consume "$run_consume" \
  --rate "$rate" --latency-seconds "$latency_seconds" --namesrv "$namesrv" \
  --elapsed "$elapsed" --failures "$(IFS=';'; echo "${failures[*]:-}")" || failures+=("report")
log "done in ${elapsed}s; logs in $run_dir, figures in $results/latest.json"
if [ "${#failures[@]}" -gt 0 ]; then
  log "FAILED: ${failures[*]}"
  exit 1
fi
