#!/usr/bin/env bash
# The C API's exports: librocketmq.so defines every function the C headers declare, and exports
# nothing but those and the C++ API (namespace rocketmq, not its internal namespaces); and
# docs/c-api.md documents each of them.
#   check_exports.sh <librocketmq.so> <include dir>
set -euo pipefail
so=$1
include=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

declared=$("$here/c_api_functions.sh" "$include")
count=$(wc -l <<<"$declared")
[ "$count" -ge 100 ] || { echo "only $count functions found in $include/rocketmq/C*.h" >&2; exit 1; }

# Defined, exported functions (T), raw names.
exported=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sed 's/@.*//' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
if [ -n "$missing" ]; then
  echo "declared in the C headers but not exported by $so:" >&2
  echo "$missing" >&2
  exit 1
fi

# Every dynamic symbol: a C API name, or a C++ symbol of namespace rocketmq outside its internals.
all=$(nm -D --defined-only "$so" | awk '{ print $3 }' | sed 's/@.*//' | sort -u)
others=$(comm -23 <(echo "$all") <(echo "$declared"))
demangled=$(c++filt <<<"$others")
leaked=$(grep -v -E 'rocketmq::' <<<"$demangled" || true)
internal=$(grep -E 'rocketmq::(remoting|protocol|client|consumer|producer|common|filter|detail|capi)::|::Impl::' \
  <<<"$demangled" | grep -v 'MessageExtAccess' || true)
if [ -n "$leaked$internal" ]; then
  echo "$so exports symbols outside rocketmq:: and the C API:" >&2
  echo "$leaked" | head -20 >&2
  echo "$internal" | head -20 >&2
  exit 1
fi
# docs/c-api.md has a row for every function, with its state.
docs="$here/../../docs/c-api.md"
undocumented=$(while read -r name; do grep -q "^| \`$name\` | " "$docs" || echo "$name"; done <<<"$declared")
if [ -n "$undocumented" ]; then
  echo "functions without a row in docs/c-api.md:" >&2
  echo "$undocumented" >&2
  exit 1
fi
echo "$count C API functions exported; $(wc -l <<<"$others") C++ symbols, all in namespace rocketmq"
