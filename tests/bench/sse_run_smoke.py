#!/usr/bin/env python3
# sse_run_smoke.py: bench/sse/run end to end with 200 clients (the capacity
# run is 10,000): every stream connected, got its head and the one posted
# message, the post was accepted (201), and the figures the run reports
# (worker memory per client, delivery time) are there. Keeps the driver and
# longpoll_hold --sse from rotting between capacity runs; asserts nothing
# about the figures themselves (a shared machine).
# Usage: sse_run_smoke.py BUILD_DIR
import json
import os
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
build = sys.argv[1]
clients = 200
with tempfile.TemporaryDirectory() as out:
    path = os.path.join(out, "sse.json")
    r = subprocess.run([os.path.join(root, "bench/sse/run"), "--clients", str(clients),
                        "--settle", "0.5", "--build", build, "--out", path],
                       capture_output=True, text=True, timeout=240)
    print(r.stdout[-3000:], r.stderr[-3000:])
    assert r.returncode == 0, "bench/sse/run failed"
    res = json.load(open(path))
    load = res["load"]
    assert res["clients"] == clients and res["errors"] == 0, res
    assert load["held"] == clients and load["answered"] == clients, load
    assert load["failed"] == 0 and load["unanswered"] == 0 and load["non2xx"] == 0, load
    assert load["notify_status"] == 201, load
    assert 0 <= load["first_ms"] <= load["last_ms"] == res["delivery_ms"], load
    assert res["rss"]["workers_held"] > res["rss"]["workers_idle"] > 0, res["rss"]
    assert res["metrics_held"]["spindle_connections_open"] >= clients, res["metrics_held"]
    assert res["goals"]["zero_errors"], res["goals"]
print("bench/sse/run smoke: ok")
