# peers.py: the servers bench/run measures, each behind the same nginx frame
# (stack.Stack.nginx). A peer stands itself up in a private prefix
# (setup), names the processes whose memory and CPU count as its backend,
# and says which routes it serves. Every route answers the bodies of
# bench/apps/bench_app.cpp.
import os
import shutil
import subprocess

from .stack import ROOT, BenchError

PLAIN, SLEEP, BURN, REDIS, FORTUNES, LONGPOLL = ("plaintext", "sleep", "burn", "redis",
                                                 "fortunes", "longpoll")
NGINX_MODULES = "/usr/share/nginx/modules"


def have(*paths):
    return all(os.path.exists(p) for p in paths)


class Peer:
    name = ""
    label = ""          # the report's description
    routes = ()
    keepalive = True    # nginx keeps upstream connections to it
    needs = ()          # files that must exist (Debian packages, built files)
    package = ""        # what to install when `needs` is missing

    def missing(self):
        return [p for p in self.needs if not os.path.exists(p)]

    def setup(self, stack, frame):
        """Starts the backend, then nginx around it; returns the backend's root pids."""
        raise NotImplementedError

    def upstream(self, sock, frame):
        keep = "keepalive %d; keepalive_requests 1000000; keepalive_timeout 120s;" % frame.keepalive
        return "upstream backend { server unix:%s; %s }" % (sock, keep)

    def server(self, stack, locations, frame, extra=""):
        return ("%s\nserver {\n  listen 127.0.0.1:%d backlog=4096;\n%s\n}\n"
                % (extra, stack.port, locations))


class NginxDirect(Peer):
    name = "nginx"
    label = "nginx `return 200`; `echo_sleep` for waits (the ceiling)"
    routes = (PLAIN, SLEEP)
    needs = (NGINX_MODULES + "/ngx_http_echo_module.so",)
    package = "libnginx-mod-http-echo"

    @staticmethod
    def locations():
        return """  location = /plaintext { default_type text/plain; return 200 "Hello, World!"; }
  location = /sleep { default_type text/plain; echo_sleep $bench_sleep_s; echo -n "Hello, World!"; }"""

    SLEEP_MAP = """map $arg_ms $bench_sleep_s { default 0; 10 0.01; 100 0.1; 1000 1; }"""

    def setup(self, stack, frame):
        stack.nginx(self.server(stack, self.locations(), frame, self.SLEEP_MAP),
                    workers=frame.nginx_workers, modules=self.needs)
        return [stack.nginx_pid]


class NginxHop(Peer):
    name = "nginx-hop"
    label = "nginx → a second nginx over a unix socket, upstream keepalive (the ceiling with a hop)"
    routes = (PLAIN, SLEEP)
    needs = NginxDirect.needs
    package = NginxDirect.package

    def setup(self, stack, frame):
        sock = stack.path("hop.sock")
        stack.nginx(self.server(stack, "  location / { proxy_pass http://backend; "
                                "proxy_http_version 1.1; proxy_set_header Connection \"\"; }",
                                frame, self.upstream(sock, frame)),
                    workers=frame.nginx_workers, modules=self.needs)
        backend = stack.nginx("%s\nserver {\n  listen unix:%s backlog=4096;\n%s\n}\n"
                              % (NginxDirect.SLEEP_MAP, sock, NginxDirect.locations()),
                              workers=frame.backend_workers, modules=self.needs)
        stack.wait_socket(sock)
        return [backend.pid]


