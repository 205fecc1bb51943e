#!/usr/bin/env python3
# tfb_run_smoke.py: bench/tfb/run end to end, short (1 run of 1 s per
# route, 8 connections): the private PostgreSQL and Redis come up and are
# seeded, every TechEmpower route answers without errors, and the report has
# a ratio per route. Keeps the driver from rotting between measurements;
# asserts nothing about the figures themselves (a shared machine).
# Usage: tfb_run_smoke.py BUILD_DIR
import json
import os
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
build = sys.argv[1]
with tempfile.TemporaryDirectory() as out:
    path = os.path.join(out, "tfb.json")
    r = subprocess.run([os.path.join(root, "bench/tfb/run"), "--runs", "1", "--duration", "1",
                        "--conns", "8", "--build", build, "--out", path],
                       capture_output=True, text=True, timeout=240)
    print(r.stdout[-3000:], r.stderr[-3000:])
    assert r.returncode == 0, "bench/tfb/run failed"
    res = json.load(open(path))
    routes = res["routes"]
    assert len(routes) == 8, routes.keys()
    for route, fig in routes.items():
        assert fig["errors"] == 0, (route, fig)
        assert fig["median_rps"] > 0 and fig["ratio_to_plaintext"] > 0, (route, fig)
    assert routes["/tfb/plaintext"]["ratio_to_plaintext"] == 1.0
    assert "| `/tfb/pg/fortunes` |" in r.stdout, r.stdout
print("bench/tfb/run smoke: ok")
