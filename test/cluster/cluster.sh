#!/usr/bin/env bash
# A real Apache RocketMQ cluster on loopback for the integration tests and the demo:
# one name server and two master brokers (broker-a, broker-b) in cluster DefaultCluster; on request
# a slave per broker and a second name server (fault tests).
#
#   cluster.sh start | stop | status | restart | jars | admin <mqadmin args...>
#   cluster.sh kill <process> | launch <process>     (fault tests: SIGKILL one process, or start it
#                                                     again on its existing store and configuration)
#   processes: ns, ns2, broker-a, broker-b, broker-a-s, broker-b-s
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
#   RMQ_SLAVES           1: a slave per broker, broker id 1 of broker-a and broker-b (0)
#   RMQ_SLAVE_A_PORT     broker-a's slave listen port (broker-a port + 1000); binds port-2 and port+1
#   RMQ_SLAVE_B_PORT     broker-b's slave listen port (broker-b port + 1000)
#   RMQ_NAMESRV_COUNT    2: a second name server, and brokers registering with both (1)
#   RMQ_NAMESRV2_PORT    the second name server's port (name server port + 1)
#   RMQ_BROKER_HEAP      JVM heap of each master (1g; slaves get half of the default, 512m)
#   RMQ_REGISTER_PERIOD_MS  how often brokers register with the name servers (30000; at least 10000):
#                        how soon a relaunched name server knows them again
#   RMQ_BROKER_A_IP1     the address broker-a's master announces (brokerIP1, 127.0.0.1); it still
#                        listens on 127.0.0.1 only, so a fault proxy on e.g. 127.0.0.2:<port> can
#                        stand between clients and it (test/support/fault_proxy.h)
# With the defaults and both options: name servers 9876 and 9877; broker-a 10911 (slave 11911);
# broker-b 20911 (slave 21911).
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
slaves=${RMQ_SLAVES:-0}
sa_port=${RMQ_SLAVE_A_PORT:-$((a_port + 1000))}
sb_port=${RMQ_SLAVE_B_PORT:-$((b_port + 1000))}
ns_count=${RMQ_NAMESRV_COUNT:-1}
ns2_port=${RMQ_NAMESRV2_PORT:-$((ns_port + 1))}
master_heap=${RMQ_BROKER_HEAP:-1g}
a_ip1=${RMQ_BROKER_A_IP1:-127.0.0.1}
register_period=${RMQ_REGISTER_PERIOD_MS:-30000}
namesrv="127.0.0.1:$ns_port"
namesrv_list=$namesrv
[ "$ns_count" = 2 ] && namesrv_list="$namesrv;127.0.0.1:$ns2_port"

# Every process this configuration runs, in start order.
processes() {
  echo ns
  [ "$ns_count" = 2 ] && echo ns2
  echo broker-a broker-b
  [ "$slaves" = 1 ] && echo broker-a-s broker-b-s
  return 0
}

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
  mkdir -p "$store"/{conf,home/tools}
  local name port
  for name in $(processes); do mkdir -p "$store/home/$name"; done
  for name in ns ns2; do
    port=$ns_port
    [ "$name" = ns2 ] && port=$ns2_port
    cat >"$store/conf/$name.conf" <<CONF
listenPort=$port
bindAddress=127.0.0.1
kvConfigPath=$store/$name/kvConfig.json
CONF
  done
  local broker id role ip1
  for name in broker-a broker-b broker-a-s broker-b-s; do
    ip1=127.0.0.1
    [ "$name" = broker-a ] && ip1=$a_ip1
    case $name in
      broker-a) broker=broker-a port=$a_port id=0 role=ASYNC_MASTER ;;
      broker-b) broker=broker-b port=$b_port id=0 role=ASYNC_MASTER ;;
      broker-a-s) broker=broker-a port=$sa_port id=1 role=SLAVE ;;
      broker-b-s) broker=broker-b port=$sb_port id=1 role=SLAVE ;;
    esac
    cat >"$store/conf/$name.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=$broker
brokerId=$id
brokerRole=$role
flushDiskType=ASYNC_FLUSH
namesrvAddr=$namesrv_list
listenPort=$port
haListenPort=$((port + 1))
bindAddress=127.0.0.1
brokerIP1=$ip1
brokerIP2=127.0.0.1
# A slave serves pulls only with this on (else SYSTEM_BUSY "[REJECTREQUEST]"): consumers read
# from it while its master is down.
slaveReadEnable=$([ "$id" = 0 ] && echo false || echo true)
registerNameServerPeriod=$register_period
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