class Lua(Peer):
    name = "lua"
    label = "OpenResty-style Lua in nginx (`content_by_lua`, `ngx.sleep`)"
    routes = (PLAIN, SLEEP, BURN, LONGPOLL)
    needs = (NGINX_MODULES + "/ndk_http_module.so", NGINX_MODULES + "/ngx_http_lua_module.so",
             "/usr/share/lua/5.1/resty/core.lua")
    package = "libnginx-mod-http-lua lua-resty-core"

    # The long poll: /notify bumps a generation in a shared dict; every
    # worker polls it every 10 ms from one timer and wakes its waiters
    # (ngx.semaphore is per worker). lua-resty-redis is not in Debian 12, so
    # this peer has no Redis routes.
    LUA = r"""
  lua_shared_dict bench 1m;
  init_worker_by_lua_block {
    local semaphore = require "ngx.semaphore"
    bench_event = semaphore.new(0)
    bench_seen = ngx.shared.bench:get("gen") or 0
    ngx.timer.every(0.01, function()
      local gen = ngx.shared.bench:get("gen") or 0
      if gen ~= bench_seen then
        bench_seen = gen
        local waiting = -bench_event:count()
        if waiting > 0 then bench_event:post(waiting) end
      end
    end)
  }"""
    LOCATIONS = r"""  default_type text/plain;
  location = /plaintext { content_by_lua_block { ngx.print("Hello, World!") } }
  location = /sleep { content_by_lua_block {
    ngx.sleep((tonumber(ngx.var.arg_ms) or 0) / 1000)
    ngx.print("Hello, World!") } }
  location = /burn { content_by_lua_block {
    local untilt = os.clock() + (tonumber(ngx.var.arg_us) or 100) / 1e6
    local x = 0
    while os.clock() < untilt do for i = 1, 256 do x = (x * 31 + i) % 4294967296 end end
    ngx.print("Hello, World!") } }
  location = /wait { content_by_lua_block {
    local ok = bench_event:wait(tonumber(ngx.var.arg_s) or 120)
    if not ok then ngx.status = 504; ngx.print("no event\n"); return end
    ngx.print("Hello, World!") } }
  location = /notify { content_by_lua_block {
    ngx.shared.bench:incr("gen", 1, 0)
    ngx.print("1\n") } }"""

    def setup(self, stack, frame):
        stack.nginx(self.server(stack, self.LOCATIONS, frame, self.LUA),
                    workers=frame.nginx_workers, modules=self.needs[:2])
        return [stack.nginx_pid]


class Node(Peer):
    name = "node"
    label = "node's http module behind `proxy_pass`, upstream keepalive"
    routes = (PLAIN, SLEEP, BURN, REDIS, FORTUNES, LONGPOLL)
    needs = ("/usr/share/nodejs/redis/package.json",)
    package = "nodejs node-redis"

    def setup(self, stack, frame):
        if not shutil.which("node"):
            raise BenchError("node is not installed (apt-get install nodejs)")
        sock = stack.path("node.sock")
        p = stack.start("node", ["node", os.path.join(ROOT, "bench/peers/node_app.js"), sock,
                                 frame.redis_sock],
                        env={"NODE_PATH": "/usr/share/nodejs"})
        stack.wait_socket(sock)
        stack.nginx(self.server(stack, "  location / { proxy_pass http://backend; "
                                "proxy_http_version 1.1; proxy_set_header Connection \"\"; }",
                                frame, self.upstream(sock, frame)),
                    workers=frame.nginx_workers)
        return [p.pid]


class UwsgiSync(Peer):
    keepalive = False
    routes = (PLAIN, SLEEP, BURN, REDIS, FORTUNES)
    needs = ("/usr/bin/uwsgi-core", "/usr/lib/uwsgi/plugins/python3_plugin.so",
             "/usr/lib/python3/dist-packages/redis/__init__.py")
    package = "uwsgi-core uwsgi-plugin-python3 python3-redis"

    def __init__(self, processes):
        self.processes = processes
        self.name = "uwsgi-%d" % processes
        self.label = "uWSGI, %d sync processes (`uwsgi_pass`)" % processes

    def argv(self, sock):
        return ["uwsgi-core", "--plugin", "python3", "--master", "--processes",
                str(self.processes), "--socket", sock, "--chmod-socket=666", "--listen", "4096",
                "--wsgi-file", os.path.join(ROOT, "bench/peers/wsgi_app.py"),
                "--disable-logging", "--die-on-term", "--need-app", "--max-fd", "20000"]

    def setup(self, stack, frame):
        sock = stack.path("uwsgi.sock")
        p = stack.start("uwsgi", self.argv(sock), env={"BENCH_REDIS": frame.redis_sock})
        stack.wait_socket(sock, timeout=60)
        stack.nginx(self.server(stack, "  location / { include /etc/nginx/uwsgi_params; "
                                "uwsgi_pass unix:%s; }" % sock, frame),
                    workers=frame.nginx_workers)
        return [p.pid]


