#!/usr/bin/env bash
# What the trust work (issue 14) costs on the hot paths: the public member directory page
# and concern intake (Open311 POST: validation, routing, insert, event, keyed audit record),
# requests/s of two builds measured in one run on this machine, alternating A B A B … so
# that drift of the machine hits both alike. Prints each round and the median ratio.
#
#   scripts/gating_cost.sh BEFORE_BINARY AFTER_BINARY
#
# Build each with `cargo build --release` at the commit you want (e.g. in a `git worktree`).
# SQLite, a fresh demo database per server; traffic to 127.0.0.1 only, bounded by
# DURATION seconds per measurement and ROUNDS rounds. The servers log as in production
# (SERVER_LOG, default info,sqlx=warn: one JSON line per request) to a file; BEFORE_LOG and
# AFTER_LOG set each side's apart, so that one binary against itself measures what a log
# level costs:  BEFORE_LOG=warn scripts/gating_cost.sh BIN BIN
# Besides requests/s it prints the server's CPU time per request (user + system, from
# /proc), which drifts less than throughput on a shared machine.
set -euo pipefail
BEFORE=${1:?usage: gating_cost.sh BEFORE_BINARY AFTER_BINARY}
AFTER=${2:?usage: gating_cost.sh BEFORE_BINARY AFTER_BINARY}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-18090}
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null

WORK=$(mktemp -d)
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT

cat >"$WORK/intake.lua" <<'LUA'
-- One new concern per request, through Open311 with the demo's API key.
local n = 0
request = function()
  n = n + 1
  local body = "api_key=lianxin-demo-open311&service_code=urban&address_string=%E6%BB%A8%E6%B1%9F%E8%A1%97%E9%81%93"
    .. "&description=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE" .. n
  return wrk.format("POST", "/open311/v2/requests.json",
    { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end
LUA

TICK=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
rps() { # url [wrk args…] → "requests/s cpu-µs-per-request"
  local url=$1; shift
  local c0 out c1
  c0=$(cpu)
  out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$@" "$url")
  c1=$(cpu)
  echo "$out" | awk -v c0="$c0" -v c1="$c1" -v tick="$TICK" \
    '/requests in/ {n = $1} /Requests\/sec/ {r = $2} END {printf "%s %.1f\n", r, (c1 - c0) / tick * 1e6 / n}'
}

measure() { # binary label log
  local bin=$1 label=$2 log=$3 dir
  dir=$(mktemp -d -p "$WORK")
  (cd "$dir" && LIANXIN_LOG=$log exec "$bin" --database-url "sqlite://$dir/g.db" serve --demo \
    --addr "127.0.0.1:$PORT" >"$dir/server.log" 2>&1) &
  SERVER=$!
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
  local sector
  sector=$(curl -sf "http://127.0.0.1:$PORT/api/v1/public/sectors?per_page=1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
  local d i
  d=$(rps "http://127.0.0.1:$PORT/members?sector_id=$sector")
  i=$(rps "http://127.0.0.1:$PORT" -s "$WORK/intake.lua")
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
  echo "$label $d $i"
}

results=$WORK/results.txt
for r in $(seq 1 "$ROUNDS"); do
  measure "$BEFORE" before "${BEFORE_LOG:-${SERVER_LOG:-info,sqlx=warn}}" | tee -a "$results"
  measure "$AFTER" after "${AFTER_LOG:-${SERVER_LOG:-info,sqlx=warn}}" | tee -a "$results"
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(label, col):
    return statistics.median(float(r[col]) for r in rows if r[0] == label)
print(f"{'':<28}{'before req/s':>14}{'after req/s':>14}{'after/before':>14}"
      f"{'before µs CPU':>15}{'after µs CPU':>14}{'after/before':>14}")
for name, col in (("directory page", 1), ("concern intake (Open311)", 3)):
    b, a = med("before", col), med("after", col)
    bc, ac = med("before", col + 1), med("after", col + 1)
    print(f"{name:<28}{b:>14.1f}{a:>14.1f}{a / b:>14.3f}{bc:>15.1f}{ac:>14.1f}{ac / bc:>14.3f}")
PY
