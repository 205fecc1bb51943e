#!/usr/bin/env python3
# bench/pg/run end to end, short: its own PostgreSQL, pgbench and
# pg_select_load at 1 and 2 connections, one run each of 1 s on a scale-1
# table. Checks the report has both tables with a ratio, the JSON has every
# run with tps > 0 and no errors, and that PostgreSQL was stopped (no
# postgres process of its temp dir left). Not a measurement.
# Usage: pg_run_smoke.py BUILD_DIR
import json
import os
import subprocess
import sys
import tempfile

build = sys.argv[1]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = tempfile.mktemp(suffix=".json")
p = subprocess.run([os.path.join(root, "bench", "pg", "run"), "--build", build, "--duration", "1",
                    "--runs", "1", "--scale", "1", "--out", out],
                   capture_output=True, text=True, timeout=240)
print(p.stdout)
print(p.stderr[-3000:], file=sys.stderr)
assert p.returncode == 0, "bench/pg/run failed: %d" % p.returncode
for c in ("1 connection", "2 connections"):
    assert "### " + c in p.stdout, "no table for " + c
assert p.stdout.count("ratio Spindle / pgbench") == 2, "ratios missing"
data = json.load(open(out))
os.unlink(out)
runs = data["runs"]
assert len(runs) == 4, "expected 4 runs, got %d" % len(runs)
for r in runs:
    assert r["rc"] == 0 and r["tps"] > 0, r
    assert r.get("errors", 0) == 0 and r.get("failed", 0) == 0, r
assert sorted((r["tool"], r["connections"]) for r in runs) == sorted(
    [("pgbench", 1), ("pgbench", 2), ("spindle", 1), ("spindle", 2)]), runs
# Its PostgreSQL is gone: no process still runs in a spindle-pgbench- dir.
left = subprocess.run(["pgrep", "-f", "spindle-pgbench-"], capture_output=True, text=True)
assert left.stdout.strip() == "", "postgres left running: " + left.stdout
print("ok")
