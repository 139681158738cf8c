#!/usr/bin/env bash
# Runs one postgres-do node on http://127.0.0.1:8080 with every region's pool and its own
# embedded PostgreSQL (data under ./data). Builds the jar first when it is missing or stale.
# Extra arguments go to the node, e.g. scripts/run.sh --http-port 9090
set -euo pipefail
cd "$(dirname "$0")/.."

jar=target/postgres-do.jar
if [[ ! -f "$jar" ]] || [[ -n "$(find pom.xml src conf -newer "$jar" -type f -print -quit)" ]]; then
  echo "building $jar ..." >&2
  mvn -B -q -DskipTests package >&2
fi

# Class data sharing (AppCDS) halves the JVM's class loading at start: the first run after a
# build writes the archive when the node exits, later runs map it. A stale or unusable archive
# only costs the speed-up: the JVM checks it against the jar and starts without it (-Xshare:auto).
archive=target/postgres-do.jsa
if [[ -f "$archive" && "$archive" -nt "$jar" ]]; then
  cds=(-XX:SharedArchiveFile="$archive" -Xshare:auto)
else
  rm -f "$archive"
  cds=(-XX:ArchiveClassesAtExit="$archive")
fi

# exec: SIGTERM sent to this script reaches the JVM, which drains and exits 0.
exec java "${cds[@]}" -Dhazelcast.logging.type=slf4j -jar "$jar" -conf conf/local.json "$@"
