#!/usr/bin/env bash
# The benchmark of issue 11, in one run on this machine, one target at a time, against one
# PostgreSQL 15 that this script starts (Debian binaries) with a 100,000-row table (pgbench's own
# pgbench_accounts, scale 1) in a tenant's database. Every throughput target runs pgbench's -S
# statement (SELECT abalance FROM pgbench_accounts WHERE aid = $1, random aid) at 16 in flight:
#   a   pgbench -S -M prepared, straight to PostgreSQL (the limit)
#   r   what the per-request session reset costs PostgreSQL (pgbench, the point select with and without it)
#   b   scripts/BenchCeiling.java: a minimal Vert.x HTTP server on vertx-pg-client (the stack's ceiling)
#   p   scripts/bench-peer/: a naive Node.js + node-postgres HTTP server (the peer)
#   c   postgres-do POST /v1/query (wrk + scripts/bench-wrk.lua), with the node's CPU per request
#   c1  one connection, sequential: direct vertx-pg-client vs postgres-do (scripts/BenchSequential.java)
#   d   the event-bus client PgdoClient, in the node's JVM (scripts/BenchBus.java)
#   e   across nodes: the request enters node A (weur), the member is on node B (enam)
#   f   cold start: scripts/run.sh (with its class-data archive) to the first 200 on /v1/query, embedded database initialised
#   g   fresh tenants: first vs second query (scripts/BenchFreshTenants.java)
#   h   Zipf(1.1) over many tenants: warm-hit rate vs Belady and LRU on the same trace (scripts/BenchZipf.java)
# Prints a markdown table; writes bench/results/<run>/*.json and bench/results/<run>.md.
#
#   scripts/bench.sh                 the full run (about 6 minutes)
#   scripts/bench.sh --smoke         every target, briefly: proves the harness works (no figure means anything)
#   options: --duration S (whole seconds, per throughput target, default 15), --warmup S (default 5),
#            --zipf-seconds S (default 60), --zipf-tenants N (default 1000), --fresh N (default 50),
#            --cold-runs N (default 3), --profile (also record a JFR profile of the node under loads c
#            and h and print their hottest methods), --only a,c,... (only these targets; the table shows them)
# Needs Java 17 and Maven (the README's set-up), PostgreSQL 15 in /usr/lib/postgresql/15/bin (or
# PGBIN), node and npm for the peer, and wrk, which it installs with apt-get when it is missing and
# it runs as root. Loopback only; every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=15 WARMUP=5 ZIPF_SECONDS=60 ZIPF_TENANTS=1000 FRESH=50 COLD_RUNS=3 SEQUENTIAL=2000 PROFILE=0 SMOKE=0 ONLY=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --smoke) SMOKE=1; DURATION=1; WARMUP=1; ZIPF_SECONDS=2; ZIPF_TENANTS=8; FRESH=3; COLD_RUNS=1; SEQUENTIAL=100 ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --zipf-seconds) ZIPF_SECONDS=$2; shift ;;
    --zipf-tenants) ZIPF_TENANTS=$2; shift ;;
    --fresh) FRESH=$2; shift ;;
    --cold-runs) COLD_RUNS=$2; shift ;;
    --profile) PROFILE=1 ;;
    --only) ONLY=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

CONCURRENCY=16
# A smoke run stops the nodes that use this script's PostgreSQL with SIGKILL (nothing of theirs
# outlives them); a node with an embedded PostgreSQL always gets SIGTERM, which stops its database.
FAST_STOP=$([[ $SMOKE == 1 ]] && echo KILL || echo TERM)
ROWS=100000
SQL='SELECT abalance FROM pgbench_accounts WHERE aid = $1'
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
JAR=target/postgres-do.jar
CLK_TCK=$(getconf CLK_TCK)
RUN=$(date -u +%Y%m%dT%H%M%SZ)$([[ $SMOKE == 1 ]] && echo -smoke || true)
OUT=bench/results/$RUN
WORK=$(mktemp -d /tmp/pgdo-bench.XXXXXX)
chmod 755 "$WORK"   # the postgres OS user must reach its data directory below it
mkdir -p "$OUT"
PIDS=()
PGDATA=$WORK/pg