# Ready means every name server lists every broker process in its cluster table
# (GET_BROKER_CLUSTER_INFO), not merely that the ports accept connections. clusterList prints one
# line per broker process: name, then "#<id>" in its BID column.
wait_registered() {
  local i out server ok expected=2
  [ "$slaves" = 1 ] && expected=4
  for ((i = 0; i < timeout; i += 2)); do
    ok=1
    for server in ${namesrv_list//;/ }; do
      out=$(ROCKETMQ_HOME="$store" admin clusterList -n "$server" 2>/dev/null || true)
      [ "$(grep -cE 'broker-[ab] ' <<<"$out")" -ge "$expected" ] || ok=0
    done
    [ "$ok" = 1 ] && return 0
    sleep 2
  done
  log "name servers $namesrv_list did not report all $expected broker processes within ${timeout}s"
  return 1
}

# start_java with the settings of one process of this cluster.
launch_process() {
  case $1 in
    ns | ns2)
      start_java "$1" org.apache.rocketmq.namesrv.NamesrvStartup "-Xms256m -Xmx256m" "$store/conf/$1.conf" \
        rmq.namesrv.logback.xml ;;
    broker-a | broker-b)
      start_java "$1" org.apache.rocketmq.broker.BrokerStartup \
        "-Xms$master_heap -Xmx$master_heap -XX:MaxDirectMemorySize=512m" "$store/conf/$1.conf" rmq.broker.logback.xml ;;
    broker-a-s | broker-b-s)
      start_java "$1" org.apache.rocketmq.broker.BrokerStartup "-Xms512m -Xmx512m -XX:MaxDirectMemorySize=256m" \
        "$store/conf/$1.conf" rmq.broker.logback.xml ;;
    *) log "unknown process '$1'"; return 2 ;;
  esac
}

banner_of() { case $1 in ns | ns2) echo "The Name Server boot success" ;; *) echo "boot success" ;; esac; }

# Fault tests: SIGKILL one process (no shutdown hook runs, as in a crash).
kill_process() {
  local pid
  [ -f "$store/$1.pid" ] || { log "$1 is not part of this cluster"; return 2; }
  pid=$(cat "$store/$1.pid")
  kill -9 "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  log "killed $1 (pid $pid)"
}

# Fault tests: start a killed process again on its store; returns once it logged its boot.
relaunch_process() {
  if pid_alive "$store/$1.pid"; then log "$1 is running"; return 0; fi
  [ -f "$store/conf/$1.conf" ] || { log "$1 is not configured in $store"; return 2; }
  # The banner must come from this launch, not the previous one.
  mv -f "$store/$1.out" "$store/$1.out.previous" 2>/dev/null || true
  launch_process "$1"
  wait_banner "$1" "$(banner_of "$1")" || { tails; return 1; }
  log "relaunched $1 (pid $(cat "$store/$1.pid"))"
}

status() {
  local name ok=0
  for name in $(processes); do
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
  local all="broker-a-s broker-b-s broker-a broker-b ns ns2"
  for name in $all; do
    [ -f "$store/$name.pid" ] || continue
    pid=$(cat "$store/$name.pid")
    kill "$pid" 2>/dev/null || true
  done
  for name in $all; do
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
  local extra=""
  [ "$ns_count" = 2 ] && extra+=", name server 127.0.0.1:$ns2_port"
  [ "$slaves" = 1 ] && extra+=", slaves broker-a :$sa_port and broker-b :$sb_port"
  log "starting RocketMQ $version: name server $namesrv, broker-a :$a_port, broker-b :$b_port$extra, store $store"
  local name
  for name in ns ns2; do
    [ "$name" = ns2 ] && [ "$ns_count" != 2 ] && continue
    launch_process "$name"
    if ! wait_banner "$name" "$(banner_of "$name")"; then tails; stop; return 1; fi
  done
  for name in $(processes); do
    case $name in ns | ns2) continue ;; esac
    launch_process "$name"
  done
  for name in $(processes); do
    case $name in ns | ns2) continue ;; esac
    if ! wait_banner "$name" "boot success"; then tails; stop; return 1; fi
  done
  if ! wait_registered; then
    tails
    stop
    return 1
  fi
  log "ready: $namesrv_list reports every broker"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  restart) stop; start ;;
  jars) fetch_jars; echo "$cache/lib" ;;
  admin) shift; fetch_jars; admin "$@" ;;
  kill) kill_process "${2:?process name}" ;;
  launch) relaunch_process "${2:?process name}" ;;
  *) echo "usage: $0 start|stop|status|restart|jars|admin <args>|kill <process>|launch <process>" >&2; exit 2 ;;
esac
