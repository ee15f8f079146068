#!/usr/bin/env bash
# Local backing services for Script Server: PostgreSQL, InfluxDB 1.x and a single-node Apache Kafka
# broker (KRaft mode). No Docker and no systemd: Debian packages plus daemons started by hand.
#
#   bash scripts/services.sh up      [postgres|influx|kafka ...]   install if needed, start, wait until ready
#   bash scripts/services.sh down    [postgres|influx|kafka ...]   stop cleanly
#   bash scripts/services.sh restart [postgres|influx|kafka ...]
#   bash scripts/services.sh status  [postgres|influx|kafka ...]   exit 0 when all named services are up
#   bash scripts/services.sh env                                    print the connection variables
#
# With no service named, all three. Idempotent: a second `up` only checks (well under a second).
# Used by CI (.ci/run, as root on a fresh Debian 12 machine) and by developers.
#
# Everything the script creates lives outside the repo, in
#   ${SCRIPT_SERVER_SERVICES_DIR:-$HOME/.cache/script-server-services}
#     kafka/libs      broker jars (mvn dependency:copy-dependencies of services/kafka/pom.xml)
#     kafka/data      KRaft metadata and topic data
#     influxdb/       InfluxDB meta/data/wal and its generated config
#     logs/           kafka/server.log, kafka/kafka.out, influxdb.log
#     run/            pid files
# PostgreSQL is the Debian cluster (pg_ctlcluster); its data and log stay where Debian keeps them
# (/var/lib/postgresql, /var/log/postgresql).
#
# Tunables (environment): SCRIPT_SERVER_SERVICES_DIR, KAFKA_HEAP_OPTS (default -Xms256m -Xmx512m),
# KAFKA_START_TIMEOUT (s, default 60 plus 1 s per 25 partitions on disk), SERVICES_START_TIMEOUT (s, default 30, PostgreSQL/InfluxDB),
# KAFKA_CDS=0 (do not use a class-data-sharing archive for the broker JVM, see kafka_cds_opts).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${HOME:=$(getent passwd "$(id -u)" | cut -d: -f6)}"
SERVICES_DIR=${SCRIPT_SERVER_SERVICES_DIR:-$HOME/.cache/script-server-services}
LOG_DIR=$SERVICES_DIR/logs
RUN_DIR=$SERVICES_DIR/run

PG_HOST=127.0.0.1
PG_PORT=5432
PG_ROLE=script_server
PG_PASSWORD=script_server
PG_DATABASES=(script_server script_server_test)

INFLUX_HOST=127.0.0.1
INFLUX_PORT=8086
INFLUX_RPC_PORT=8088
INFLUX_DATABASES=(script_server script_server_test)
INFLUX_DIR=$SERVICES_DIR/influxdb
INFLUX_CONF=$INFLUX_DIR/influxdb.conf
INFLUX_PID=$RUN_DIR/influxdb.pid
INFLUX_LOG=$LOG_DIR/influxdb.log

KAFKA_HOST=127.0.0.1
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
KAFKA_POM=$REPO_ROOT/services/kafka/pom.xml
KAFKA_LOG4J_SRC=$REPO_ROOT/services/kafka/log4j2.xml
KAFKA_DIR=$SERVICES_DIR/kafka
KAFKA_LIBS=$KAFKA_DIR/libs
KAFKA_DATA=$KAFKA_DIR/data
KAFKA_PROPS=$KAFKA_DIR/server.properties
KAFKA_LOG4J=$KAFKA_DIR/log4j2.xml
KAFKA_PID=$RUN_DIR/kafka.pid
KAFKA_LOG_DIR=$LOG_DIR/kafka
KAFKA_OUT=$KAFKA_LOG_DIR/kafka.out
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
[ -n "${KAFKA_START_TIMEOUT:-}" ] && KAFKA_START_TIMEOUT_SET=1
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-60}
KAFKA_CDS=${KAFKA_CDS:-1}
KAFKA_CDS_DIR=$KAFKA_LIBS/.cds
START_TIMEOUT=${SERVICES_START_TIMEOUT:-30}

