# measure.py: what bench/run records while a peer runs — the load tools'
# JSON (counting_load, longpoll_hold), and the memory (RSS and PSS) and CPU
# time of a process tree, sampled from /proc during the run.
import json
import os
import subprocess
import threading
import time

from .stack import BenchError

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _children():
    """ppid -> [pid] for every process now."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def tree(roots):
    """The pids of `roots` and all their descendants."""
    kids = _children()
    out, pending = [], list(roots)
    while pending:
        p = pending.pop()
        if p in out:
            continue
        out.append(p)
        pending += kids.get(p, [])
    return out


def memory(pids):
    """(RSS, PSS) in bytes summed over `pids` (smaps_rollup)."""
    rss = pss = 0
    for p in pids:
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:
            pass
    return rss, pss


def memory_of(trees):
    """name -> (RSS, PSS) of each named process tree (name -> root pids)."""
    return {n: memory(tree(roots)) for n, roots in trees.items()}


def cpu_seconds(pids):
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            pass
    return total


class Sampler:
    """Samples memory of named process trees every `period` s in a thread;
    CPU is the difference between start() and stop()."""

    def __init__(self, trees, period=0.5):
        self.trees = trees  # name -> root pids
        self.period = period
        self.samples = {n: [] for n in trees}
        self._stop = threading.Event()
        self._thread = None

    def snapshot(self):
        return memory_of(self.trees)

    def cpu(self):
        return {n: cpu_seconds(tree(r)) for n, r in self.trees.items()}

    def start(self):
        self._cpu0, self._t0 = self.cpu(), time.time()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.period):
            for n, m in self.snapshot().items():
                self.samples[n].append(m)

    def stop(self):
        self._stop.set()
        self._thread.join()
        wall = time.time() - self._t0
        cpu1 = self.cpu()
        out = {}
        for n in self.trees:
            s = self.samples[n] or [memory(tree(self.trees[n]))]
            out[n] = {"rss_max": max(x[0] for x in s), "pss_max": max(x[1] for x in s),
                      "cpu_pct": 100 * (cpu1[n] - self._cpu0[n]) / wall if wall else 0}
        return out


def load_tool(build):
    path = os.path.join(build, "bench/load/counting_load")
    if not os.path.exists(path):
        raise BenchError("missing %s (run scripts/build)" % path)
    return path


def counting_load(build, url, conns, duration, warmup=0, rate=0, ramp=0, timeline=False,
                  timeout_ms=10000, threads=1):
    argv = [load_tool(build), "--json", "-c", str(conns), "-d", str(duration), "-t", str(threads),
            "--warmup", str(warmup), "--timeout", str(timeout_ms)]
    if rate:
        argv += ["--rate", str(rate)]
    if ramp:
        argv += ["--ramp", str(ramp)]
    if timeline:
        argv.append("--timeline")
    r = subprocess.run(argv + [url], capture_output=True, text=True,
                       timeout=duration + warmup + timeout_ms / 1000 + 60)
    if r.returncode != 0:
        raise BenchError("counting_load failed: " + r.stderr.strip())
    return json.loads(r.stdout)


def longpoll_hold(build, url, notify_url, clients, settle, timeout, on_held, options=()):
    """Holds `clients` long polls (event streams with options --sse TEXT);
    calls on_held() once all are held (the caller samples memory), then lets
    the notify go. Returns the JSON."""
    path = os.path.join(build, "bench/load/longpoll_hold")
    p = subprocess.Popen([path, "-c", str(clients), "--settle", str(settle), "--timeout",
                          str(timeout), "--notify", notify_url] + list(options) + [url],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("held "):
        p.kill()
        raise BenchError("longpoll_hold: " + line)
    held_info = on_held(int(line.split()[1]))
    p.stdin.write("go\n")
    p.stdin.flush()
    out, _ = p.communicate(timeout=timeout + 60)
    result = json.loads(out)
    result.update(held_info or {})
    return result


def admin_get(admin_sock, target):
    """The reply (head and body, text) of a plain HTTP GET on Spindle's admin
    socket."""
    import socket
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(admin_sock)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % target.encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace")


def spindle_metrics(admin_sock):
    """name -> value of the unlabelled metrics on the admin socket's /metrics."""
    out = {}
    for line in admin_get(admin_sock, "/metrics").split("\n"):
        parts = line.split(" ")
        if line.startswith("spindle_") and len(parts) == 2 and "{" not in parts[0]:
            out[parts[0]] = float(parts[1])
    return out


def spindle_worker_requests(admin_sock):
    """Requests served per worker slot, from the admin socket's
    /metrics?per_worker=1 (spindle_requests_total)."""
    per = {}
    for line in admin_get(admin_sock, "/metrics?per_worker=1").split("\n"):
        if line.startswith("spindle_requests_total{") and 'worker="' in line:
            w = line.split('worker="')[1].split('"')[0]
            per[w] = per.get(w, 0) + float(line.rsplit(" ", 1)[1])
    return per
