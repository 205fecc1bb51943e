# report.py: turns bench/run's results into docs/benchmarks.md — the
# machine, package versions, the exact command, a table per scenario
# (medians with the spread, ratios to the ceiling, errors, memory, CPU) —
# and SVG charts drawn by gnuplot beside it (docs/benchmarks/*.svg).
import os
import shutil
import statistics
import subprocess
import tempfile

CEILING = {"s1": "nginx", "s2": "nginx", "s3": "nginx", "ramp": None, "longpoll": None,
           "redis": "spindle", "fortunes": "spindle", "workers": None}
KIB = 1024.0
MIB = 1024.0 * 1024


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    osname = "?"
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    load = open("/proc/loadavg").read().split()[:3]
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1), "os": osname,
            "kernel": os.uname().release, "load_at_start": " ".join(load)}


def ok_runs(runs):
    return [r for r in runs if "error" not in r]


def failed_row(peer, runs):
    """The table row of a peer whose every run failed: the first reason."""
    why = runs[0].get("error", "?") if runs else "?"
    return "| %s | failed: %s |" % (peer, why.replace("|", "/")[:160])


def errors(load):
    return (sum(load["non2xx"].values()) + load["connect_failed"] + load["reset"]
            + load["timeout"] + load["bad"])


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    if len(values) < 2:
        return ""
    return "%s–%s" % (num(min(values)), num(max(values)))


def num(v, digits=0):
    if v is None:
        return "—"
    if digits == 0:
        return "{:,.0f}".format(v)
    return "{:,.{d}f}".format(v, d=digits)


def mib(v):
    return "—" if v is None else "%.1f" % (v / MIB)


def aggregate(runs, conns=None):
    runs = ok_runs(runs)
    if not runs:
        return None
    rps = [r["load"]["ok_per_s"] for r in runs]
    a = {
        "rps": med(rps), "rps_all": rps,
        "p50": med([r["load"]["p50_ms"] for r in runs]),
        "p99": med([r["load"]["p99_ms"] for r in runs]),
        "errors": med([errors(r["load"]) for r in runs]),
        "error_share": med([r["load"]["error_share"] for r in runs]),
        "unanswered": med([r["load"]["in_flight_at_end"] for r in runs]),
        "warmup_unanswered": med([r["load"].get("warmup_in_flight_at_end", 0) for r in runs]),
        "rss": med([r["procs"]["backend"]["rss_max"] for r in runs]),
        "pss": med([r["procs"]["backend"]["pss_max"] for r in runs]),
        "nginx_rss": med([r["procs"]["nginx"]["rss_max"] for r in runs]),
        "cpu": med([r["procs"]["backend"]["cpu_pct"] for r in runs]),
        "nginx_cpu": med([r["procs"]["nginx"]["cpu_pct"] for r in runs]),
    }
    if conns and all("idle_rss" in r for r in runs):
        a["per_wait"] = med([(r["procs"]["backend"]["rss_max"] - r["idle_rss"]["backend"]) / conns
                             for r in runs])
        a["nginx_per_wait"] = med([(r["procs"]["nginx"]["rss_max"] - r["idle_rss"]["nginx"]) / conns
                                   for r in runs])
    shares = []
    for r in runs:
        pw = r.get("per_worker")
        if pw and sum(pw.values()) > 0:
            total = sum(pw.values())
            shares.append(sorted((100 * v / total for v in pw.values() if v > 0), reverse=True))
    if shares:
        a["shares"] = shares
    return a