ALL_SERVICES=(postgres influx kafka chromium)

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

is_root() { [ "$(id -u)" -eq 0 ]; }
# Commands that need root (apt-get, pg_ctlcluster) go through sudo for a developer who is not root.
as_root() { if is_root; then "$@"; else sudo "$@"; fi; }
as_postgres() { if is_root; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

# Is anything listening on this TCP port (any address)?
port_listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# pid_alive PIDFILE PATTERN: the pid in PIDFILE is running and its command line contains PATTERN.
pid_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# start_daemon PIDFILE LOGFILE CMD...: detached (own session, no stdin), output appended to LOGFILE.
# The pid file is written by the process itself just before it execs CMD, so it names CMD.
start_daemon() {
  local pidfile=$1 logfile=$2
  shift 2
  rotate_log "$logfile"
  printf '\n===== %s starting: %s\n' "$(date '+%F %T')" "$*" >>"$logfile"
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # expanded by the inner shell
  # 9>&-: the daemon must not inherit the lock of take_lock, or it would hold it for its lifetime.
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  local i
  for i in $(seq 50); do [ -s "$pidfile" ] && return 0; sleep 0.1; done
  die "could not start $1 (see $logfile)"
}

# stop_daemon NAME PIDFILE PATTERN TIMEOUT: SIGTERM, wait, SIGKILL after TIMEOUT seconds.
stop_daemon() {
  local name=$1 pidfile=$2 pattern=$3 timeout=$4 pid i
  if ! pid_alive "$pidfile" "$pattern"; then
    rm -f "$pidfile"
    return 0
  fi
  pid=$(cat "$pidfile")
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop within ${timeout}s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

rotate_log() {
  local f=$1
  if [ -f "$f" ] && [ "$(stat -c %s "$f")" -gt $((20 * 1024 * 1024)) ]; then mv -f "$f" "$f.1"; fi
}

# write_if_changed FILE: content from stdin; returns 0 if the file changed (or is new), 1 if not.
write_if_changed() {
  local f=$1 tmp
  tmp=$(mktemp "$f.XXXXXX")
  cat >"$tmp"
  if [ -f "$f" ] && cmp -s "$tmp" "$f"; then
    rm -f "$tmp"
    return 1
  fi
  chmod 644 "$tmp"
  mv -f "$tmp" "$f"
  return 0
}

print_line() { printf '%-9s %-16s %s\n' "$1" "$2" "$3"; }

# ---------------------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------------------

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

# Installs whatever the named services need and is missing, with one `apt-get update`.
ensure_packages() {
  local svc pkgs=()
  for svc in "$@"; do
    case $svc in
      postgres) pkg_installed postgresql && command -v pg_ctlcluster >/dev/null || pkgs+=(postgresql) ;;
      influx) command -v influxd >/dev/null || pkgs+=(influxdb) ;;
      kafka)
        command -v java >/dev/null || pkgs+=(openjdk-17-jdk-headless)
        command -v mvn >/dev/null || pkgs+=(maven)
        ;;
      chromium) [ -x "$CHROMIUM_BIN" ] || pkgs+=(chromium) ;;
    esac
  done
  command -v curl >/dev/null || pkgs+=(curl)
  [ ${#pkgs[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${pkgs[*]}"
  local aptlog=$LOG_DIR/apt.log
  # The locale matters for PostgreSQL: the postinst creates the cluster with it (UTF-8 databases).
  if ! as_root env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 LC_ALL=C.UTF-8 \
      apt-get -o DPkg::Lock::Timeout=300 update >>"$aptlog" 2>&1 ||
    ! as_root env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 LC_ALL=C.UTF-8 \
      apt-get -o DPkg::Lock::Timeout=300 install -y -q "${pkgs[@]}" >>"$aptlog" 2>&1 9>&-; then
    tail -n 30 "$aptlog" >&2
    die "apt-get failed (full log: $aptlog)"
  fi
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL (Debian cluster, pg_ctlcluster)
# ---------------------------------------------------------------------------------------------

PG_VERSION=''
PG_CLUSTER=''

# Finds the Debian cluster on port 5432 (or the newest version's "main"), creating one if none.
pg_find_cluster() {
  local create=${1:-no} ver name port rest conf
  PG_VERSION='' PG_CLUSTER=''
  command -v pg_ctlcluster >/dev/null || return 1
  # Fast path (pg_lsclusters is a Perl script): the port line of each cluster's postgresql.conf.
  for conf in /etc/postgresql/*/*/postgresql.conf; do
    [ -f "$conf" ] || continue
    port=$(sed -n -E 's/^[[:space:]]*port[[:space:]]*=[[:space:]]*([0-9]+).*/\1/p' "$conf" | tail -n 1)
    if [ "$port" = "$PG_PORT" ]; then
      name=${conf%/postgresql.conf}
      PG_CLUSTER=${name##*/}
      name=${name%/*}
      PG_VERSION=${name##*/}
      return 0
    fi
  done
  while read -r ver name port rest; do
    if [ "$port" = "$PG_PORT" ]; then PG_VERSION=$ver PG_CLUSTER=$name; return 0; fi
  done < <(pg_lsclusters -h 2>/dev/null)
  # shellcheck disable=SC2012 # version directory names only
  ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  [ -n "$ver" ] || return 1
  if pg_lsclusters -h 2>/dev/null | awk -v v="$ver" '$1 == v && $2 == "main" { f = 1 } END { exit !f }'; then
    port=$(pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" { print $3 }')
    die "PostgreSQL cluster $ver/main uses port $port, not $PG_PORT (set port = $PG_PORT in /etc/postgresql/$ver/main/postgresql.conf)"
  fi
  [ "$create" = create ] || return 1
  log "creating PostgreSQL cluster $ver/main on port $PG_PORT"
  as_root pg_createcluster --locale C.UTF-8 --port "$PG_PORT" "$ver" main >>"$LOG_DIR/apt.log" 2>&1 9>&- ||
    die "pg_createcluster failed (see $LOG_DIR/apt.log)"
  PG_VERSION=$ver PG_CLUSTER=main
}

pg_running() { [ -n "$PG_CLUSTER" ] && pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null 2>&1; }
pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2 2>/dev/null; }
# The role can log in over TCP with its password, is a superuser, and both databases exist.
pg_provisioned() {
  local want=${#PG_DATABASES[@]} dbs
  dbs=$(printf "'%s'," "${PG_DATABASES[@]}")
  [ "$(PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=3 psql -X -A -t -q -h "$PG_HOST" -p "$PG_PORT" \
      -U "$PG_ROLE" -d "${PG_DATABASES[0]}" -c "SELECT (SELECT count(*) FROM pg_database WHERE datname IN (${dbs%,}))::text
        || (SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user)" 2>/dev/null)" = "${want}true" ]
}

pg_provision() {
  local db
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres >/dev/null <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
    CREATE ROLE $PG_ROLE LOGIN SUPERUSER CREATEDB PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_ROLE LOGIN SUPERUSER CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
  for db in "${PG_DATABASES[@]}"; do
    if [ "$(as_postgres psql -X -A -t -q -p "$PG_PORT" -d postgres \
        -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
      log "creating PostgreSQL database $db"
      as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres \
        -c "CREATE DATABASE $db OWNER $PG_ROLE" >/dev/null
    fi
  done
}

postgres_up() {
  pg_find_cluster create || die "PostgreSQL is not installed"
  if ! pg_ready; then
    if ! pg_running; then
      log "starting PostgreSQL $PG_VERSION/$PG_CLUSTER"
      as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start 9>&- ||
        die "pg_ctlcluster start failed (log: /var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log)"
    fi
    local i
    for ((i = 0; i < START_TIMEOUT * 5; i++)); do pg_ready && break; sleep 0.2; done
    pg_ready || die "PostgreSQL does not accept connections on $PG_HOST:$PG_PORT after ${START_TIMEOUT}s"
  fi
  pg_provisioned || { pg_provision && pg_provisioned; } ||
    die "PostgreSQL: role $PG_ROLE cannot log in over TCP with its password"
  UP_LINES+=("$(print_line postgres "$PG_HOST:$PG_PORT" "up (PostgreSQL $PG_VERSION/$PG_CLUSTER)")")
}

postgres_down() {
  pg_find_cluster || return 0
  if pg_running; then
    log "stopping PostgreSQL $PG_VERSION/$PG_CLUSTER"
    as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop -m fast
  fi
}

postgres_status() {
  local addr=$PG_HOST:$PG_PORT
  if ! pg_find_cluster; then print_line postgres "$addr" "down (not installed)"; return 1; fi
  if pg_ready; then
    if pg_provisioned; then
      print_line postgres "$addr" "up (PostgreSQL $PG_VERSION/$PG_CLUSTER)"
      return 0
    fi
    print_line postgres "$addr" "running but role/databases missing (run: services.sh up postgres)"
    return 1
  fi
  print_line postgres "$addr" "down"
  return 1
}

# ---------------------------------------------------------------------------------------------
# InfluxDB 1.x
# ---------------------------------------------------------------------------------------------

influx_ping() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$INFLUX_HOST:$INFLUX_PORT/ping" 2>/dev/null)" = 204 ]
}
influx_running() { pid_alive "$INFLUX_PID" influxd; }

influx_write_config() {
  mkdir -p "$INFLUX_DIR/meta" "$INFLUX_DIR/data" "$INFLUX_DIR/wal"
  write_if_changed "$INFLUX_CONF" <<EOF
# Generated by scripts/services.sh; edits are overwritten.
reporting-disabled = true
bind-address = "$INFLUX_HOST:$INFLUX_RPC_PORT"

[meta]
  dir = "$INFLUX_DIR/meta"

[data]
  dir = "$INFLUX_DIR/data"
  wal-dir = "$INFLUX_DIR/wal"
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "$INFLUX_HOST:$INFLUX_PORT"
  auth-enabled = false
  log-enabled = false

[continuous_queries]
  log-enabled = false

[logging]
  level = "info"
EOF
}

influx_up() {
  command -v influxd >/dev/null || die "influxd is not installed"
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  local changed=no
  if influx_write_config; then changed=yes; fi
  if influx_running && [ "$changed" = yes ]; then
    log "InfluxDB configuration changed, restarting it"
    influx_down
  fi
  if ! influx_running; then
    if influx_ping; then
      log "something else already answers on $INFLUX_HOST:$INFLUX_PORT; using it"
    else
      port_listening "$INFLUX_PORT" && die "port $INFLUX_PORT is taken by another process: $(ss -Hltnp "sport = :$INFLUX_PORT")"
      log "starting InfluxDB ($(influxd version 2>/dev/null | head -n 1))"
      start_daemon "$INFLUX_PID" "$INFLUX_LOG" influxd -config "$INFLUX_CONF"
    fi
  fi
  local i
  for ((i = 0; i < START_TIMEOUT * 5; i++)); do
    influx_ping && break
    if [ -f "$INFLUX_PID" ] && ! influx_running; then
      tail -n 20 "$INFLUX_LOG" >&2
      die "InfluxDB exited during startup (log: $INFLUX_LOG)"
    fi
    sleep 0.2
  done
  influx_ping || die "InfluxDB does not answer /ping on $INFLUX_HOST:$INFLUX_PORT after ${START_TIMEOUT}s (log: $INFLUX_LOG)"
  local db out
  for db in "${INFLUX_DATABASES[@]}"; do
    out=$(curl -sS --max-time 10 -XPOST "http://$INFLUX_HOST:$INFLUX_PORT/query" \
      --data-urlencode "q=CREATE DATABASE $db") || die "InfluxDB: CREATE DATABASE $db failed"
    case $out in *'"error"'*) die "InfluxDB: CREATE DATABASE $db: $out" ;; esac
  done
  if influx_running; then
    UP_LINES+=("$(print_line influx "$INFLUX_HOST:$INFLUX_PORT" "up (pid $(cat "$INFLUX_PID"), log $INFLUX_LOG)")")
  else
    UP_LINES+=("$(print_line influx "$INFLUX_HOST:$INFLUX_PORT" "up (not started by this script)")")
  fi
}

influx_down() { stop_daemon InfluxDB "$INFLUX_PID" influxd 30; }

influx_status() {
  local addr=$INFLUX_HOST:$INFLUX_PORT
  if influx_ping; then
    if influx_running; then
      print_line influx "$addr" "up (pid $(cat "$INFLUX_PID"), log $INFLUX_LOG)"
    else
      print_line influx "$addr" "up (not started by this script)"
    fi
    return 0
  fi
  if influx_running; then print_line influx "$addr" "starting or stuck (pid $(cat "$INFLUX_PID"), log $INFLUX_LOG)"; return 1; fi
  command -v influxd >/dev/null || { print_line influx "$addr" "down (not installed)"; return 1; }
  print_line influx "$addr" "down"
  return 1
}

# ---------------------------------------------------------------------------------------------
# Kafka (KRaft, one node as broker and controller)
# ---------------------------------------------------------------------------------------------

kafka_running() { pid_alive "$KAFKA_PID" kafka.Kafka; }

# A real Metadata request (v4, all topics) over a raw socket: ready once the response names at
# least one live broker, i.e. the broker is registered and unfenced. No JVM, no node_modules.
kafka_probe() {
  # shellcheck disable=SC2016 # expanded by the inner shell
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    # size=20 | api_key=3 (Metadata) | api_version=4 | correlation_id=7 | client_id="probe"
    # | topics=null (-1) | allow_auto_topic_creation=false
    printf "\x00\x00\x00\x14\x00\x03\x00\x04\x00\x00\x00\x07\x00\x05probe\xff\xff\xff\xff\x00" >&3
    # response: size | correlation_id | throttle_time_ms | brokers count
    read -r -a b < <(head -c 16 <&3 | od -An -v -tu1)
    [ "${#b[@]}" -eq 16 ] || exit 1
    corr=$(( (b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7] ))
    brokers=$(( (b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15] ))
    [ "$corr" -eq 7 ] && [ "$brokers" -ge 1 ] && [ "$brokers" -lt 1000 ]
  ' "$KAFKA_HOST" "$KAFKA_PORT" 2>/dev/null
}

kafka_pom_hash() { sha256sum "$KAFKA_POM" | cut -d' ' -f1; }
kafka_libs_current() {
  [ -f "$KAFKA_LIBS/.pom.sha256" ] && [ "$(cat "$KAFKA_LIBS/.pom.sha256")" = "$(kafka_pom_hash)" ] &&
    compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null
}

kafka_fetch_libs() {
  command -v mvn >/dev/null || die "mvn is not installed"
  local tmp=$KAFKA_DIR/libs.new mvnlog=$LOG_DIR/maven.log
  log "fetching Kafka jars with Maven (services/kafka/pom.xml -> $KAFKA_LIBS)"
  stop_daemon "Kafka CDS archive job" "$RUN_DIR/kafka-cds.pid" Xshare:dump 5
  rm -rf "$tmp"
  if ! mvn -B -q -f "$KAFKA_POM" dependency:copy-dependencies -DoutputDirectory="$tmp" >"$mvnlog" 2>&1; then
    tail -n 30 "$mvnlog" >&2
    die "mvn dependency:copy-dependencies failed (log: $mvnlog)"
  fi
  kafka_pom_hash >"$tmp/.pom.sha256"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
}

# Kafka's Uuid.toString(): 16 random bytes, URL-safe base64 without padding, not starting with '-'.
kafka_random_uuid() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [ "${id:0:1}" != - ] && { echo "$id"; return; }
  done
}

kafka_write_config() {
  mkdir -p "$KAFKA_DATA" "$KAFKA_LOG_DIR"
  local changed=1 # returns 0 when a file changed
  if write_if_changed "$KAFKA_LOG4J" <"$KAFKA_LOG4J_SRC"; then changed=0; fi
  write_if_changed "$KAFKA_PROPS" <<EOF && changed=0
# Generated by scripts/services.sh; edits are overwritten.
# One node acting as broker and KRaft controller.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA

num.partitions=3
auto.create.topics.enable=true
delete.topic.enable=true

# A single broker: internal topics with one replica, or consumer groups and transactions never start.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

# After a crash (kill -9) the restarted broker cannot register until the old session expires
# (default 9 s); a shorter session makes that wait about 5 s.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=5000

num.network.threads=2
num.io.threads=4
log.retention.hours=24
EOF
  return $changed
}

# Launches the broker if it is not running (no wait: see kafka_wait).
kafka_start() {
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$KAFKA_DIR"
  if ! kafka_running && kafka_probe; then
    log "a Kafka broker not started by this script already answers on $KAFKA_HOST:$KAFKA_PORT; using it"
    return 0
  fi
  local changed=no
  if ! kafka_libs_current; then
    if kafka_running; then
      log "services/kafka/pom.xml changed, restarting Kafka"
      kafka_down
    fi
    kafka_fetch_libs
  fi
  if kafka_write_config; then changed=yes; fi
  if kafka_running && [ "$changed" = yes ]; then
    log "Kafka configuration changed, restarting it"
    kafka_down
  fi
  kafka_running && return 0
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    port_listening "$p" && die "port $p is taken by another process: $(ss -Hltnp "sport = :$p")"
  done
  if [ ! -f "$KAFKA_DATA/meta.properties" ]; then
    [ -s "$KAFKA_DIR/cluster-id" ] || kafka_random_uuid >"$KAFKA_DIR/cluster-id"
    log "formatting Kafka storage (cluster id $(cat "$KAFKA_DIR/cluster-id"))"
    java -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$KAFKA_LOG_DIR" \
      -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format --standalone \
      -t "$(cat "$KAFKA_DIR/cluster-id")" -c "$KAFKA_PROPS" >>"$KAFKA_OUT" 2>&1 ||
      { tail -n 20 "$KAFKA_OUT" >&2; die "kafka-storage format failed (log: $KAFKA_OUT)"; }
  fi
  log "starting Kafka $(basename "$(compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" | head -n 1)" .jar | sed 's/^kafka_2.13-//')"
  local cds_opt
  cds_opt=$(kafka_cds_opts)
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM options
  start_daemon "$KAFKA_PID" "$KAFKA_OUT" java $KAFKA_HEAP_OPTS ${cds_opt:+"$cds_opt"} -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$KAFKA_LOG_DIR" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_PROPS"
}

# Class-data sharing: the broker's first start records the classes it loads; once it is up, a
# background job (nice 19) turns that list into a CDS archive, and later starts map it, which
# roughly halves the JVM's startup on 2 busy cores. The archive lives in the libs folder (refetching
# the jars drops it) and is named after the java binary (a JDK update makes a new one). A stale or
# unusable archive only makes the JVM fall back to normal class loading.
kafka_cds_archive() {
  local java_bin
  java_bin=$(readlink -f "$(command -v java)")
  echo "$KAFKA_CDS_DIR/kafka-$(stat -c '%Y-%s' "$java_bin").jsa"
}

kafka_cds_opts() {
  [ "$KAFKA_CDS" = 1 ] || return 0
  local jsa
  jsa=$(kafka_cds_archive)
  if [ -s "$jsa" ]; then
    echo "-XX:SharedArchiveFile=$jsa"
  elif ! pid_alive "$RUN_DIR/kafka-cds.pid" Xshare:dump; then
    mkdir -p "$KAFKA_CDS_DIR"
    rm -f "$KAFKA_CDS_DIR/classes.lst"
    echo "-XX:DumpLoadedClassList=$KAFKA_CDS_DIR/classes.lst"
  fi
}

kafka_cds_build_in_background() {
  [ "$KAFKA_CDS" = 1 ] || return 0
  local jsa n
  jsa=$(kafka_cds_archive)
  if [ -s "$jsa" ] || [ ! -s "$KAFKA_CDS_DIR/classes.lst" ] || pid_alive "$RUN_DIR/kafka-cds.pid" Xshare:dump; then
    return 0
  fi
  # Complete lines only: the running broker may still append to the list.
  n=$(wc -l <"$KAFKA_CDS_DIR/classes.lst")
  head -n "$n" "$KAFKA_CDS_DIR/classes.lst" >"$KAFKA_CDS_DIR/classes.snapshot"
  # shellcheck disable=SC2016 # expanded by the inner shell
  start_daemon "$RUN_DIR/kafka-cds.pid" "$KAFKA_LOG_DIR/cds.log" nice -n 19 bash -c \
    'java -Xshare:dump -XX:SharedClassListFile="$1" -XX:SharedArchiveFile="$2.tmp" -cp "$3/*" && mv -f "$2.tmp" "$2"' \
    Xshare:dump "$KAFKA_CDS_DIR/classes.snapshot" "$jsa" "$KAFKA_LIBS"
}

kafka_wait() {
  # A broker loads every partition's log before it answers: a developer's broker that has kept the
  # test suites' topics (thousands of partitions) takes longer than a fresh one, so unless
  # KAFKA_START_TIMEOUT is set the wait grows by a second for every 25 partition folders.
  local timeout=$KAFKA_START_TIMEOUT
  if [ -z "${KAFKA_START_TIMEOUT_SET:-}" ] && [ -d "$KAFKA_DATA" ]; then
    local partitions
    partitions=$(find "$KAFKA_DATA" -mindepth 1 -maxdepth 1 -type d -name '*-[0-9]*' | wc -l)
    timeout=$((KAFKA_START_TIMEOUT + partitions / 25))
    ((partitions > 500)) && log "Kafka is loading $partitions partitions; waiting up to ${timeout}s"
  fi
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if kafka_probe; then
      if kafka_running; then
        UP_LINES+=("$(print_line kafka "$KAFKA_HOST:$KAFKA_PORT" "up (pid $(cat "$KAFKA_PID"), logs $KAFKA_LOG_DIR)")")
        kafka_cds_build_in_background
      else
        UP_LINES+=("$(print_line kafka "$KAFKA_HOST:$KAFKA_PORT" "up (not started by this script)")")
      fi
      return 0
    fi
    if [ -f "$KAFKA_PID" ] && ! kafka_running; then
      tail -n 30 "$KAFKA_OUT" >&2
      die "Kafka exited during startup (logs: $KAFKA_OUT, $KAFKA_LOG_DIR/server.log)"
    fi
    sleep 0.3
  done
  die "Kafka does not answer a metadata request on $KAFKA_HOST:$KAFKA_PORT after ${timeout}s (logs: $KAFKA_LOG_DIR; set KAFKA_START_TIMEOUT to wait longer)"
}

kafka_up() { kafka_start; kafka_wait; }
kafka_down() { stop_daemon Kafka "$KAFKA_PID" kafka.Kafka 60; }

kafka_status() {
  local addr=$KAFKA_HOST:$KAFKA_PORT
  if kafka_running; then
    if kafka_probe; then
      print_line kafka "$addr" "up (pid $(cat "$KAFKA_PID"), logs $KAFKA_LOG_DIR)"
      return 0
    fi
    print_line kafka "$addr" "starting or stuck (pid $(cat "$KAFKA_PID"), logs $KAFKA_LOG_DIR)"
    return 1
  fi
  if kafka_probe; then print_line kafka "$addr" "up (not started by this script)"; return 0; fi
  print_line kafka "$addr" "down"
  return 1
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

print_env() {
  cat <<EOF
DATABASE_URL=postgres://$PG_ROLE:$PG_PASSWORD@$PG_HOST:$PG_PORT/${PG_DATABASES[0]}
KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT
INFLUX_URL=http://$INFLUX_HOST:$INFLUX_PORT
INFLUX_DB=${INFLUX_DATABASES[0]}
EOF
}

status_all() {
  local rc=0 svc
  for svc in "$@"; do "${svc}_status" || rc=1; done
  return $rc
}

# ---------------------------------------------------------------------------------------------
# Chromium (for Playwright): a package to install, not a daemon
# ---------------------------------------------------------------------------------------------

CHROMIUM_BIN=${CHROMIUM_BIN:-/usr/bin/chromium}
chromium_up() { UP_LINES+=("$(chromium_line)"); }
chromium_down() { :; }
chromium_line() {
  if [ -x "$CHROMIUM_BIN" ]; then
    print_line chromium "$CHROMIUM_BIN" "installed ($("$CHROMIUM_BIN" --version 2>/dev/null | head -n1))"
  else
    print_line chromium "$CHROMIUM_BIN" "not installed"
  fi
}
chromium_status() { chromium_line; [ -x "$CHROMIUM_BIN" ]; }

# Serialises up/down/restart between concurrent invocations (parallel test workers, two terminals).
take_lock() {
  mkdir -p "$SERVICES_DIR" "$LOG_DIR" "$RUN_DIR"
  exec 9>"$SERVICES_DIR/.lock"
  flock -w 300 9 || die "another services.sh is still running (lock $SERVICES_DIR/.lock)"
}

UP_LINES=()
cmd_up() {
  take_lock
  ensure_packages "$@"
  local svc
  # The JVM takes longest: launch the broker first and wait for it last.
  for svc in "$@"; do
    case $svc in kafka) kafka_start ;; esac
  done
  for svc in "$@"; do
    case $svc in
      postgres) postgres_up ;;
      influx) influx_up ;;
      chromium) chromium_up ;;
    esac
  done
  for svc in "$@"; do
    case $svc in kafka) kafka_wait ;; esac
  done
  printf '%s\n' "${UP_LINES[@]}"
  echo
  echo "# connection settings"
  print_env
}

