#!/usr/bin/env bash
# Soak (issue 15 figures): MINUTES minutes (default 10) of mixed load on one SQLite server
# with the demo — the public directory page, the authenticated members API, Open311 intake
# (a new concern per request) and the Open311 list of public requests — at CONNECTIONS (16)
# concurrency, one minute per wrk run. Prints per minute: requests/s, responses by status,
# the server's RSS and how many concerns there are; then RSS at the end against minute 1
# (goal: within 10 %) and the last minute's throughput against the first (goal ≥ 0.9).
#
#   scripts/soak.sh                    # builds the release binary first
#   BIN=path/to/lianxin MINUTES=3 scripts/soak.sh
#
# Traffic goes to 127.0.0.1 only; the run is bounded by MINUTES. The server logs as in
# production (info: one JSON line per request) to a file that is thrown away.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${MINUTES:-10}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-18095}
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=${CARGO_TARGET_DIR:-target}/release/lianxin
fi

WORK=$(mktemp -d)
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
(cd "$WORK" && LIANXIN_LOG=info,sqlx=warn exec "$BIN" --database-url "sqlite://$WORK/soak.db" \
  serve --demo --addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1) &
SERVER=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 150); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -sf -H 'content-type: application/json' -d '{"username":"office","password":"lianxin-demo"}' \
  "$BASE/api/v1/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
SECTOR=$(curl -sf "$BASE/api/v1/public/sectors?per_page=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')

cat >"$WORK/mix.lua" <<LUA
-- Ten requests in turn: 3 directory pages, 2 API reads, 3 new concerns, 2 Open311 lists.
local n = 0
statuses = {}
local threads = {}
setup = function(thread) table.insert(threads, thread) end
local kinds = {"dir", "api", "post", "dir", "list", "post", "api", "dir", "post", "list"}
request = function()
  n = n + 1
  local k = kinds[(n % #kinds) + 1]
  if k == "dir" then
    return wrk.format("GET", "/members?sector_id=$SECTOR")
  elseif k == "api" then
    return wrk.format("GET", "/api/v1/members?sector_id=$SECTOR&per_page=20",
      { ["Authorization"] = "Bearer $TOKEN" })
  elseif k == "list" then
    return wrk.format("GET", "/open311/v2/requests.json")
  end
  local body = "api_key=lianxin-demo-open311&service_code=urban&address_string=%E6%BB%A8%E6%B1%9F%E8%A1%97%E9%81%93"
    .. "&description=%E8%B7%AF%E7%81%AF%E4%B8%8D%E4%BA%AE" .. n
  return wrk.format("POST", "/open311/v2/requests.json",
    { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end
response = function(status)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function()
  -- Each thread counts in its own Lua state; done() runs in another, so ask each thread.
  local all = {}
  for _, t in ipairs(threads) do
    for s, c in pairs(t:get("statuses")) do all[s] = (all[s] or 0) + c end
  end
  local parts = {}
  for s, c in pairs(all) do parts[#parts + 1] = s .. ":" .. c end
  io.write("STATUSES " .. table.concat(parts, ",") .. "\n")
end
LUA

rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
concerns() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM concerns').fetchone()[0])" "$WORK/soak.db"; }
RESULTS=$WORK/minutes.txt
for m in $(seq 1 "$MINUTES"); do
  # One thread: with the response hook, wrk's statuses are counted in one Lua state.
  wrk -t1 -c"$CONNECTIONS" -d60s -s "$WORK/mix.lua" "$BASE" >"$WORK/wrk.txt"
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
  st=$(awk '/^STATUSES/ {print $2}' "$WORK/wrk.txt")
  echo "$m $rps $(rss) $(concerns) $st" | tee -a "$RESULTS"
done
python3 - "$RESULTS" "$CONNECTIONS" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
print(f"\nsoak: SQLite, {len(rows)} minutes, {sys.argv[2]} connections, wrk on the same machine")
print(f"{'minute':>6}{'req/s':>10}{'RSS MiB':>10}{'concerns':>10}  responses by status")
bad = {}
for m, rps, rss, n, st in rows:
    print(f"{m:>6}{float(rps):>10.1f}{int(rss) / 1024:>10.1f}{int(n):>10}  {st}")
    for part in st.split(","):
        code, count = part.split(":")
        if not code.startswith(("2", "3")):
            bad[code] = bad.get(code, 0) + int(count)
first, last = float(rows[0][1]), float(rows[-1][1])
rss1, rssn = int(rows[0][2]), int(rows[-1][2])
print(f"errors by status: {bad or 'none'}")
print(f"throughput last/first minute = {last / first:.3f} (goal ≥ 0.9)")
print(f"RSS end/minute 1 = {rssn / rss1:.3f} (goal within 10 %)")
PY
