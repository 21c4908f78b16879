#!/usr/bin/env bash
# Run schemathesis (https://schemathesis.io) against a fresh demo on every documented operation.
# Usage: scripts/schemathesis.sh [path/to/lianxin] [seconds]
# ST_DATABASE_URL picks the database (default: a new SQLite file); for PostgreSQL give an empty
# database and LIANXIN_ENCRYPTION_KEY. Needs `st` (pip install schemathesis).
# Prints the summary and exits non-zero on any failure or if the server panicked.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-${CARGO_TARGET_DIR:-target}/debug/lianxin}"
SECONDS_BUDGET="${2:-150}"
WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
URL="http://127.0.0.1:$PORT"
DB="${ST_DATABASE_URL:-sqlite://$WORK/st.db}"
"$BIN" serve --demo --addr "127.0.0.1:$PORT" --database-url "$DB" >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -fs "$URL/healthz" >/dev/null && break; sleep 0.2; done
TOKEN="$(curl -fs -X POST "$URL/api/v1/session" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"lianxin-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
set +e
# One worker: with two, Python 3.11's `ast.parse` (called by hypothesis from both threads)
# fails now and then with "AST constructor recursion depth mismatch", a runtime error of the
# tool that is not the server's.
st --config-file scripts/schemathesis.toml run "$URL/api/openapi.json" \
  -H "Authorization: Bearer $TOKEN" \
  --checks all --exclude-checks object_level_authorization \
  --max-time "$SECONDS_BUDGET" --workers 1 --seed 20261202 \
  --no-color >"$WORK/st.txt" 2>&1
STATUS=$?
set -e
# The server must not have died or logged a panic under the run.
if ! kill -0 $SERVER 2>/dev/null || grep -aq "panicked" "$WORK/serve.log"; then
  echo "schemathesis: the server crashed or panicked"; grep -a -A5 "panicked" "$WORK/serve.log" | head -40
  STATUS=1
fi
if [ "$STATUS" -ne 0 ]; then cat "$WORK/st.txt"; else sed -n '/SUMMARY/,$p' "$WORK/st.txt"; fi
CASES="$(grep -Eo '[0-9]+ generated' "$WORK/st.txt" | grep -Eo '[0-9]+' || echo 0)"
echo "schemathesis on ${DB%%:*}: $CASES cases, exit $STATUS"
exit "$STATUS"
