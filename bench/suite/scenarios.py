# scenarios.py: what bench/run measures, one function per scenario. Each
# stands every selected peer up in its own prefix (a fresh nginx frame and
# Redis), checks its answer, warms it up, measures, and stops it; runs are
# interleaved (peer A, B, C, then A, B, C again), so drift on this shared
# machine hits every peer alike. Results are plain dicts, saved as JSON.
import time

from . import measure
from .peers import BURN, FORTUNES, LONGPOLL, PLAIN, REDIS, SLEEP, Spindle
from .stack import BODY, BenchError, Stack, expected_fortunes, start_redis

# quick: under 10 minutes; full: under an hour (2 cores).
SETTINGS = {
    "quick": dict(runs=1, duration=4, warmup=1, pools=(32,), ramp_pools=(32,), ramp_probe=2,
                  ramp_rise=5, ramp_hold=10, settle=3),
    "full": dict(runs=3, duration=6, warmup=2, pools=(2, 32, 256), ramp_pools=(32,),
                 ramp_probe=5, ramp_rise=20, ramp_hold=60, settle=5),
}


class Frame:
    """The settings every peer of one scenario shares."""

    def __init__(self, nginx_workers=1, keepalive=10000, backend_workers=2):
        self.nginx_workers = nginx_workers
        self.keepalive = keepalive
        self.backend_workers = backend_workers
        self.redis_sock = None


class Scenario:
    name = ""
    title = ""
    route = PLAIN
    path = "/plaintext"
    conns = 64
    nginx_workers = 1

    def __init__(self, settings, build, log):
        self.s = settings
        self.build = build
        self.log = log

    def peers(self, peers):
        return [p for p in peers if self.route in p.routes]

    def check(self, stack):
        status, body = stack.get(self.check_path(), timeout=15)
        want = expected_fortunes() if self.route == FORTUNES else BODY
        if status != 200 or body != want:
            raise BenchError("%s answered %d %r, expected %r" % (self.path, status, body[:200],
                                                                   want[:200]))

    def stand_up(self, peer):
        stack = Stack(peer.name)
        try:
            frame = Frame(nginx_workers=self.nginx_workers)
            frame.redis_sock = start_redis(stack)
            backend = peer.setup(stack, frame)
            stack.wait_http(self.check_path())
            self.check(stack)
            return stack, backend
        except BaseException:  # also SIGTERM/Ctrl-C: nothing is left running
            stack.stop()
            raise

    @staticmethod
    def trees(stack, backend):
        """The process trees measured: the peer's backend and the nginx frame."""
        return {"backend": backend, "nginx": [stack.nginx_pid]}

    def attempt(self, peer):
        """One measurement of `peer`, or {"error": why} when it failed."""
        try:
            return self.measure_one(peer)
        except (BenchError, OSError, ValueError, KeyError) as e:
            self.log("    failed: %s" % e)
            return {"error": str(e)}

    def check_path(self):
        return self.path if self.route != LONGPOLL else "/plaintext"

    def run(self, peers):
        results = {p.name: [] for p in peers}
        for r in range(self.s["runs"]):
            for p in peers:
                self.log("  %s run %d/%d: %s" % (self.name, r + 1, self.s["runs"], p.name))
                results[p.name].append(self.attempt(p))
        return results

    def measure_one(self, peer):
        stack, backend = self.stand_up(peer)
        try:
            trees = self.trees(stack, backend)
            idle = measure.memory_of(trees)
            # Warm-up and measurement are one run of the load tool (the
            # warm-up's requests are not counted), so no request is
            # abandoned in a backlog between the two.
            before = stack.admin_sock and measure.spindle_worker_requests(stack.admin_sock)
            sampler = measure.Sampler(trees)
            sampler.start()
            load = measure.counting_load(self.build, stack.url(self.path), self.conns,
                                         self.s["duration"], warmup=self.s["warmup"])
            res = {"load": load, "procs": sampler.stop(), "idle_rss": {n: m[0] for n, m in idle.items()}}
            if stack.admin_sock:
                after = measure.spindle_worker_requests(stack.admin_sock)
                res["per_worker"] = {w: after[w] - (before or {}).get(w, 0) for w in after}
            stack.check_alive()
            return res
        finally:
            stack.stop()


class S1(Scenario):
    name = "s1"
    title = "S1 plaintext, 64 connections"


class S2(Scenario):
    name = "s2"
    title = "S2: 1,000 connections, each request waits 100 ms"
    route = SLEEP
    path = "/sleep?ms=100"
    conns = 1000


