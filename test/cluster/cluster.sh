#!/usr/bin/env bash
# A real Apache RocketMQ cluster on loopback for the integration tests and the demo:
# one name server and two master brokers (broker-a, broker-b) in cluster DefaultCluster.
#
#   cluster.sh start | stop | status | restart | jars | admin <mqadmin args...>
#
# Environment (all optional):
#   RMQ_VERSION          RocketMQ release from Maven Central (default: the pom's rmq.version, 5.3.3)
#   RMQ_NAMESRV_PORT     name server port (9876)
#   RMQ_BROKER_A_PORT    broker-a listen port (10911); it also binds port-2 and port+1
#   RMQ_BROKER_B_PORT    broker-b listen port (20911)
#   RMQ_STORE_ROOT       message stores and pid files (/dev/shm/rmq-it), removed by stop
#   RMQ_CACHE            downloaded jars (<repo>/build/rmq-cache/<version>)
#   RMQ_PROPERTY_FILTER  enablePropertyFilter for both brokers (true)
#   RMQ_SERIALIZE_TYPE   JSON or ROCKETMQ: the header encoding the servers answer with (JSON)
#   RMQ_START_TIMEOUT    seconds to wait for each readiness step (120)
#   RMQ_DELAY_LEVELS     the brokers' messageDelayLevel (18 levels of 1s: fast retry tests)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
pom="$repo/third_party/rocketmq/pom.xml"

default_version=$(sed -n 's:.*<rmq.version>\(.*\)</rmq.version>.*:\1:p' "$pom" | head -1)
version=${RMQ_VERSION:-$default_version}
ns_port=${RMQ_NAMESRV_PORT:-9876}
a_port=${RMQ_BROKER_A_PORT:-10911}
b_port=${RMQ_BROKER_B_PORT:-20911}
store=${RMQ_STORE_ROOT:-/dev/shm/rmq-it}
cache=${RMQ_CACHE:-$repo/build/rmq-cache/$version}
property_filter=${RMQ_PROPERTY_FILTER:-true}
serialize_type=${RMQ_SERIALIZE_TYPE:-JSON}
timeout=${RMQ_START_TIMEOUT:-120}
delay_levels=${RMQ_DELAY_LEVELS:-1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s}
namesrv="127.0.0.1:$ns_port"

log() { printf '[cluster] %s\n' "$*" >&2; }

