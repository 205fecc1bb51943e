# stack.py: the frame every peer of bench/run sits in — a private prefix, a
# free port, the one nginx configuration all peers share (same workers,
# worker_connections, keepalive_requests, access log off), Redis on a unix
# socket with the bench's data, and processes started and stopped by pid.
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BODY = "Hello, World!"
# TechEmpower's twelve fortunes (the driver seeds Redis with them).
FORTUNES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. \u2014 Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af",
]


class BenchError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def escape_html(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def expected_fortunes():
    rows = [(i + 1, m) for i, m in enumerate(FORTUNES)]
    rows.append((0, "Additional fortune added at request time."))
    rows.sort(key=lambda r: r[1].encode())
    return ("<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
            "<tr><th>id</th><th>message</th></tr>"
            + "".join("<tr><td>%d</td><td>%s</td></tr>" % (i, escape_html(m)) for i, m in rows)
            + "</table></body></html>")


class Stack:
    """One peer's private prefix: its processes, its nginx, its logs."""

    def __init__(self, name, keep=False):
        self.dir = tempfile.mkdtemp(prefix="spindle-bench-%s." % name)
        os.chmod(self.dir, 0o755)  # nginx's workers reach the sockets in it
        for d in ("logs", "tmp", "conf"):
            os.makedirs(os.path.join(self.dir, d))
        self.keep = keep
        self.procs = []        # (name, Popen) in start order
        self.port = free_port()
        self.nginx_pid = None
        self.admin_sock = None  # Spindle's admin socket, when the peer has one
        self.adopted = []       # pids started by a process that exited (spawn-fcgi)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def start(self, name, argv, env=None, cwd=None):
        log = open(self.path("logs", name + ".log"), "ab")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=cwd,
                             env=dict(os.environ, **(env or {})), start_new_session=True)
        self.procs.append((name, p))
        return p

    def adopt(self, name, pids):
        """Takes over `pids`, started by the process `name` that has exited."""
        self.procs = [(n, p) for n, p in self.procs if n != name]
        self.adopted += pids

    def pid_of(self, name):
        for n, p in self.procs:
            if n == name:
                return p.pid
        raise KeyError(name)

    def nginx(self, http_block, workers=1, connections=20000, modules=()):
        """Writes the frame's nginx.conf around `http_block` and starts nginx."""
        user = "user root;\n" if os.getuid() == 0 else ""
        loads = "".join("load_module %s;\n" % m for m in modules)
        lua = ('  lua_package_path "/usr/share/lua/5.1/?.lua;;";\n'
               if any("lua" in m for m in modules) else "")
        conf = f"""{loads}{user}worker_processes {workers};
worker_rlimit_nofile 20000;
pid {self.path('logs', 'nginx.pid')};
error_log {self.path('logs', 'error.log')} warn;
events {{ worker_connections {connections}; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path {self.path('tmp', 'body')}; proxy_temp_path {self.path('tmp', 'proxy')};
  fastcgi_temp_path {self.path('tmp', 'fastcgi')}; uwsgi_temp_path {self.path('tmp', 'uwsgi')};
  scgi_temp_path {self.path('tmp', 'scgi')};
{lua}{http_block}
}}
"""
        name = "nginx.conf" if self.nginx_pid is None else "nginx-%d.conf" % len(self.procs)
        path = self.path("conf", name)
        with open(path, "w") as f:
            f.write(conf)
        r = subprocess.run(["nginx", "-q", "-t", "-p", self.dir, "-c", path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise BenchError("nginx -t failed: " + r.stderr.strip())
        p = self.start("nginx" if self.nginx_pid is None else "nginx-hop",
                       ["nginx", "-p", self.dir, "-c", path, "-g", "daemon off;"])
        if self.nginx_pid is None:
            self.nginx_pid = p.pid
        return p

    def wait_socket(self, path, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(path):
                try:
                    with socket.socket(socket.AF_UNIX) as s:
                        s.connect(path)
                    return
                except OSError:
                    pass
            self.check_alive()
            time.sleep(0.05)
        raise BenchError("%s did not appear (logs in %s)" % (path, self.dir))

    def url(self, route):
        return "http://127.0.0.1:%d%s" % (self.port, route)

    def get(self, route, timeout=10):
        try:
            with urllib.request.urlopen(self.url(route), timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def wait_http(self, route, timeout=30):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                status, body = self.get(route, timeout=5)
                if status == 200:
                    return body
                last = "status %d" % status
            except OSError as e:
                last = str(e)
            self.check_alive()
            time.sleep(0.1)
        raise BenchError("%s did not answer 200 (%s; logs in %s)" % (route, last, self.dir))

    def check_alive(self):
        for n, p in self.procs:
            if p.poll() is not None:
                raise BenchError("%s exited with %s (log: %s)" %
                                 (n, p.returncode, self.path("logs", n + ".log")))

    def stop(self):
        for pid in self.adopted:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.time() + 10
        while self.adopted and time.time() < deadline:
            self.adopted = [p for p in self.adopted if os.path.exists("/proc/%d" % p)
                            and not open("/proc/%d/stat" % p).read().split(") ")[1].startswith("Z")]
            time.sleep(0.05)
        for pid in self.adopted:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.adopted = []
        for n, p in reversed(self.procs):
            if p.poll() is None:
                sig = signal.SIGQUIT if n.startswith("nginx") else signal.SIGTERM
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    pass
        for n, p in reversed(self.procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.procs = []
        if not self.keep and not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def start_redis(stack):
    """Redis on a unix socket in the prefix, seeded with the bench's data."""
    sock = stack.path("redis.sock")
    stack.start("redis", ["redis-server", "--port", "0", "--unixsocket", sock,
                          "--unixsocketperm", "777", "--save", "", "--appendonly", "no",
                          "--dir", stack.dir])
    stack.wait_socket(sock)
    cli = ["redis-cli", "-s", sock]
    subprocess.run(cli + ["SET", "bench:hello", BODY], check=True, capture_output=True)
    subprocess.run(cli + ["DEL", "bench:fortunes"], check=True, capture_output=True)
    subprocess.run(cli + ["RPUSH", "bench:fortunes"] + FORTUNES, check=True, capture_output=True)
    return sock
