#!/usr/bin/env python3
"""The server logs of the whole browser suite (scripts/test.sh collects them, one file per
server): every line is a JSON object (stderr is not a terminal there); every request's
lines carry its request id; and no line holds a constituent's personal data — no mobile
number at all, none of the names the demo and the browser tests give constituents. The
servers run with the service spans on, so the service calls' duration lines are checked too
(they must be there, inside their request's span).

Prints "# pass 1" or "# fail 1" for scripts/test.sh to count."""
import json
import pathlib
import re
import sys

# The demo's constituent and the people the browser tests type in (e2e/tests/*.js).
NAMES = ["刘晓", "王大爷", "一楼住户代表"]
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

def main(folder):
    files = sorted(pathlib.Path(folder).glob("*.log"))
    problems, lines, requests, timed = [], 0, 0, 0
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            lines += 1
            where = f"{f.name}:{n}"
            try:
                rec = json.loads(line)
            except ValueError:
                problems.append(f"{where}: not a JSON line: {line[:120]}")
                continue
            # With service spans on (debug), "spans" lists every span a line is in, the
            # request's first; "span" is the innermost.
            spans = rec.get("spans") or [rec.get("span") or {}]
            request = next((s for s in spans if s.get("name") == "request"), None)
            if request is not None:
                requests += 1
                if not request.get("request_id"):
                    problems.append(f"{where}: a request's line without its id")
            if rec.get("span", {}).get("name", "request") != "request" and "time.busy" in line:
                timed += 1
            # A request id is random hex, which can hold 11 digits in a row: not a phone.
            def strip(s):
                return {k: v for k, v in s.items() if k != "request_id"}
            scanned = json.dumps({**rec, "span": strip(rec.get("span") or {}),
                                  "spans": [strip(s) for s in spans]}, ensure_ascii=False)
            found = PHONE.search(scanned)
            if found:
                problems.append(f"{where}: a phone number in the log: …{scanned[max(0, found.start() - 60):found.end() + 20]}…")
            for name in NAMES:
                if name in scanned:
                    problems.append(f"{where}: the name {name} in the log")
    if not files or requests == 0:
        problems.append(f"no request lines in {len(files)} log files: was the browser suite logged?")
    if timed == 0:
        problems.append("no service call logged its duration: are the service spans on (lianxin_service=debug)?")
    for p in problems[:20]:
        print(p)
    print(f"server logs: {len(files)} files, {lines} lines, {requests} request lines, "
          f"{timed} timed service calls, {len(problems)} problems")
    print("# pass 1" if not problems else "# fail 1")
    return 0 if not problems else 1

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