class UwsgiGevent(UwsgiSync):
    needs = UwsgiSync.needs + ("/usr/lib/uwsgi/plugins/gevent_python3_plugin.so",)
    package = UwsgiSync.package + " uwsgi-plugin-gevent-python3"

    def __init__(self):
        super().__init__(1)
        self.name = "uwsgi-gevent"
        self.label = "uWSGI, 1 process with gevent (10,000 greenlets, stdlib patched)"

    def argv(self, sock):
        a = super().argv(sock)
        a[a.index("python3")] = "python3,gevent_python3"
        return a + ["--gevent", "10000", "--gevent-monkey-patch"]


class PhpFpm(Peer):
    keepalive = False
    routes = (PLAIN, SLEEP, BURN, REDIS, FORTUNES)
    needs = ("/usr/sbin/php-fpm8.2", "/etc/php/8.2/mods-available/redis.ini")
    package = "php8.2-fpm php8.2-redis"

    def __init__(self, children):
        self.children = children
        self.name = "php-fpm-%d" % children
        self.label = "php-fpm, pm=static, %d children (`fastcgi_pass`)" % children

    def setup(self, stack, frame):
        sock = stack.path("php.sock")
        user = "root" if os.getuid() == 0 else os.environ.get("USER", "nobody")
        conf = stack.path("conf", "php-fpm.conf")
        with open(conf, "w") as f:
            f.write(f"""[global]
pid = {stack.path('logs', 'php-fpm.pid')}
error_log = {stack.path('logs', 'php-fpm-error.log')}
daemonize = no
rlimit_files = 20000
[bench]
user = {user}
listen = {sock}
listen.mode = 0666
listen.backlog = 4096
pm = static
pm.max_children = {self.children}
clear_env = yes
env[BENCH_REDIS] = {frame.redis_sock}
""")
        p = stack.start("php-fpm", ["php-fpm8.2", "-F", "-R", "-y", conf, "-p", stack.dir])
        stack.wait_socket(sock, timeout=60)
        script = os.path.join(ROOT, "bench/peers/php_app.php")
        stack.nginx(self.server(stack, "  location / { include /etc/nginx/fastcgi_params; "
                                "fastcgi_param SCRIPT_FILENAME %s; fastcgi_pass unix:%s; }"
                                % (script, sock), frame),
                    workers=frame.nginx_workers)
        return [p.pid]


class Fcgi(Peer):
    keepalive = False
    routes = (PLAIN, SLEEP, BURN)

    def __init__(self, processes, build):
        self.processes = processes
        self.name = "fcgi-%d" % processes
        self.label = "libfcgi C program, %d processes under spawn-fcgi (`fastcgi_pass`)" % processes
        self.binary = os.path.join(build, "bench/peers/fcgi_app")
        self.needs = (self.binary, "/usr/bin/spawn-fcgi")
        self.package = "libfcgi-dev spawn-fcgi (then scripts/build)"

    def setup(self, stack, frame):
        sock = stack.path("fcgi.sock")
        pidfile = stack.path("logs", "fcgi.pid")
        p = stack.start("spawn-fcgi", ["spawn-fcgi", "-s", sock, "-M", "0666", "-b", "4096",
                                       "-F", str(self.processes), "-P", pidfile, "--",
                                       self.binary])
        p.wait()  # spawn-fcgi forks the children and exits
        with open(pidfile) as f:
            pids = [int(x) for x in f.read().split()]
        stack.adopt("spawn-fcgi", pids)
        stack.wait_socket(sock)
        stack.nginx(self.server(stack, "  location / { include /etc/nginx/fastcgi_params; "
                                "fastcgi_pass unix:%s; }" % sock, frame),
                    workers=frame.nginx_workers)
        return pids