want() { [[ -z $ONLY || ",$ONLY," == *",$1,"* ]]; } # want <target>: is it part of this run?

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

as_postgres() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop_pid() { # stop_pid <pid> [signal]: the signal (TERM), up to 15 s, then SIGKILL; only processes this script started
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [[ $rc != 0 ]]; then # a failed run keeps its processes' logs
    mkdir -p "$OUT/logs" && cp "$WORK"/*.log "$OUT/logs/" 2>/dev/null && log "failed (exit $rc); logs in $OUT/logs/" || true
  fi
  if [[ -f "$PGDATA/postmaster.pid" ]]; then
    as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -w stop -m immediate >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { # a free loopback port below the ephemeral range (TIME_WAIT sockets live there)
  python3 -c 'import random, socket
while True:
    p = random.randint(20000, 31999); s = socket.socket()
    try: s.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: s.close()'
}

secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# --- tools ------------------------------------------------------------------------------------
[[ -x "$PGBIN/pgbench" && -x "$PGBIN/initdb" ]] || { echo "PostgreSQL 15 binaries not found in $PGBIN" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  [[ $(id -u) -eq 0 ]] || { echo "wrk is missing: apt-get install wrk (as root)" >&2; exit 1; }
  log "installing wrk (apt-get)"
  apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
fi
if [[ ! -f "$JAR" ]] || [[ -n "$(find pom.xml src conf -newer "$JAR" -type f -print -quit)" ]]; then
  log "building $JAR"
  mvn -B -q -DskipTests package >&2
fi
PEER=scripts/bench-peer
if [[ ! -f $PEER/node_modules/.package-lock.json || $PEER/package-lock.json -nt $PEER/node_modules/.package-lock.json ]]; then
  log "npm ci in $PEER"
  (cd "$PEER" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
javac -nowarn -d "$WORK/classes" -cp "$JAR" scripts/Bench*.java 2>&1 | grep -v '^Note:' >&2 || true
[[ -f "$WORK/classes/BenchCeiling.class" ]] || { echo "scripts/Bench*.java did not compile" >&2; exit 1; }
CP="$JAR:$WORK/classes"

# --- measuring helpers ------------------------------------------------------------------------
proc_ticks() { # CPU ticks (user+system) a process used so far
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
pg_ticks() { # CPU ticks of all of PostgreSQL: the postmaster, its exited children (reaped) and the living ones
  local postmaster total pid
  postmaster=$(head -1 "$PGDATA/postmaster.pid")
  total=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$postmaster/stat")
  for pid in $(ps -o pid= --ppid "$postmaster"); do
    total=$((total + $(proc_ticks "$pid" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
us_per_request() { # us_per_request <ticks> <requests>
  python3 -c "import sys; t, n = float(sys.argv[1]), float(sys.argv[2]); print(round(t / $CLK_TCK * 1e6 / n, 1) if n else 'null')" "$1" "$2"
}

wait_http() { # wait_http <url> <pid> <what>: until the URL answers 2xx (at most 60 s)
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "$3 exited; its log:" >&2; tail -30 "$WORK/$3.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "$3 did not come up" >&2; exit 1
}

wait_log() { # wait_log <name> <text> <pid>: until the process's log shows the text (at most 60 s)
  for _ in $(seq 1 600); do
    grep -q "$2" "$WORK/$1.log" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "$1 exited; its log:" >&2; tail -30 "$WORK/$1.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "$1 did not come up" >&2; exit 1
}

start_bg() { # start_bg <name> <command...>: starts it with its log in $WORK/<name>.log; sets STARTED
  "${@:2}" > "$WORK/$1.log" 2>&1 &
  STARTED=$!
  PIDS+=("$STARTED")
}

# wrk_target <row> <label> <url> <server pid> [colo] [token]: a warm-up, then the measured run
wrk_target() {
  local row=$1 label=$2 url=$3 pid=$4 colo=${5:-} token=${6:-} before pgbefore line
  export BENCH_SQL=$SQL BENCH_ROWS=$ROWS BENCH_COLO=$colo BENCH_TOKEN=$token
  local probe=(-sf -o /dev/null -H 'Content-Type: application/json' -d "{\"sql\": \"$SQL\", \"params\": [1]}")
  [[ -n $token ]] && probe+=(-H "Authorization: Bearer $token")
  [[ -n $colo ]] && probe+=(-H "X-Colo: $colo")
  for _ in $(seq 1 300); do curl "${probe[@]}" "$url" && break; sleep 0.1; done  # one answer before the clock runs
  wrk -t2 -c$CONCURRENCY -d"${WARMUP}s" -s scripts/bench-wrk.lua "$url" >/dev/null
  before=$(proc_ticks "$pid"); pgbefore=$(pg_ticks)
  line=$(wrk -t2 -c$CONCURRENCY -d"${DURATION}s" -s scripts/bench-wrk.lua "$url" | grep '^BENCH-JSON ' | cut -d' ' -f2-)
  local cpu=$(( $(proc_ticks "$pid") - before )) pgcpu=$(( $(pg_ticks) - pgbefore ))
  python3 - "$row" "$label" "$line" "$cpu" "$pgcpu" "$CLK_TCK" > "$OUT/$row.json" <<'EOF'
import json, sys
row, label, line, cpu, pgcpu, hz = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
n = line["requests"]
line.update(target=row, label=label, reqPerSec=round(n / line["seconds"]),
            cpuUsPerReq=round(cpu / hz * 1e6 / n, 1) if n else None,
            pgCpuUsPerReq=round(pgcpu / hz * 1e6 / n, 1) if n else None,
            serverCores=round(cpu / hz / line["seconds"], 2))
bad = sum(line["errors"].values())
if bad:
    line["note"] = f"{bad} errors"
print(json.dumps(line))
EOF
  unset BENCH_SQL BENCH_ROWS BENCH_COLO BENCH_TOKEN
  log "$row: $(cat "$OUT/$row.json")"
}

# --- PostgreSQL -------------------------------------------------------------------------------
PGPORT=$(free_port)
PGPASSWORD=$(secret); export PGPASSWORD
mkdir -p "$PGDATA"
[[ $(id -u) -eq 0 ]] && chown postgres "$PGDATA"
chmod 700 "$PGDATA"
echo "$PGPASSWORD" > "$WORK/pwfile"
[[ $(id -u) -eq 0 ]] && chown postgres "$WORK/pwfile"
as_postgres "$PGBIN/initdb" -D "$PGDATA" -U postgres --pwfile="$WORK/pwfile" --auth-host=scram-sha-256 \
  --auth-local=scram-sha-256 --no-sync >/dev/null
rm -f "$WORK/pwfile"
as_postgres "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/server.log" start \
  -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGDATA -c max_connections=400 -c shared_buffers=256MB" >/dev/null
PG_URL="postgresql://postgres:$PGPASSWORD@127.0.0.1:$PGPORT/postgres"
log "PostgreSQL 15 on 127.0.0.1:$PGPORT"

PGDO_ADMIN_TOKEN=$(secret) PGDO_TENANT_SECRET=$(secret)
export PGDO_DATABASE_URL=$PG_URL PGDO_ADMIN_TOKEN PGDO_TENANT_SECRET   # every node of the run shares them
ADMIN=$PGDO_ADMIN_TOKEN

start_node() { # start_node <name> <java options...> -- <node args...>: sets NODE_PID, NODE_URL
  local name=$1; shift
  local jvm=() port
  while [[ $1 != -- ]]; do jvm+=("$1"); shift; done; shift
  port=$(free_port)
  start_bg "$name" java "${jvm[@]}" -Dhazelcast.logging.type=slf4j -jar "$JAR" -conf conf/local.json \
    --http-port "$port" --data-dir "$WORK/$name" "$@"
  NODE_PID=$STARTED NODE_URL="http://127.0.0.1:$port"
  wait_http "$NODE_URL/health/ready" "$NODE_PID" "$name"
}

# --- the tenant and its table -----------------------------------------------------------------
start_node node-c --
TOKEN=$(curl -sf -X PUT -H "Authorization: Bearer $ADMIN" "$NODE_URL/v1/tenants/bench" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
DB=$(curl -sf -H "Authorization: Bearer $ADMIN" "$NODE_URL/v1/tenants/bench" | python3 -c 'import json,sys; print(json.load(sys.stdin)["database"])')
"$PGBIN/pgbench" -i -s 1 -q -h 127.0.0.1 -p "$PGPORT" -U postgres "$DB" >/dev/null 2>&1
"$PGBIN/psql" -qAt -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$DB" -v ON_ERROR_STOP=1 -c "
  ALTER TABLE pgbench_accounts OWNER TO $DB; ALTER TABLE pgbench_branches OWNER TO $DB;
  ALTER TABLE pgbench_tellers OWNER TO $DB; ALTER TABLE pgbench_history OWNER TO $DB;" >/dev/null
TENANT_PG_URL="postgresql://postgres:$PGPASSWORD@127.0.0.1:$PGPORT/$DB"
log "tenant 'bench' (database $DB) holds pgbench_accounts, $ROWS rows"
NODE_C_PID=$NODE_PID NODE_C_URL=$NODE_URL

# --- a. the limit -----------------------------------------------------------------------------
if want a; then
log "a: pgbench -S -M prepared -c $CONCURRENCY"
"$PGBIN/pgbench" -S -M prepared -n -c $CONCURRENCY -j 2 -T "$WARMUP" -h 127.0.0.1 -p "$PGPORT" -U postgres "$DB" >/dev/null 2>&1 || true
mkdir -p "$WORK/pgbench"
pgbefore=$(pg_ticks)
(cd "$WORK/pgbench" && "$PGBIN/pgbench" -S -M prepared -n -c $CONCURRENCY -j 2 -T "$(python3 -c "import math; print(max(1, math.ceil($DURATION)))")" \
  -l --log-prefix=tx -h 127.0.0.1 -p "$PGPORT" -U postgres "$DB" > "$WORK/pgbench.out" 2>&1)
pgcpu=$(( $(pg_ticks) - pgbefore ))
python3 - "$WORK/pgbench" "$WORK/pgbench.out" "$pgcpu" "$CLK_TCK" > "$OUT/a.json" <<'EOF'
import glob, json, re, sys
logs, out, pgcpu, hz = sys.argv[1], open(sys.argv[2]).read(), int(sys.argv[3]), int(sys.argv[4])
lat = sorted(int(line.split()[2]) for f in glob.glob(logs + "/tx*") for line in open(f))
n = len(lat)
p = lambda q: round(lat[min(n - 1, max(0, int(q / 100 * n + 0.5) - 1))] / 1000, 3)
tps = float(re.search(r"tps = ([0-9.]+) \(without initial", out).group(1))
seconds = float(re.search(r"duration: (\d+) s", out).group(1))
print(json.dumps(dict(target="a", label="PostgreSQL direct, pgbench -S -M prepared (the limit)", requests=n,
                      seconds=seconds, reqPerSec=round(tps), p50Ms=p(50), p90Ms=p(90), p99Ms=p(99),
                      pgCpuUsPerReq=round(pgcpu / hz * 1e6 / n, 1))))
EOF
log "a: $(cat "$OUT/a.json")"
fi

# --- r. the session reset's cost in PostgreSQL ------------------------------------------------
# Every request's connection gets `SELECT pg_advisory_unlock_all(); CLOSE ALL` (compute/TenantPool)
# before it is lent again. pgbench measures what that costs PostgreSQL: the same point select in
# the simple protocol, alone and followed by the reset, with PostgreSQL's CPU per transaction.
if want r; then
log "r: the session reset's cost (pgbench -M simple, point select with and without the reset)"
printf '\\set aid random(1, %d)\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n' "$ROWS" > "$WORK/plain.sql"
{ cat "$WORK/plain.sql"; echo 'SELECT pg_catalog.pg_advisory_unlock_all() \; CLOSE ALL;'; } > "$WORK/reset.sql"
r_seconds=$(python3 -c "import math; print(max(1, math.ceil($DURATION / 2)))")
for variant in plain reset; do
  pgbefore=$(pg_ticks)
  "$PGBIN/pgbench" -M simple -n -c $CONCURRENCY -j 2 -T "$r_seconds" -f "$WORK/$variant.sql" -h 127.0.0.1 \
    -p "$PGPORT" -U postgres "$DB" > "$WORK/r-$variant.out" 2>&1
  echo "$(( $(pg_ticks) - pgbefore ))" > "$WORK/r-$variant.ticks"
done
python3 - "$WORK" "$CLK_TCK" > "$OUT/r.json" <<'EOF'
import json, re, sys
work, hz = sys.argv[1], int(sys.argv[2])
row = dict(target="r", label="session reset after each request: PostgreSQL's cost (pgbench -M simple)")
for variant in ("plain", "reset"):
    out = open(f"{work}/r-{variant}.out").read()
    n = int(re.search(r"number of transactions actually processed: (\d+)", out).group(1))
    ticks = int(open(f"{work}/r-{variant}.ticks").read())
    row[variant + "ReqPerSec"] = round(float(re.search(r"tps = ([0-9.]+) \(without initial", out).group(1)))
    row[variant + "PgCpuUsPerReq"] = round(ticks / hz * 1e6 / n, 1) if n else None
row["resetPgCpuUs"] = round(row["resetPgCpuUsPerReq"] - row["plainPgCpuUsPerReq"], 1)
print(json.dumps(row))
EOF
log "r: $(cat "$OUT/r.json")"
fi

# --- b. the stack's ceiling -------------------------------------------------------------------
if want b; then
port=$(free_port)
start_bg ceiling java -cp "$CP" BenchCeiling "$port" "$TENANT_PG_URL" 2 8
wait_log ceiling 'ceiling listening' "$STARTED"
wrk_target b "minimal Vert.x + vertx-pg-client HTTP server (the stack's ceiling)" "http://127.0.0.1:$port/" "$STARTED"
stop_pid "$STARTED"
fi

# --- p. the naive Node.js peer ----------------------------------------------------------------
if want p; then
port=$(free_port)
PORT=$port DATABASE_URL=$TENANT_PG_URL start_bg peer node $PEER/server.js
wait_log peer 'peer listening' "$STARTED"
wrk_target p "naive Node.js + node-postgres HTTP server (the peer)" "http://127.0.0.1:$port/" "$STARTED"
stop_pid "$STARTED"
fi

# --- c. postgres-do over HTTP -----------------------------------------------------------------
metric_sum() { # metric_sum <base> <name> <label filter>: the sum of a Prometheus counter's samples
  curl -sf "$1/metrics" | awk -v name="$2" -v filter="$3" '$1 ~ "^"name"[{ ]" && index($1, filter) { s += $2 } END { printf "%d\n", s }'
}
if want c; then
hits0=$(metric_sum "$NODE_C_URL" pgdo_warm_total 'result="hit"'); miss0=$(metric_sum "$NODE_C_URL" pgdo_warm_total 'result="miss"')
wrk_target c "postgres-do POST /v1/query" "$NODE_C_URL/v1/query/bench" "$NODE_C_PID" "" "$TOKEN"
hits=$(( $(metric_sum "$NODE_C_URL" pgdo_warm_total 'result="hit"') - hits0 ))
miss=$(( $(metric_sum "$NODE_C_URL" pgdo_warm_total 'result="miss"') - miss0 ))
python3 - "$OUT/c.json" "$hits" "$miss" <<'EOF'
import json, sys
path, hits, miss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
row = json.load(open(path))
row["warmRate"] = round(hits / (hits + miss), 4) if hits + miss else None
row["warmHits"], row["warmMisses"] = hits, miss
json.dump(row, open(path, "w"))
EOF
if [[ $PROFILE == 1 ]]; then # after the measured run, so that the recording's cost is not in c's figures
  log "profile: JFR (settings=profile) of the node under load c for $DURATION s"
  jcmd "$NODE_C_PID" JFR.start name=bench settings=profile "jdk.ExecutionSample#period=2ms" >/dev/null || jcmd "$NODE_C_PID" JFR.start name=bench settings=profile >/dev/null
  BENCH_SQL=$SQL BENCH_ROWS=$ROWS BENCH_TOKEN=$TOKEN \
    wrk -t2 -c$CONCURRENCY -d"${DURATION}s" -s scripts/bench-wrk.lua "$NODE_C_URL/v1/query/bench" >/dev/null
  jcmd "$NODE_C_PID" JFR.stop name=bench filename="$PWD/$OUT/node-c.jfr" >/dev/null
  python3 scripts/bench-jfr-top.py "$OUT/node-c.jfr" 15 c > "$OUT/profile.md" || log "profile: aggregation failed"
fi
fi

if want c1; then
log "c1: sequential, one connection"
java -cp "$CP" BenchSequential "$TENANT_PG_URL" "$NODE_C_URL" bench "$TOKEN" "$ROWS" "$SEQUENTIAL" > "$OUT/c1.json"
log "c1: $(cat "$OUT/c1.json")"
fi

# --- g. fresh tenants; h. Zipf over many tenants (same node) -------------------------------------
if want g; then
log "g: $FRESH fresh tenants"
java -cp "$CP" BenchFreshTenants "$NODE_C_URL" "$ADMIN" "$FRESH" fresh > "$OUT/g.json"
log "g: $(cat "$OUT/g.json")"
fi
CAPACITY=$(python3 -c 'import json; print(json.load(open("src/main/resources/pgdo-defaults.json"))["compute"]["maxConnections"])')
if want h; then
log "h: Zipf(1.1) over $ZIPF_TENANTS tenants for $ZIPF_SECONDS s (creating them first)"
java -cp "$CP" BenchZipf "$NODE_C_URL" "$ADMIN" "$ZIPF_TENANTS" 1.1 $CONCURRENCY "$ZIPF_SECONDS" "$CAPACITY" zipf \
  > "$OUT/h.json" 2> "$WORK/zipf.log" &
zipf_pid=$!
if [[ $PROFILE == 1 ]]; then # the recording covers the load, not the creation of the tenants
  for _ in $(seq 1 6000); do grep -q BENCH-LOAD-START "$WORK/zipf.log" && break; kill -0 $zipf_pid 2>/dev/null || break; sleep 0.1; done
  jcmd "$NODE_C_PID" JFR.start name=zipf settings=profile "jdk.ExecutionSample#period=2ms" duration="${ZIPF_SECONDS}s" \
    filename="$PWD/$OUT/node-h.jfr" >/dev/null || true
fi
wait $zipf_pid || { grep -v BENCH-LOAD-START "$WORK/zipf.log" >&2; exit 1; }
grep -v BENCH-LOAD-START "$WORK/zipf.log" | head -5 >&2 || true
log "h: $(cat "$OUT/h.json")"
if [[ -f "$OUT/node-h.jfr" ]]; then
  python3 scripts/bench-jfr-top.py "$OUT/node-h.jfr" 15 h > "$OUT/profile-h.md" || log "profile h: aggregation failed"
fi
fi
stop_pid "$NODE_C_PID" "$FAST_STOP"

# --- d. the event-bus client, in the node's JVM -------------------------------------------------
if want d; then
log "d: PgdoClient at $CONCURRENCY in flight"
java -cp "$CP" BenchBus bench "$ROWS" $CONCURRENCY "$WARMUP" "$DURATION" -- -conf conf/local.json \
  --http-port "$(free_port)" --data-dir "$WORK/node-d" > "$WORK/node-d.log" 2>&1
grep '^BENCH-JSON ' "$WORK/node-d.log" | cut -d' ' -f2- > "$OUT/d.json"
[[ -s "$OUT/d.json" ]] || { echo "d failed; its log:" >&2; tail -30 "$WORK/node-d.log" >&2; exit 1; }
grep -m3 '^request failed' "$WORK/node-d.log" >&2 || true
log "d: $(cat "$OUT/d.json")"
fi

# --- e. across nodes --------------------------------------------------------------------------
cluster_conf() { # cluster_conf <name> <region> <hazelcast port> <members json>: a node's config file
  cat > "$WORK/$1.json" <<EOF
{ "node": { "id": "bench-$1", "region": "$2" }, "hostedRegions": ["$2"], "http": { "host": "127.0.0.1" },
  "ops": { "public": true },
  "cluster": { "enabled": true, "name": "pgdo-bench-$$", "host": "127.0.0.1", "port": $3, "members": $4 } }
EOF
}
if want e; then
hzA=$(free_port) hzB=$(free_port)
members="[\"127.0.0.1:$hzA\", \"127.0.0.1:$hzB\"]"
cluster_conf node-a weur "$hzA" "$members"; cluster_conf node-b enam "$hzB" "$members"
for name in node-b node-a; do
  port=$(free_port)
  start_bg "$name" java -Dhazelcast.logging.type=slf4j -jar "$JAR" -conf "$WORK/$name.json" --http-port "$port" --data-dir "$WORK/$name"
  eval "${name//-/_}_pid=$STARTED ${name//-/_}_url=http://127.0.0.1:$port"
done
wait_http "$node_b_url/health/ready" "$node_b_pid" node-b
wait_http "$node_a_url/health/ready" "$node_a_pid" node-a
served_by=$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -H 'X-Colo: ORD' \
  "$node_a_url/v1/query/bench" -d '{"sql": "select 1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["compute"]["node"])')
[[ $served_by == bench-node-b ]] || { echo "e: expected the member on bench-node-b, got $served_by" >&2; exit 1; }
wrk_target e "across nodes: enters node A (weur), member on node B (enam), X-Colo: ORD" \
  "$node_a_url/v1/query/bench" "$node_a_pid" ORD "$TOKEN"
stop_pid "$node_a_pid" "$FAST_STOP"; stop_pid "$node_b_pid" "$FAST_STOP"
fi

# --- f. cold start, embedded database ---------------------------------------------------------
if want f; then
log "f: cold start x $COLD_RUNS (embedded PostgreSQL, initialised by a first start)"
unset PGDO_DATABASE_URL
cold_dir=$WORK/node-f cold_port=$(free_port)
start_bg node-f-init scripts/run.sh --http-port "$cold_port" --data-dir "$cold_dir"  # its exit writes the class-data archive
wait_http "http://127.0.0.1:$cold_port/health/ready" "$STARTED" node-f-init
cold_token=$(curl -sf -X PUT -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$cold_port/v1/tenants/cold" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
stop_pid "$STARTED"
cold_ms=()
for run in $(seq 1 "$COLD_RUNS"); do
  t0=$(date +%s%N)
  start_bg "node-f-$run" scripts/run.sh --http-port "$cold_port" --data-dir "$cold_dir"
  ok=0
  for _ in $(seq 1 3000); do
    if curl -sf -o /dev/null -H "Authorization: Bearer $cold_token" -H 'Content-Type: application/json' \
        "http://127.0.0.1:$cold_port/v1/query/cold" -d '{"sql": "select 1"}' 2>/dev/null; then ok=1; break; fi
    kill -0 "$STARTED" 2>/dev/null || break
    sleep 0.01
  done
  t1=$(date +%s%N)
  [[ $ok == 1 ]] || { echo "f: node did not answer; its log:" >&2; tail -20 "$WORK/node-f-$run.log" >&2; exit 1; }
  cold_ms+=($(( (t1 - t0) / 1000000 )))
  stop_pid "$STARTED"
done
python3 -c 'import json, statistics, sys
runs = [int(x) for x in sys.argv[1:]]
print(json.dumps(dict(target="f", label="cold start: launch to first 200 on /v1/query (embedded database initialised)",
                      runsMs=runs, medianMs=statistics.median(runs))))' "${cold_ms[@]}" > "$OUT/f.json"
log "f: $(cat "$OUT/f.json")"
fi

# --- the table --------------------------------------------------------------------------------
python3 scripts/bench-report.py "$OUT" "$CONCURRENCY" "$DURATION" "$ZIPF_SECONDS" > "$OUT.md"
cat "$OUT.md"
[[ -f "$OUT/profile.md" ]] && cat "$OUT/profile.md"
[[ -f "$OUT/profile-h.md" ]] && cat "$OUT/profile-h.md"
log "results: $OUT/ and $OUT.md"
