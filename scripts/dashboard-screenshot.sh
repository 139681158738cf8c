#!/usr/bin/env bash
# Takes a headless-Chromium screenshot of a running node's operations dashboard.
#
#   scripts/dashboard-screenshot.sh [base-url] [out.png]
#
# base-url defaults to http://127.0.0.1:8080 (start a node first, e.g. scripts/run.sh);
# out.png defaults to docs/dashboard.png in the repository.
#
# Optional demo load: when PGDO_ADMIN_TOKEN is set, or ./data/admin-token exists (the
# embedded default's token file; also looked up in the repository's data/), the script
# creates the tenant "dashboard-demo" (or rotates its token when it already exists) and,
# while the screenshot is taken, sends about 200 small queries from several colos
# (X-Colo: ORD LHR NRT SYD GRU FRA SEA) so that several regions show traffic.
# Load is only ever sent to a loopback base URL; everything is bounded in time.
#
# Installs Debian's chromium with apt-get when /usr/bin/chromium is missing (needs root).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
base="${1:-http://127.0.0.1:8080}"
base="${base%/}"
out="${2:-$repo/docs/dashboard.png}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

tenant=dashboard-demo
colos=(ORD LHR NRT SYD GRU FRA SEA)
queries_per_colo=29            # 7 colos x 29 = 203 queries

log() { printf '%s\n' "$*" >&2; }

# ---- chromium -------------------------------------------------------------------------
if [[ ! -x /usr/bin/chromium ]]; then
  log "installing chromium (apt-get) ..."
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

# ---- is the node there? ----------------------------------------------------------------
hostport="${base#*://}"
hostport="${hostport%%[/?]*}"
if [[ "$hostport" == \[* ]]; then host="${hostport#[}"; host="${host%%]*}"; else host="${hostport%:*}"; fi
is_loopback=false
case "$host" in
  localhost|127.*|::1) is_loopback=true ;;
esac

ready=false
for _ in $(seq 1 30); do
  if curl -fsS --max-time 2 -o /dev/null "$base/health/live" 2>/dev/null; then ready=true; break; fi
  sleep 1
done
if [[ "$ready" != true ]]; then
  log "no node answers at $base/health/live (start one with scripts/run.sh)"
  exit 1
fi

# ---- optional demo load ----------------------------------------------------------------
admin_token="${PGDO_ADMIN_TOKEN:-}"
if [[ -z "$admin_token" ]]; then
  for f in ./data/admin-token "$repo/data/admin-token"; do
    if [[ -r "$f" ]]; then admin_token="$(tr -d '[:space:]' < "$f")"; break; fi
  done
fi

tmp="$(mktemp -d)"
load_pids=()
cleanup() {
  local p
  for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

json_token() { sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$1"; }

tenant_token=""
if [[ -n "$admin_token" && "$is_loopback" == true ]]; then
  code="$(curl -sS --max-time 30 -o "$tmp/tenant.json" -w '%{http_code}' -X PUT \
    -H "Authorization: Bearer $admin_token" "$base/v1/tenants/$tenant" || true)"
  if [[ "$code" == 409 ]]; then
    code="$(curl -sS --max-time 30 -o "$tmp/tenant.json" -w '%{http_code}' -X POST \
      -H "Authorization: Bearer $admin_token" "$base/v1/tenants/$tenant/token" || true)"
  fi
  if [[ "$code" == 200 || "$code" == 201 ]]; then
    tenant_token="$(json_token "$tmp/tenant.json")"
  fi
  if [[ -z "$tenant_token" ]]; then
    log "could not get a token for tenant $tenant (HTTP $code): taking the screenshot without load"
  fi
elif [[ -n "$admin_token" ]]; then
  log "base URL is not loopback: no demo load sent"
fi

if [[ -n "$tenant_token" ]]; then
  log "sending $(( ${#colos[@]} * queries_per_colo )) demo queries as tenant $tenant from ${colos[*]} ..."
  # Warm up every region first so the first screenshot poll already has counts to diff.
  for colo in "${colos[@]}"; do
    curl -s --max-time 10 -o /dev/null -X POST "$base/v1/query/$tenant" \
      -H "Authorization: Bearer $tenant_token" -H 'Content-Type: application/json' \
      -H "X-Colo: $colo" --data '{"sql": "select 1 as warmup"}' || true
  done
  # Then one paced worker per colo (~7 s of traffic), running while Chromium polls.
  for colo in "${colos[@]}"; do
    (
      for i in $(seq 1 $((queries_per_colo - 1))); do
        curl -s --max-time 5 -o /dev/null -X POST "$base/v1/query/$tenant" \
          -H "Authorization: Bearer $tenant_token" -H 'Content-Type: application/json' \
          -H "X-Colo: $colo" \
          --data "{\"sql\": \"select \$1::int as n, now() as at\", \"params\": [$i]}" || true
        sleep 0.25
      done
    ) &
    load_pids+=("$!")
  done
  sleep 2
fi

# ---- screenshot ------------------------------------------------------------------------
mkdir -p "$(dirname "$out")"
profile="$tmp/chromium-profile"
mkdir -p "$profile"
rm -f "$out"
timeout 90 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1400,1000 \
  --virtual-time-budget=6000 --screenshot="$out" "$base/dashboard" > "$tmp/chromium.log" 2>&1 || true

for p in "${load_pids[@]}"; do wait "$p" 2>/dev/null || true; done
load_pids=()

if [[ ! -s "$out" ]]; then
  log "chromium wrote no screenshot; its output:"
  cat "$tmp/chromium.log" >&2
  exit 1
fi
echo "dashboard screenshot written to $out"