class Spindle(Peer):
    routes = (PLAIN, SLEEP, BURN, REDIS, FORTUNES, LONGPOLL)

    def __init__(self, build, name="spindle", workers=None, backlog=None):
        self.build = build
        self.name = name
        self.workers = workers
        self.backlog = backlog  # listen.backlog, when not the shipped one
        what = "shipped defaults" if workers is None else "%d worker%s" % (workers, "s" * (workers > 1))
        self.label = "Spindle, %s (`spindle_pass`, upstream keepalive)" % what
        if build != os.path.join(ROOT, "build"):
            self.label += ", build " + build
        self.spindled = os.path.join(build, "daemon/spindled")
        self.module = os.path.join(build, "nginx-module/ngx_http_spindle_module.so")
        self.app = os.path.join(build, "bench/apps/bench_app.so")
        self.needs = (self.spindled, self.module, self.app)
        self.package = "(run scripts/build)"

    def config(self, stack, frame, apps=None):
        """conf/spindled.yaml (the shipped config) with the sockets in the
        prefix and bench_app as the only app (or the `apps:` entries given,
        as YAML lines)."""
        with open(os.path.join(ROOT, "conf/spindled.yaml")) as f:
            lines = f.read().split("\n")
        out = []
        section = None
        for line in lines:
            if line and not line[0].isspace():
                section = line.split(":")[0]
            if section == "apps":
                continue
            if line.startswith("  path: /run/spindle/"):
                line = "  path: " + stack.path(line.split("/")[-1].split()[0])
            if line.startswith("  mode:"):
                line = '  mode: "0666"'
            if line.startswith("  group:"):
                continue
            if section == "listen" and line.startswith("  backlog:") and self.backlog:
                line = "  backlog: %d" % self.backlog
            if line.startswith("workers:") and self.workers is not None:
                line = "workers: %d" % self.workers
            if line.startswith("  level:"):
                line = "  level: warn"
            out.append(line)
        out += ["apps:"] + (apps or [
            "  - name: bench", "    path: " + self.app, '    mount: ""',
            "    config:", "      templates: " + os.path.join(ROOT, "bench/apps/templates"),
            '      redis: {address: "unix:%s"}' % frame.redis_sock]) + [""]
        path = stack.path("conf", "spindled.yaml")
        with open(path, "w") as f:
            f.write("\n".join(out))
        return path

    def setup(self, stack, frame, apps=None):
        conf = self.config(stack, frame, apps)
        p = stack.start("spindled", [self.spindled, "-c", conf])
        sock = stack.path("spindled.sock")
        stack.wait_socket(sock)
        stack.admin_sock = stack.path("admin.sock")
        stack.nginx(self.server(stack, "  location / { spindle_pass backend; "
                                "spindle_param REMOTE_ADDR $remote_addr; "
                                "spindle_param SERVER_NAME $server_name; "
                                "spindle_param HTTPS $https if_not_empty; }",
                                frame, self.upstream(sock, frame)),
                    workers=frame.nginx_workers, modules=(self.module,))
        return [p.pid]


def all_peers(build, pool_sizes, extra_builds=()):
    peers = [NginxDirect(), NginxHop(), Lua(), Node()]
    peers += [UwsgiSync(n) for n in pool_sizes] + [UwsgiGevent()]
    peers += [PhpFpm(n) for n in pool_sizes]
    peers += [Fcgi(n, build) for n in pool_sizes]
    peers.append(Spindle(build))
    for i, b in enumerate(extra_builds):
        peers.append(Spindle(b, name="spindle-%s" % chr(ord("b") + i)))
    return peers


def package_versions():
    """Versions of the Debian packages the peers come from (for the report)."""
    names = ["nginx", "libnginx-mod-http-echo", "libnginx-mod-http-lua", "nodejs", "node-redis",
             "uwsgi-core", "uwsgi-plugin-gevent-python3", "python3", "python3-redis",
             "php8.2-fpm", "php8.2-redis", "libfcgi0ldbl", "spawn-fcgi", "redis-server",
             "linux-image-" + os.uname().release]
    out = []
    for n in names:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", n], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout:
            out.append((n, r.stdout))
    return out
