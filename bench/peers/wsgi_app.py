# wsgi_app.py: a WSGI app as a bench/run peer under uWSGI (sync processes,
# or one gevent process with the standard library patched), behind nginx's
# uwsgi_pass. The routes and bodies of bench/apps/bench_app.cpp:
# /plaintext, /sleep?ms=N (time.sleep: blocks a sync process, parks a
# greenlet under gevent), /burn?us=N, /redis and /fortunes (Debian's
# python3-redis on the unix socket in $BENCH_REDIS).
import html
import os
import time
from urllib.parse import parse_qs

import redis

BODY = b"Hello, World!"
_redis = None


def db():
    global _redis  # one connection pool per process, made after the fork
    if _redis is None:
        _redis = redis.Redis(unix_socket_path=os.environ["BENCH_REDIS"])
    return _redis


def number(environ, name, default):
    try:
        return int(parse_qs(environ.get("QUERY_STRING", "")).get(name, [default])[0])
    except ValueError:
        return default


def fortunes():
    messages = [m.decode() for m in db().lrange("bench:fortunes", 0, -1)]
    rows = [(i + 1, m) for i, m in enumerate(messages)]
    rows.append((0, "Additional fortune added at request time."))
    rows.sort(key=lambda r: r[1].encode())
    out = ["<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
           "<tr><th>id</th><th>message</th></tr>"]
    for i, m in rows:
        out.append("<tr><td>%d</td><td>%s</td></tr>" % (i, html.escape(m).replace("&#x27;", "&#39;")))
    out.append("</table></body></html>")
    return "".join(out).encode()


def burn(us):
    until = time.thread_time_ns() + us * 1000
    x = 0
    while time.thread_time_ns() < until:
        for i in range(256):
            x = (x * 31 + i) & 0xFFFFFFFF


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    status, body, kind = "200 OK", BODY, "text/plain"
    if path == "/plaintext":
        pass
    elif path == "/sleep":
        time.sleep(number(environ, "ms", 0) / 1000.0)
    elif path == "/burn":
        burn(number(environ, "us", 100))
    elif path == "/redis":
        body = db().get("bench:hello") or b""
    elif path == "/fortunes":
        body, kind = fortunes(), "text/html; charset=utf-8"
    else:
        status, body = "404 Not Found", b"not found\n"
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]
