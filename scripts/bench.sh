#!/usr/bin/env bash
# Measures the constant overhead of postgres-do over talking to PostgreSQL directly, in one run
# on this machine: the same small prepared SELECT, sequentially, straight to the node's embedded
# PostgreSQL (baseline) and through the node over HTTP. Prints medians and their ratio.
#   scripts/bench.sh [queries]     (default 2000)
# Starts its own node on a free port with a throwaway data directory; stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
jar=target/postgres-do.jar
if [[ ! -f "$jar" ]] || [[ -n "$(find pom.xml src conf -newer "$jar" -type f -print -quit)" ]]; then
  mvn -B -q -DskipTests package
fi
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
java -jar "$jar" -conf conf/local.json --http-port "$port" --dataDir "$dir" > "$dir/node.log" 2>&1 &
node=$!
trap 'kill -TERM $node 2>/dev/null; wait $node 2>/dev/null; rm -rf "$dir"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 240); do curl -sf "$base/health/ready" >/dev/null 2>&1 && break; sleep 0.25; done
pgport=$(grep -o 'embedded PostgreSQL up on 127.0.0.1:[0-9]*' "$dir/node.log" | grep -o '[0-9]*$')
admin=$(cat "$dir/admin-token")
token=$(curl -sf -X PUT -H "Authorization: Bearer $admin" "$base/v1/tenants/bench" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/')
q() { curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$base/v1/query/bench" -d "$1" >/dev/null; }
q '{"sql": "create table users (id int8 primary key, name text)"}'
q '{"sql": "insert into users select g, '"'"'user '"'"' || g from generate_series(1, 1000) g"}'
# The embedded server trusts loopback connections; the baseline logs in as the tenant's role
# (its database and role share the opaque name the admin API reports).
database=$(curl -sf -H "Authorization: Bearer $admin" "$base/v1/tenants/bench" | sed 's/.*"database":"\([^"]*\)".*/\1/')
javac -d "$dir/classes" -cp "$jar" scripts/Bench.java
java -cp "$jar:$dir/classes" Bench "postgresql://$database@127.0.0.1:$pgport/$database" "$base" bench "$token" "$n"
