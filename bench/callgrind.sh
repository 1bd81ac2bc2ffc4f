#!/usr/bin/env bash
# Instructions per message on the consumer's decode path and the producer's request/answer path, counted by valgrind's callgrind: exact
# and repeatable on a noisy shared machine, unlike wall-clock micro benchmarks.
#
#   bench/callgrind.sh [build-dir] [iterations]     (default: build/bench, 200)
#
# Runs rmq_bench_micro --only NAME --iterations K under callgrind, counting only inside
# bench_loop_NAME (--collect-atstart=no --toggle-collect), and prints instructions (Ir) per message
# for each benchmark; the last line is JSON for compare.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${1:-$repo/build/bench}
iterations=${2:-200}
micro="$build/bench/rmq_bench_micro"
[ -x "$micro" ] || { echo "callgrind.sh: $micro not built" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not installed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
json=""
printf '%-14s %16s %12s\n' benchmark "Ir total" "Ir/message"
for name in frame_json frame_binary decode_32 pull_path send_encode send_answer filter_tags filter_sql92; do
  messages_per_iteration=32
  case $name in send_*) messages_per_iteration=1 ;; esac  # one send request or answer per message
  out="$work/$name.out"
  if ! valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
      --toggle-collect="bench_loop_$name" "$micro" --only "$name" --iterations "$iterations" \
      >"$work/$name.log" 2>&1; then
    echo "callgrind.sh: $name failed:" >&2
    tail -5 "$work/$name.log" >&2
    continue
  fi
  grep -q "^$name:" "$work/$name.log" || continue  # benchmark not available (e.g. SQL92 skipped)
  total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out" | head -1)
  [ -n "$total" ] || total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out" | head -1)
  per=$((total / (iterations * messages_per_iteration)))
  printf '%-14s %16s %12s\n' "$name" "$total" "$per"
  json="$json${json:+,}\"$name\":$per"
done
echo "CALLGRIND {\"iterations\":$iterations,\"ir_per_message\":{$json}}"
