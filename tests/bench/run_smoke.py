#!/usr/bin/env python3
# run_smoke.py: bench/run itself, end to end, with the one peer every build
# has (Spindle, on bench_app): S1, the Redis read, the fortunes page (its
# HTML checked byte for byte by the driver) and 1 vs 2 workers, one second
# each. Checks that every run answered, without errors, that the worker
# split is reported, and that the report was written. Keeps the driver and
# bench_app from rotting between full benchmark runs.
# Usage: run_smoke.py BUILD_DIR
import json
import os
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
build = sys.argv[1]
with tempfile.TemporaryDirectory() as out:
    r = subprocess.run([os.path.join(root, "bench/run"), "quick", "s1|redis|fortunes|workers",
                        "^spindle$", "--build", build, "--duration", "1", "--out", out],
                       capture_output=True, text=True, timeout=300)
    print(r.stdout[-3000:], r.stderr[-3000:])
    assert r.returncode == 0, "bench/run failed"
    res = json.load(open(os.path.join(out, "results.json")))
    expect = {"s1": ["spindle"], "redis": ["spindle"], "fortunes": ["spindle"],
              "workers": ["spindle-1w", "spindle-2w"]}
    for sc, peers in expect.items():
        got = res["scenarios"][sc]["results"]
        assert sorted(got) == sorted(peers), (sc, sorted(got))
        for p in peers:
            run = got[p][0]
            assert "error" not in run, (sc, p, run.get("error"))
            load = run["load"]
            errors = (sum(load["non2xx"].values()) + load["connect_failed"] + load["reset"]
                      + load["timeout"] + load["bad"])
            assert load["ok"] > 0 and errors == 0, (sc, p, load)
            assert run["procs"]["backend"]["rss_max"] > 0, (sc, p, run["procs"])
    split = res["scenarios"]["workers"]["results"]["spindle-2w"][0]["per_worker"]
    assert len([v for v in split.values() if v > 0]) == 2, split
    report = open(os.path.join(out, "benchmarks.md")).read()
    assert "## S1 plaintext, 64 connections" in report and "| spindle |" in report, report[:500]
print("bench/run smoke: ok")