class S3(S2):
    name = "s3"
    title = "S3: 10,000 connections, each request waits 100 ms"
    conns = 10000
    # 10,000 clients + 10,000 upstream connections are over one nginx
    # worker's 20,000-fd cap on this machine: the frame has 2 workers here.
    nginx_workers = 2


class Redis(Scenario):
    name = "redis"
    title = "Redis read (GET of one key), 64 connections"
    route = REDIS
    path = "/redis"


class Fortunes(Scenario):
    name = "fortunes"
    title = "Fortunes (Redis list + HTML template, escaped and sorted), 64 connections"
    route = FORTUNES
    path = "/fortunes"


class Workers(Scenario):
    """A CPU-bound route (1 ms of CPU per request) on Spindle with 1 and 2
    workers: how far the work spreads."""
    name = "workers"
    title = "CPU-bound route (/burn, 1 ms of CPU per request), 64 connections, 1 vs 2 workers"
    route = BURN
    path = "/burn?us=1000"

    def peers(self, peers):
        base = [p for p in peers if isinstance(p, Spindle)]
        out = []
        for b in base:
            out += [Spindle(b.build, b.name + "-1w", 1), Spindle(b.build, b.name + "-2w", 2)]
        return out


class Ramp(Scenario):
    """Offered load rising from 10% to 2x the peer's measured capacity, then
    held: errors against added wait, second by second."""
    name = "ramp"
    route = SLEEP
    path = "/sleep?ms=100"
    conns = 4000
    nginx_workers = 2

    @property
    def title(self):
        return ("Overload ramp: 4,000 connections, requests wait 100 ms; offered load rises "
                "to 2x each peer's capacity over %d s, then held %d s"
                % (self.s["ramp_rise"], self.s["ramp_hold"]))

    def peers(self, peers):
        pools = self.s["ramp_pools"]
        out = []
        for p in peers:
            if self.route not in p.routes:
                continue
            size = getattr(p, "processes", None) or getattr(p, "children", None)
            if size and p.name != "uwsgi-gevent" and size not in pools:
                continue
            out.append(p)
        return out

    def run(self, peers):
        results = {}
        for p in peers:
            self.log("  ramp: %s" % p.name)
            results[p.name] = [self.attempt(p)]
        return results

    def measure_one(self, peer):
        stack, backend = self.stand_up(peer)
        try:
            url = stack.url(self.path)
            # Capacity: the best answer rate of probes at 64, 1,000 and 4,000
            # connections. A process pool reaches its rate with a short queue
            # (at 1,000 or 4,000 waiting clients its first answers come after
            # seconds, beyond a short probe or the timeout); a fiber or event
            # server needs the 4,000 to reach its own limit.
            capacity = 10.0
            for conns in (64, 1000, self.conns):
                probe = measure.counting_load(self.build, url, conns, self.s["ramp_probe"],
                                              warmup=2)
                capacity = max(capacity, probe["ok_per_s"])
            sampler = measure.Sampler(self.trees(stack, backend))
            sampler.start()
            d = self.s["ramp_rise"] + self.s["ramp_hold"]
            load = measure.counting_load(self.build, url, self.conns, d, rate=2 * capacity,
                                         ramp=self.s["ramp_rise"], timeline=True)
            return {"capacity": capacity, "load": load, "procs": sampler.stop()}
        finally:
            stack.stop()


class LongPoll(Scenario):
    """10,000 idle clients held open on a long poll, then one event for all."""
    name = "longpoll"
    title = "Long-poll hold: 10,000 clients waiting, then one event delivered to all"
    route = LONGPOLL
    path = "/wait?s=120"
    conns = 10000  # the clients held
    nginx_workers = 2

    def measure_one(self, peer):
        stack, backend = self.stand_up(peer)
        try:
            trees = self.trees(stack, backend)
            idle = measure.memory_of(trees)

            def on_held(held):
                time.sleep(0.5)
                m = measure.memory_of(trees)
                return {"idle_rss": {n: v[0] for n, v in idle.items()},
                        "idle_pss": {n: v[1] for n, v in idle.items()},
                        "held_rss": {n: v[0] for n, v in m.items()},
                        "held_pss": {n: v[1] for n, v in m.items()}}

            res = measure.longpoll_hold(self.build, stack.url(self.path), stack.url("/notify"),
                                        self.conns, self.s["settle"], 30, on_held)
            stack.check_alive()
            return res
        finally:
            stack.stop()


ALL = [S1, S2, S3, Ramp, LongPoll, Redis, Fortunes, Workers]
