#!/usr/bin/env bash
# Load test of the foundation (issue 2 figures), all measured in one run on this machine:
# requests/s and p99 latency of GET /healthz (baseline), the public member directory page,
# and GET /api/v1/members?sector_id=… (authenticated), on the demo data. Prints the ratios
# directory/healthz and API/healthz (target: ≥ 0.5 each).
#
#   scripts/loadtest.sh                      # SQLite (temporary file)
#   LOADTEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianxin_load scripts/loadtest.sh
#
# Traffic goes to 127.0.0.1 only; each run is bounded (DURATION seconds per endpoint).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
PORT=${PORT:-18080}

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)…" >&2
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }
fi
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/lianxin

WORK=$(mktemp -d)
DB_URL=${LOADTEST_DATABASE_URL:-sqlite://$WORK/load.db}
if [[ $DB_URL == postgres* ]]; then
  export LIANXIN_ENCRYPTION_KEY=${LIANXIN_ENCRYPTION_KEY:-$(head -c 32 /dev/urandom | base64)}
  admin=${DB_URL%/*}/postgres
  dbname=${DB_URL##*/}
  psql "$admin" -qc "DROP DATABASE IF EXISTS $dbname" -c "CREATE DATABASE $dbname" >/dev/null
fi
LIANXIN_LOG=warn "$BIN" --database-url "$DB_URL" serve --demo --addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.2; done

TOKEN=$(curl -sf -H 'content-type: application/json' -d '{"username":"office","password":"lianxin-demo"}' "$BASE/api/v1/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
SECTOR=$(curl -sf -H "authorization: Bearer $TOKEN" "$BASE/api/v1/sectors?q=%E6%95%99%E8%82%B2%E7%95%8C" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')

# wrk prints "Requests/sec: N" and, with --latency, a "99%" line; latencies may be us/ms/s.
measure() {
  local name=$1 url=$2; shift 2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url" >"$WORK/$name.txt"
  python3 - "$WORK/$name.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
v, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", t).groups()
p99 = float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(f"{rps:.1f} {p99:.2f} {errors.group(1) if errors else 0}")
PY
}

read -r H_RPS H_P99 H_ERR < <(measure healthz "$BASE/healthz")
read -r D_RPS D_P99 D_ERR < <(measure directory "$BASE/members?sector_id=$SECTOR")
read -r A_RPS A_P99 A_ERR < <(measure api "$BASE/api/v1/members?sector_id=$SECTOR" -H "Authorization: Bearer $TOKEN")

backend=$(curl -sf "$BASE/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["database"])')
python3 - "$backend" "$H_RPS" "$H_P99" "$H_ERR" "$D_RPS" "$D_P99" "$D_ERR" "$A_RPS" "$A_P99" "$A_ERR" "$DURATION" "$CONNECTIONS" <<'PY'
import sys
b, hr, hp, he, dr, dp, de, ar, ap, ae, dur, conns = sys.argv[1:]
hr, dr, ar = float(hr), float(dr), float(ar)
print(f"Lianxin load test — database {b}, {dur}s per endpoint, {conns} connections, wrk on the same machine")
print(f"{'endpoint':<40}{'req/s':>10}{'p99 ms':>10}{'errors':>8}")
print(f"{'GET /healthz (baseline)':<40}{hr:>10.1f}{float(hp):>10.2f}{he:>8}")
print(f"{'GET /members?sector_id= (page)':<40}{dr:>10.1f}{float(dp):>10.2f}{de:>8}")
print(f"{'GET /api/v1/members?sector_id= (API)':<40}{ar:>10.1f}{float(ap):>10.2f}{ae:>8}")
print(f"ratio directory/healthz = {dr/hr:.2f}   ratio API/healthz = {ar/hr:.2f}   (target ≥ 0.5)")
PY