def scenario_table(name, sc, peers):
    waits = name in ("s2", "s3")
    rows = ["| peer | req/s (median) | spread | × %s | p50 ms | p99 ms | errors (share) | in flight at the end | "
            "backend RSS / PSS MiB | nginx RSS MiB | CPU %% backend / nginx |%s"
            % (CEILING.get(name) or "first", " RSS per waiting request (backend + nginx) |"
               if waits else ""),
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|%s" % ("---:|" if waits else "")]
    aggs = {p: aggregate(r, sc["conns"] if waits else None) for p, r in sc["results"].items()}
    base_name = CEILING.get(name) or next(iter(aggs), None)
    base = aggs.get(base_name)
    notes = []
    for p, a in aggs.items():
        if a is None:
            rows.append(failed_row(p, sc["results"][p]))
            continue
        ratio = a["rps"] / base["rps"] if base and base["rps"] else None
        err = "%s (%.2f%%)" % (num(a["errors"]), 100 * a["error_share"])
        line = "| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s |" % (
            p, num(a["rps"]), spread(a["rps_all"]), num(ratio, 2), num(a["p50"], 2),
            num(a["p99"], 2), err, num(a["unanswered"]) + (
                " (+%s sent in the warm-up)" % num(a["warmup_unanswered"])
                if a["warmup_unanswered"] else ""), mib(a["rss"]), mib(a["pss"]),
            mib(a["nginx_rss"]),
            num(a["cpu"]), num(a["nginx_cpu"]))
        if waits:
            line += " %s + %s KiB |" % (num(a.get("per_wait", 0) / KIB, 1),
                                        num(a.get("nginx_per_wait", 0) / KIB, 1))
        rows.append(line)
        if "shares" in a:
            notes.append("%s: requests per worker %s" % (p, "; ".join(
                " / ".join("%.0f%%" % s for s in run) for run in a["shares"])))
    out = "\n".join(rows)
    if notes:
        out += "\n\n" + "\n".join("- " + n for n in notes)
    return out, aggs


def ramp_table(sc, settings):
    rows = ["| peer | capacity (req/s) | offered at the hold | ok/s in the hold | errors in the hold "
            "(share) | p50 / p99 ms in the hold | worst second's p99 ms | backend RSS MiB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    series = {}
    for p, runs in sc["results"].items():
        runs = ok_runs(runs)
        if not runs:
            rows.append(failed_row(p, sc["results"][p]))
            continue
        r = runs[0]
        tl = r["load"]["timeline"]
        hold = tl[settings["ramp_rise"]:]
        ok = sum(s["ok"] for s in hold)
        errs = sum(s["errors"] for s in hold)
        n = max(len(hold), 1)
        rows.append("| %s | %s | %s | %s | %s (%.1f%%) | %s / %s | %s | %s |" % (
            p, num(r["capacity"]), num(2 * r["capacity"]), num(ok / n), num(errs / n),
            100 * errs / max(ok + errs, 1), num(med([s["p50_ms"] for s in hold]), 1),
            num(med([s["p99_ms"] for s in hold]), 1), num(max(s["p99_ms"] for s in tl), 1),
            mib(r["procs"]["backend"]["rss_max"])))
        series[p] = tl
    return "\n".join(rows), series


def longpoll_table(sc):
    rows = ["| peer | clients held | got the event | answered early (non-2xx) | failed / unanswered | first / median / last "
            "ms after the notify | backend RSS per client | nginx RSS per client | backend PSS "
            "per client |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    per_client = {}
    for p, runs in sc["results"].items():
        good = ok_runs(runs)
        if not good:
            rows.append(failed_row(p, runs))
            continue

        def per(key, side):
            return med([(r["held_" + key][side] - r["idle_" + key][side]) / max(r["held"], 1)
                        for r in good])
        b, ng, bp = per("rss", "backend"), per("rss", "nginx"), per("pss", "backend")
        per_client[p] = (b, ng)
        early = "; ".join(", ".join("%s × %s" % (n, code) for code, n in
                                    sorted(r.get("non2xx_codes", {}).items())) or "0"
                          for r in good)
        rows.append("| %s | %s | %s | %s | %s / %s | %s / %s / %s | %s KiB | %s KiB | %s KiB |" % (
            p, num(med([r["held"] for r in good])), num(med([r["answered"] for r in good])), early,
            num(med([r["failed"] for r in good])), num(med([r["unanswered"] for r in good])),
            num(med([r["first_ms"] for r in good]), 1), num(med([r["p50_ms"] for r in good]), 1),
            num(med([r["last_ms"] for r in good]), 1), num(b / KIB, 1), num(ng / KIB, 1),
            num(bp / KIB, 1)))
    return "\n".join(rows), per_client


def gnuplot(script, data_files, out_dir):
    if not shutil.which("gnuplot"):
        return False
    with tempfile.TemporaryDirectory() as d:
        for name, text in data_files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        r = subprocess.run(["gnuplot"], input=script, text=True, cwd=d, capture_output=True)
        if r.returncode != 0:
            print("gnuplot failed: " + r.stderr)
            return False
    return True


SVG = "set terminal svg size 960,440 dynamic enhanced font 'sans,11'\n"


def bar_chart(path, title, ylabel, rows, columns, logscale=False):
    """rows: [(label, [v per column])]."""
    data = "\n".join('"%s" %s' % (label, " ".join("%g" % (v or 0) for v in vals))
                     for label, vals in rows)
    plots = ", ".join("'d' using %d:xtic(1) title '%s'" % (i + 2, c) for i, c in enumerate(columns))
    script = SVG + f"""set output '{path}'
set title "{title}"
set ylabel "{ylabel}"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -35 noenhanced
set key top right
set grid ytics
{"set logscale y" if logscale else "set yrange [0:*]"}
plot {plots}
"""
    return gnuplot(script, {"d": data + "\n"}, os.path.dirname(path))


def line_chart(path, title, ylabel, series, column, logscale=False):
    files = {}
    plots = []
    for i, (p, tl) in enumerate(series.items()):
        # A latency of a second with no answers is undefined, not 0: a gap.
        files["s%d" % i] = "\n".join(
            "%d %s" % (s["t"], "NaN" if logscale and s["ok"] + s["errors"] == 0
                       else "%g" % s[column]) for s in tl) + "\n"
        # gnuplot has 8 default colours: later series are dashed; Spindle's
        # lines are drawn thicker.
        plots.append("'s%d' using 1:2 with lines lw %d dt %d title '%s'"
                     % (i, 4 if p.startswith("spindle") else 2, 1 + i // 8, p))
    script = SVG + f"""set output '{path}'
set title "{title}"
set xlabel "seconds into the ramp"
set ylabel "{ylabel}"
set key outside right noenhanced
set grid
{"set logscale y" if logscale else "set yrange [0:*]"}
set datafile missing "NaN"
plot {", ".join(plots)}
"""
    return gnuplot(script, files, os.path.dirname(path))


def write(results, target):
    out_dir = os.path.join(os.path.dirname(os.path.abspath(target)), "benchmarks")
    os.makedirs(out_dir, exist_ok=True)
    m = results["machine"]
    s = results["settings"]
    lines = ["# Benchmarks: Spindle beside the servers users would pick instead", "",
             "Generated by `%s` (%s, %d s). Regenerate with `scripts/build && scripts/deps bench "
             "&& bench/run full`; `bench/run quick` is the ten-minute version."
             % (results["command"], results["started"], results.get("elapsed_s", 0)), "",
             "**Read the ratios, not the absolute figures.** The load generator, nginx and the "
             "backend share the machine's cores, and this machine is shared and drifts between "
             "runs; only figures from one run compare. Runs are interleaved (every peer once, "
             "then again), each peer in a fresh prefix.", "",
             "## Machine and method", "",
             "- %s, %s cores, %s GiB, %s, kernel %s; load average at the start: %s"
             % (m["cpu"], m["cores"], m["memory_gib"], m["os"], m["kernel"], m["load_at_start"]),
             "- Mode `%s`: %d run(s) per peer, %s s measured after %s s of warm-up; pool sizes %s."
             % (results["mode"], s["runs"], s["duration"], s["warmup"],
                ", ".join(map(str, s["pools"]))),
             "- The frame, the same for every peer: one nginx worker (two for the 10,000-"
             "connection scenarios: 10,000 clients plus 10,000 upstream connections exceed one "
             "worker's 20,000-fd cap here), `worker_connections 20000`, `keepalive_requests "
             "1000000`, access log off, the backend on a unix socket with backlog 4096, upstream "
             "`keepalive 10000` where the protocol has it (uwsgi and FastCGI without: "
             "`fastcgi_keep_conn` starves process pools), every route answering the same 13-byte "
             "body (`bench/apps/bench_app.cpp`, `bench/peers/`).",
             "- Load: `bench/load/counting_load` (closed loop like wrk, one thread; counts every "
             "request sent and every answer, by class: non-2xx, connect failure, reset, timeout "
             "after 10 s; requests still in flight when a closed-loop run ends are not errors). Memory: RSS and PSS of each process tree "
             "(backend; nginx frame) from `/proc/PID/smaps_rollup`, sampled every 0.5 s; the "
             "column is the maximum. CPU: the trees' user+system time over the run's wall time "
             "(100% = one core).", ""]
    if results["skipped"]:
        lines += ["Skipped (not installed): " + "; ".join(
            "%s — %s" % (k, v) for k, v in results["skipped"].items()), ""]
    lines += ["Peers:", ""] + ["- `%s`: %s" % (k, v) for k, v in results["peers"].items()] + [""]
    lines += ["Packages: " + ", ".join("%s %s" % (n, v) for n, v in results["packages"]), ""]
    charts = []
    aggs_by = {}
    for name, sc in results["scenarios"].items():
        lines += ["## " + sc["title"], ""]
        if name == "ramp":
            how = ("`counting_load -c N -d %s --warmup 2` at N = 64, 1,000 and %d connections (the "
                   "capacity), then `counting_load -c %d -d %d --rate 2×capacity --ramp %d "
                   "--timeline`" % (s["ramp_probe"], sc["conns"], sc["conns"],
                                    s["ramp_rise"] + s["ramp_hold"], s["ramp_rise"]))
        elif name == "longpoll":
            how = ("`longpoll_hold -c %d --settle %s --timeout 30 --notify /notify` on `%s`; "
                   "memory sampled while all are held" % (sc["conns"], s["settle"], sc.get("path", "")))
        else:
            how = "`counting_load -c %d -d %s --warmup %s` on `%s`, nginx workers: %d" % (
                sc["conns"], s["duration"], s["warmup"], sc.get("path", ""), sc["nginx_workers"])
        lines += ["Load: " + how + ".", ""]
        if name == "ramp":
            table, series = ramp_table(sc, s)
            lines += [table, ""]
            if series:
                for col, what, log in (("errors", "errors per second", False),
                                       ("p99_ms", "p99 latency (ms) per second, errors included", True),
                                       ("ok", "answers (2xx) per second", False)):
                    f = os.path.join(out_dir, "ramp_%s.svg" % col.split("_")[0])
                    if line_chart(f, "Overload ramp: " + what, what, series, col, log):
                        lines += ["![%s](benchmarks/%s)" % (what, os.path.basename(f)), ""]
        elif name == "longpoll":
            table, per_client = longpoll_table(sc)
            lines += [table, ""]
            if per_client:
                f = os.path.join(out_dir, "memory_per_client.svg")
                if bar_chart(f, "Long-poll hold: memory per waiting client", "KiB",
                             [(p, [b / KIB, n / KIB]) for p, (b, n) in per_client.items()],
                             ["backend RSS", "nginx RSS"]):
                    lines += ["![memory per waiting client](benchmarks/memory_per_client.svg)", ""]
        else:
            table, aggs = scenario_table(name, sc, results["peers"])
            aggs_by[name] = aggs
            lines += [table, ""]
    for name in ("s2", "s3"):
        aggs = aggs_by.get(name)
        if not aggs:
            continue
        rows = [(p, [a["rps"], 100 * a["error_share"]]) for p, a in aggs.items() if a]
        f = os.path.join(out_dir, "%s_throughput.svg" % name)
        if bar_chart(f, results["scenarios"][name]["title"] + ": answers per second",
                     "2xx answers per second", [(p, [v[0]]) for p, v in rows], ["req/s"]):
            charts.append("![%s throughput](benchmarks/%s)" % (name, os.path.basename(f)))
        f = os.path.join(out_dir, "%s_errors.svg" % name)
        if bar_chart(f, results["scenarios"][name]["title"] + ": error share",
                     "% of requests that failed", [(p, [v[1]]) for p, v in rows], ["errors %"]):
            charts.append("![%s errors](benchmarks/%s)" % (name, os.path.basename(f)))
    if charts:
        lines += ["## Charts: 1,000 and 10,000 waiting clients", ""] + sum(
            ([c, ""] for c in charts), [])
    lines += ["## Summary", "", summary(results), ""]
    with open(target, "w") as f:
        f.write("\n".join(lines))


def summary(results):
    out = []
    scs = results["scenarios"]

    def rps(sc, peer):
        a = aggregate(scs[sc]["results"].get(peer, [])) if sc in scs else None
        return a["rps"] if a else None
    for sc, base in (("s1", "nginx"), ("s1", "nginx-hop"), ("s2", "nginx"), ("s3", "nginx"),
                     ("s3", "nginx-hop"), ("s3", "lua")):
        a, b = rps(sc, "spindle"), rps(sc, base)
        if a and b:
            out.append("- %s: Spindle %s req/s = %.2f× %s (%s)" % (sc, num(a), a / b, base, num(b)))
    for sc in ("s1", "s3"):
        if sc in scs:
            a = aggregate(scs[sc]["results"].get("spindle", []), scs[sc]["conns"])
            if a and "shares" in a:
                out.append("- %s: Spindle's requests per worker: %s" % (sc, "; ".join(
                    " / ".join("%.0f%%" % s for s in run) for run in a["shares"])))
            if a and sc == "s3":
                out.append("- s3: Spindle daemon RSS per waiting request: %.1f KiB (+ nginx %.1f KiB)"
                           % (a["per_wait"] / KIB, a["nginx_per_wait"] / KIB))
    for sc in ("s1", "s3"):
        if sc not in scs:
            continue
        base = rps(sc, "spindle")
        for p in scs[sc]["results"]:
            if p.startswith("spindle-") and p[8:] not in ("1w", "2w") and base and rps(sc, p):
                out.append("- %s: %s %s req/s = %.3f× spindle (%s)" % (sc, p, num(rps(sc, p)),
                                                                     rps(sc, p) / base, num(base)))
    if "workers" in scs:
        one, two = rps("workers", "spindle-1w"), rps("workers", "spindle-2w")
        if one and two:
            out.append("- CPU-bound route: 2 workers %s req/s = %.2f× 1 worker (%s)"
                       % (num(two), two / one, num(one)))
    if "longpoll" in scs:
        _, per = longpoll_table(scs["longpoll"])
        for p, (b, n) in per.items():
            out.append("- long poll: %s %.1f KiB backend + %.1f KiB nginx RSS per waiting client"
                       % (p, b / KIB, n / KIB))
    return "\n".join(out) if out else "(no Spindle figures in this run)"
