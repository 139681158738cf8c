#!/usr/bin/env bash
# Runs the whole test suite against a real PostgreSQL. With nothing configured the tests start a
# throwaway server of their own (embedded binaries, data under target/, a free loopback port);
# set PGDO_TEST_DATABASE_URL=postgresql://user:pass@127.0.0.1:5432/postgres to use an existing
# server instead (the user needs CREATEDB and CREATEROLE).
set -euo pipefail
cd "$(dirname "$0")/.."
exec mvn -B verify "$@"
