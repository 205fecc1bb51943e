# postgres.py: a private PostgreSQL 15 for the benchmarks (bench/pg/run,
# bench/tfb/run): initdb in a temp dir, the server on a unix socket only
# (tuned for throughput, not durability: fsync off), as `nobody` when run as
# root; and the quiet-machine check the drivers run before each measurement.
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

from suite import measure

PG_BIN = "/usr/lib/postgresql/15/bin"
PORT = 5432


def cpu_busy_now(seconds=1.0):
    """The share of all CPUs busy over the next `seconds` (from /proc/stat)."""
    def sample():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle
    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 0.0 if total1 == total0 else 1.0 - (idle1 - idle0) / (total1 - total0)


class Postgres:
    """A private PostgreSQL: initdb, start, stop (its processes by pid)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="spindle-pgbench-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "postgres.log")
        self.proc = None
        self.user = {}
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            pw = pwd.getpwnam("nobody")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.user = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}

    def conninfo(self):
        return "host=%s port=%d user=spindle dbname=postgres" % (self.dir, PORT)

    def client_args(self):
        return ["-h", self.dir, "-p", str(PORT), "-U", "spindle"]

    def _spawn(self, argv, log_name):
        out = open(os.path.join(self.dir, log_name), "ab")
        try:
            return subprocess.Popen(argv, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True, **self.user)
        finally:
            out.close()

    def _tail(self, log_name):
        with open(os.path.join(self.dir, log_name), errors="replace") as f:
            return f.read()[-3000:]

    def init(self):
        p = self._spawn([os.path.join(PG_BIN, "initdb"), "-N", "-D", self.data, "-U", "spindle",
                         "--auth=trust", "-E", "UTF8", "--no-locale"], "initdb.log")
        try:
            rc = p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            rc = "timeout"
        if rc != 0:
            raise RuntimeError("initdb failed (%s):\n%s" % (rc, self._tail("initdb.log")))

    def start(self):
        self.proc = self._spawn([os.path.join(PG_BIN, "postgres"), "-D", self.data, "-k", self.dir,
                                 "-p", str(PORT), "-c", "listen_addresses=", "-c", "fsync=off",
                                 "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                                 "-c", "shared_buffers=512MB",
                                 # not /dev/shm: a chroot or container may lack it
                                 "-c", "dynamic_shared_memory_type=mmap"], "postgres.log")
        give_up = time.monotonic() + 30
        while time.monotonic() < give_up:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited at start:\n" + self._tail("postgres.log"))
            ready = subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-q"] + self.client_args(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("postgres did not come up in 30 s:\n" + self._tail("postgres.log"))

    def version(self):
        r = subprocess.run([os.path.join(PG_BIN, "postgres"), "--version"], capture_output=True,
                           text=True)
        return r.stdout.strip()

    def stop(self):
        """Fast shutdown; after 10 s, SIGKILL the postmaster and its children
        (each runs in a session of its own)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGSTOP)  # no forking while we list
                for pid in measure.tree([self.proc.pid])[1:]:  # its descendants
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)