cmd_down() {
  take_lock
  local svc i
  # Reverse order: Kafka first, PostgreSQL last.
  for ((i = $# ; i >= 1; i--)); do
    svc=${!i}
    "${svc}_down"
  done
  for svc in "$@"; do
    case $svc in
      postgres) print_line postgres "$PG_HOST:$PG_PORT" "$(pg_ready && echo 'still up' || echo down)" ;;
      influx) print_line influx "$INFLUX_HOST:$INFLUX_PORT" "$(influx_ping && echo 'still up (not started by this script)' || echo down)" ;;
      kafka) print_line kafka "$KAFKA_HOST:$KAFKA_PORT" "$(kafka_running && echo 'still up' || echo down)" ;;
      chromium) print_line chromium "$CHROMIUM_BIN" "installed (a package, nothing to stop)" ;;
    esac
  done
}

# Maps the optional service arguments to canonical names, in start order.
SELECTED=()
select_services() {
  local arg want=() svc
  [ $# -eq 0 ] && { SELECTED=("${ALL_SERVICES[@]}"); return; }
  for arg in "$@"; do
    case $arg in
      postgres | postgresql | pg | pgsql) want+=(postgres) ;;
      influx | influxdb) want+=(influx) ;;
      kafka) want+=(kafka) ;;
      chromium | browser) want+=(chromium) ;;
      all) want+=("${ALL_SERVICES[@]}") ;;
      *) die "unknown service '$arg' (postgres, influx, kafka, chromium)" ;;
    esac
  done
  SELECTED=()
  for svc in "${ALL_SERVICES[@]}"; do
    if [[ " ${want[*]} " == *" $svc "* ]]; then SELECTED+=("$svc"); fi
  done
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  case $cmd in
    up | start)
      select_services "$@"
      cmd_up "${SELECTED[@]}"
      ;;
    down | stop)
      select_services "$@"
      cmd_down "${SELECTED[@]}"
      ;;
    restart)
      select_services "$@"
      cmd_down "${SELECTED[@]}" >/dev/null
      exec 9>&- # release the lock between the two halves
      cmd_up "${SELECTED[@]}"
      ;;
    status)
      select_services "$@"
      status_all "${SELECTED[@]}"
      ;;
    env) print_env ;;
    -h | --help | help) usage ;;
    '') usage >&2; exit 2 ;;
    *) usage >&2; die "unknown command '$cmd'" ;;
  esac
}

main "$@"
