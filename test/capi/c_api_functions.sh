#!/usr/bin/env bash
# Prints the name of every function the C API headers declare, one per line, sorted:
#   c_api_functions.sh <include dir holding rocketmq/C*.h>
set -euo pipefail
include=$1
# A declaration is "ROCKETMQCLIENT_API <type> <name>(" possibly across lines; the macro's own
# definition is not one.
cat "$include"/rocketmq/C*.h | grep -v '^#' | tr '\n' ' ' |
  grep -oE 'ROCKETMQCLIENT_API[^;()]*\(' | sed -E 's/.*[ *]([A-Za-z_][A-Za-z0-9_]*) *\($/\1/' | sort -u