fetch_jars() {
  if [ -f "$cache/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || { log "mvn not found: install Maven (build.sh deps does)"; return 1; }
  log "resolving RocketMQ $version jars from Maven Central into $cache"
  rm -rf "$cache/lib"
  mkdir -p "$cache"
  mvn -B -q -f "$pom" -Drmq.version="$version" dependency:copy-dependencies \
    -DoutputDirectory="$cache/lib" -DincludeScope=runtime
  touch "$cache/.complete"
}

jvm_opts=(-server -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -XX:-UseLargePages
  --add-exports java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED)

write_configs() {
  mkdir -p "$store"/{conf,home/ns,home/broker-a,home/broker-b,home/tools}
  cat >"$store/conf/namesrv.conf" <<CONF
listenPort=$ns_port
bindAddress=127.0.0.1
kvConfigPath=$store/namesrv/kvConfig.json
CONF
  local name port
  for name in broker-a broker-b; do
    port=$a_port
    [ "$name" = broker-b ] && port=$b_port
    cat >"$store/conf/$name.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=$name
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
namesrvAddr=$namesrv
listenPort=$port
haListenPort=$((port + 1))
bindAddress=127.0.0.1
brokerIP1=127.0.0.1
brokerIP2=127.0.0.1
storePathRootDir=$store/$name/store
storePathCommitLog=$store/$name/store/commitlog
mappedFileSizeCommitLog=67108864
mappedFileSizeConsumeQueue=120000
mappedFileSizeTimerLog=16777216
maxHashSlotNum=50000
maxIndexNum=200000
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
enablePropertyFilter=$property_filter
defaultTopicQueueNums=8
deleteWhen=04
fileReservedTime=48
diskMaxUsedSpaceRatio=95
# Retries come back after 1 s at every level, so retry and dead-letter tests take seconds, not
# hours (production default: 1s 5s 10s 30s 1m ... 2h).
messageDelayLevel=$delay_levels
CONF
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_java() { # name main-class heap config-or-empty logback
  local name=$1 main=$2 heap=$3 conf=$4 logback=$5
  ROCKETMQ_HOME="$store" ROCKETMQ_SERIALIZE_TYPE="$serialize_type" \
    nohup java "${jvm_opts[@]}" $heap -Duser.home="$store/home/$name" \
    -Drocketmq.home.dir="$store" -Drmq.logback.configurationFile="$logback" \
    -cp "$cache/lib/*" "$main" -c "$conf" >"$store/$name.out" 2>&1 </dev/null &
  echo $! >"$store/$name.pid"
}

tails() {
  local f
  for f in "$store"/*.out "$store"/home/*/logs/rocketmqlogs/{namesrv,broker}.log; do
    [ -f "$f" ] || continue
    echo "----- tail of $f" >&2
    tail -n 40 "$f" >&2
  done
}

wait_banner() { # name text
  local i
  for ((i = 0; i < timeout; i++)); do
    grep -qF "$2" "$store/$1.out" 2>/dev/null && return 0
    pid_alive "$store/$1.pid" || { log "$1 exited during start"; return 1; }
    sleep 1
  done
  log "timeout waiting for '$2' from $1"
  return 1
}

admin() {
  java -Xmx256m -Duser.home="$store/home/tools" -Drocketmq.home.dir="$store" \
    -Drmq.logback.configurationFile=rmq.tools.logback.xml -cp "$cache/lib/*" \
    org.apache.rocketmq.tools.command.MQAdminStartup "$@"
}

# Ready means the name server lists both brokers in its cluster table (GET_BROKER_CLUSTER_INFO),
# not merely that the ports accept connections.
wait_registered() {
  local i out
  for ((i = 0; i < timeout; i += 2)); do
    out=$(ROCKETMQ_HOME="$store" admin clusterList -n "$namesrv" 2>/dev/null || true)
    if grep -q "broker-a" <<<"$out" && grep -q "broker-b" <<<"$out"; then
      return 0
    fi
    sleep 2
  done
  log "name server $namesrv did not report both brokers within ${timeout}s"
  return 1
}

status() {
  local name ok=0
  for name in ns broker-a broker-b; do
    if pid_alive "$store/$name.pid"; then
      echo "$name running (pid $(cat "$store/$name.pid"))"
    else
      echo "$name stopped"
      ok=1
    fi
  done
  return $ok
}

stop() {
  local name pid i
  for name in broker-a broker-b ns; do
    [ -f "$store/$name.pid" ] || continue
    pid=$(cat "$store/$name.pid")
    kill "$pid" 2>/dev/null || true
  done
  for name in broker-a broker-b ns; do
    [ -f "$store/$name.pid" ] || continue
    pid=$(cat "$store/$name.pid")
    for ((i = 0; i < 300; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored SIGTERM for 30 s, killing"
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$store"
  log "stopped; removed $store"
}

start() {
  if status >/dev/null 2>&1; then
    log "already running on $namesrv"
    return 0
  fi
  stop >/dev/null 2>&1 || true
  fetch_jars
  write_configs
  log "starting RocketMQ $version: name server $namesrv, broker-a :$a_port, broker-b :$b_port, store $store"
  start_java ns org.apache.rocketmq.namesrv.NamesrvStartup "-Xms256m -Xmx256m" \
    "$store/conf/namesrv.conf" rmq.namesrv.logback.xml
  if ! wait_banner ns "The Name Server boot success"; then tails; stop; return 1; fi
  local heap="-Xms1g -Xmx1g -XX:MaxDirectMemorySize=512m"
  start_java broker-a org.apache.rocketmq.broker.BrokerStartup "$heap" "$store/conf/broker-a.conf" rmq.broker.logback.xml
  start_java broker-b org.apache.rocketmq.broker.BrokerStartup "$heap" "$store/conf/broker-b.conf" rmq.broker.logback.xml
  if ! wait_banner broker-a "boot success" || ! wait_banner broker-b "boot success" || ! wait_registered; then
    tails
    stop
    return 1
  fi
  log "ready: $namesrv reports broker-a and broker-b"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  restart) stop; start ;;
  jars) fetch_jars; echo "$cache/lib" ;;
  admin) shift; fetch_jars; admin "$@" ;;
  *) echo "usage: $0 start|stop|status|restart|jars|admin <args>" >&2; exit 2 ;;
esac
