#!/usr/bin/env bash
# A three-node local cluster on loopback: enam (:8081), weur (:8082) and apac (:8083), joined over
# Hazelcast (5701-5703), sharing one PostgreSQL 15 (Debian binaries, port 25433, password auth).
#   scripts/cluster-local.sh start | stop | status
# State, logs and secrets live in data/cluster-local/. The admin token is in
# data/cluster-local/admin-token; a PGDO_ADMIN_TOKEN set by the caller wins (as for any config key)
# and is written there.
set -euo pipefail
cd "$(dirname "$0")/.."

REGIONS=(enam weur apac)
STATE=data/cluster-local
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGPORT=${PGDO_CLUSTER_PG_PORT:-25433}
PGDATA="$PWD/$STATE/pg"
JAR=target/postgres-do.jar

as_postgres() {
  # PostgreSQL refuses to run as root: use the postgres OS user then.
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

secret() { # secret <file>: read it, creating a random one (mode 0600) if absent
  [[ -f "$1" ]] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$1")
  cat "$1"
}

# The first "port" in the file is the HTTP one. One sed that quits at the first match: no pipeline
# whose reader stops early (under pipefail, a writer killed by SIGPIPE fails the whole function).
http_port() { sed -n '/"port": *[0-9]/{s/.*"port": *\([0-9][0-9]*\).*/\1/p;q;}' "conf/cluster-local/$1.json"; }

admin_token() { # the caller's PGDO_ADMIN_TOKEN if set (then stored in the token file), else the stored one
  local file="$STATE/admin-token"
  if [[ -n "${PGDO_ADMIN_TOKEN:-}" ]]; then
    if [[ ! -f "$file" ]] || [[ "$(cat "$file")" != "$PGDO_ADMIN_TOKEN" ]]; then
      (umask 077 && printf '%s' "$PGDO_ADMIN_TOKEN" > "$file")
    fi
  fi
  secret "$file"
}

start_postgres() {
  mkdir -p "$PGDATA"
  local password; password=$(secret "$STATE/pg-password")
  if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
    [[ $(id -u) -eq 0 ]] && chown postgres "$PGDATA"
    chmod 700 "$PGDATA"
    local pwfile; pwfile=$(mktemp); echo "$password" > "$pwfile"
    [[ $(id -u) -eq 0 ]] && chown postgres "$pwfile"   # readable by initdb only (mktemp makes it 0600)
    as_postgres "$PGBIN/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" \
      --auth-host=scram-sha-256 --auth-local=scram-sha-256 --no-sync >/dev/null
    rm -f "$pwfile"
  fi
  if ! as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/server.log" start \
      -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGDATA -c max_connections=300" >/dev/null
  fi
  echo "postgresql://postgres:$password@127.0.0.1:$PGPORT/postgres"
}

node_up() { # node_up <region>: the node's process is alive
  local pidfile="$STATE/$1.pid"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start() {
  if [[ ! -f "$JAR" ]] || [[ -n "$(find pom.xml src conf -newer "$JAR" -type f -print -quit)" ]]; then
    echo "building $JAR ..."
    mvn -B -q -DskipTests package
  fi
  mkdir -p "$STATE"
  local url admin tenant_secret
  url=$(start_postgres)
  admin=$(admin_token)
  tenant_secret=$(secret "$STATE/tenant-secret")
  for region in "${REGIONS[@]}"; do
    if node_up "$region"; then
      echo "node $region already runs (with the admin token it was started with)" >&2
      continue
    fi
    PGDO_DATABASE_URL="$url" PGDO_ADMIN_TOKEN="$admin" PGDO_TENANT_SECRET="$tenant_secret" \
      nohup java -Dhazelcast.logging.type=slf4j -jar "$JAR" -conf "conf/cluster-local/$region.json" \
      > "$STATE/$region.log" 2>&1 &
    echo $! > "$STATE/$region.pid"
  done
  for region in "${REGIONS[@]}"; do
    local port; port=$(http_port "$region")
    for _ in $(seq 1 120); do
      curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
      node_up "$region" || { echo "node $region exited; see $STATE/$region.log" >&2; exit 1; }
      sleep 0.5
    done
  done
  status
  echo "admin token: $STATE/admin-token"
}

stop() {
  for region in "${REGIONS[@]}"; do
    if node_up "$region"; then kill -TERM "$(cat "$STATE/$region.pid")"; fi
  done
  for region in "${REGIONS[@]}"; do
    for _ in $(seq 1 60); do node_up "$region" || break; sleep 0.5; done
    rm -f "$STATE/$region.pid"
  done
  if [[ -f "$PGDATA/PG_VERSION" ]]; then
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -w stop -m fast >/dev/null 2>&1 || true
  fi
  echo "stopped"
}

status() {
  for region in "${REGIONS[@]}"; do
    local port pid state
    port=$(http_port "$region")
    pid=$(cat "$STATE/$region.pid" 2>/dev/null || echo -)
    if node_up "$region" && curl -sf "http://127.0.0.1:$port/health/live" >/dev/null 2>&1; then
      state=up
    else
      state=down
    fi
    printf '%-5s http://127.0.0.1:%s pid %-8s %s\n' "$region" "$port" "$pid" "$state"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
