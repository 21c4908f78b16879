#!/usr/bin/env bash
# All of Lianxin's tests, on SQLite and PostgreSQL:
#   1. cargo test --workspace — unit tests, and every HTTP/store/CLI test twice (SQLite, PostgreSQL)
#   2. browser tests (Playwright core + Debian Chromium) against `lianxin serve --demo`,
#      once on SQLite and once on PostgreSQL
# PostgreSQL: LIANXIN_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
# A PostgreSQL server that cannot be reached fails the run; nothing is skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

export LIANXIN_TEST_POSTGRES_URL=${LIANXIN_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_BASE=${LIANXIN_TEST_POSTGRES_URL%/*}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

need() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  [ "$(id -u)" = 0 ] || { echo "please install: $*" >&2; return 1; }
  apt-get install -y -qq "$@" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq "$@" >/dev/null; }
}
need psql || apt_install postgresql-client
need chromium || apt_install chromium
need node || apt_install nodejs npm
need pdftotext || apt_install poppler-utils
# schemathesis checks the API against its OpenAPI document (scripts/schemathesis.sh).
need st || pip install --quiet --root-user-action=ignore schemathesis==4.32.5 >/dev/null
# The bulletin and report PDFs are typeset with Noto CJK.
[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || [ -n "${LIANXIN_FONT_DIR:-}" ] || apt_install fonts-noto-cjk

if ! psql "$LIANXIN_TEST_POSTGRES_URL" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  echo "PostgreSQL is not reachable at $LIANXIN_TEST_POSTGRES_URL — the PostgreSQL half of the suite cannot run." >&2
  exit 1
fi
# Databases left by earlier runs (each test makes its own).
psql "$LIANXIN_TEST_POSTGRES_URL" -qAtc "SELECT datname FROM pg_database WHERE datname LIKE 'lianxin_test_%' OR datname LIKE 'lianxin_e2e%'" |
  while read -r db; do psql "$LIANXIN_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null; done
rm -rf "${TMPDIR:-/tmp}/lianxin-tests"

status=0
cargo test --workspace --no-fail-fast 2>&1 | tee -a "$LOG" || status=1

cargo build --quiet || status=1
(cd e2e && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --silent; }) || status=1
export E2E_LOG_DIR=$(mktemp -d)
echo "== browser tests on SQLite ==" | tee -a "$LOG"
(cd e2e && npm test --silent) 2>&1 | tee -a "$LOG" || status=1
echo "== browser tests on PostgreSQL ==" | tee -a "$LOG"
psql "$LIANXIN_TEST_POSTGRES_URL" -qc "CREATE DATABASE lianxin_e2e" >/dev/null || status=1
(cd e2e && E2E_DATABASE_URL="$PG_BASE/lianxin_e2e" LIANXIN_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64) npm test --silent) 2>&1 | tee -a "$LOG" || status=1
# The servers' logs of both browser runs: JSON lines, request ids, no personal data.
echo "== server logs of the browser tests ==" | tee -a "$LOG"
python3 scripts/check_logs.py "$E2E_LOG_DIR" 2>&1 | tee -a "$LOG" || status=1
rm -rf "$E2E_LOG_DIR"; unset E2E_LOG_DIR

# The API against its own OpenAPI document, on both databases: every operation, every check.
for backend in sqlite postgres; do
  echo "== schemathesis on $backend ==" | tee -a "$LOG"
  if [ "$backend" = postgres ]; then
    psql "$LIANXIN_TEST_POSTGRES_URL" -qc "CREATE DATABASE lianxin_e2e_st" >/dev/null || status=1
    export ST_DATABASE_URL="$PG_BASE/lianxin_e2e_st"
    export LIANXIN_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
  fi
  if scripts/schemathesis.sh "${CARGO_TARGET_DIR:-target}/debug/lianxin" 100 2>&1 | tee -a "$LOG"; then
    echo "# pass 1" >>"$LOG"
  else
    echo "# fail 1" >>"$LOG"; status=1
  fi
done
unset ST_DATABASE_URL LIANXIN_ENCRYPTION_KEY

read -r passed failed < <(python3 - "$LOG" <<'PY'
import re, sys
t = open(sys.argv[1], encoding="utf-8", errors="replace").read()
p = f = 0
for a, b in re.findall(r"test result: \w+\. (\d+) passed; (\d+) failed", t):
    p += int(a); f += int(b)
for a in re.findall(r"^# pass (\d+)", t, re.M): p += int(a)
for b in re.findall(r"^# fail (\d+)", t, re.M): f += int(b)
print(p, f)
PY
)
[ "$failed" = 0 ] || status=1
echo "all suites: $passed passed, $failed failed"
exit $status
