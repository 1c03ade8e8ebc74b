"""`manage.py benchmark`: BotBeat's throughput against the framework's ceiling, at several sizes.

    uv run python manage.py benchmark [--sizes 1000,10000,100000] [--duration 5]
        [--connections 16] [--database-url postgres://postgres@127.0.0.1:5432/botbeat_bench]
        [--workers N] [--worker-class sync] [--repeat K] [--soak N] [--explain] [--reuse]
        [--output .bench/results.md]

For each size, it:
1. drops and recreates the benchmark database (its name must contain "bench"), migrates it and
   loads `generate_fake --articles SIZE --comments SIZE*10`, timing the load;
2. picks the endpoints' URLs from the data (the feed 5,000 pages deep, a popular tag and
   company, the newest article of that company, the most-commented article, ...) and counts the
   queries of each in-process (Django's test client, the second of two requests);
3. starts the production server as the README deploys it (`gunicorn botbeat.wsgi`, DEBUG off, a
   random SECRET_KEY, Redis as the cache shared by the workers) on a free loopback port, with
   the ceiling (botbeat/bench.py) serving as many bytes as the feed's first page, and warms
   each endpoint up for --warmup seconds;
4. drives each endpoint with wrk for --duration seconds at --connections connections (wrk is
   installed from Debian's packages when missing), --repeat times interleaved, taking medians;
5. reads the gunicorn workers' memory before and after, and how much CPU other processes took
   meanwhile (a busy machine lowers every figure), and stops the server.

The workers are gunicorn's default sync ones, as the README deploys them: the API is CPU-bound,
and two processes per core keep every core busy while one waits on the database, with no
threads contending for the GIL.
A sync worker closes the connection after each answer (keep-alive is a reverse proxy's job), so
each wrk request opens one, as through a proxy. `--worker-class gthread` keeps connections
alive, but with fewer threads than wrk's connections it leaves the extra connections waiting
until wrk's timeout, which reads as errors and hides their latency.

It prints one table per size (requests/s, p50, p99, errors, queries per request, ratio to the
ceiling), then how each endpoint's requests/s changes with size, and writes the whole report as
Markdown to --output. `--soak N` then sends N more requests, alternating the feed and an
article, at the largest size, and reports the workers' memory around them.

The command runs itself against the benchmark database with the server's settings: unless its
environment already is the benchmark's, it re-executes itself with DATABASE_URL, DEBUG,
ALLOWED_HOSTS, SECRET_KEY and REDIS_URL set as gunicorn gets them, so that what it counts
in-process is what the server runs. All traffic goes to 127.0.0.1; every wait is bounded.
"""

import base64
import contextlib
import importlib
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection
from io import StringIO
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, connections
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches
from django.utils import timezone

DEFAULT_SIZES = "1000,10000,100000"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/botbeat_bench"
# Database 15: the benchmark's own, flushed before each size so no answer cached at another
# size (or by another run) is served.
REDIS_URL = "redis://127.0.0.1:6379/15"
HOST = "127.0.0.1"
ENV_MARK = "BOTBEAT_BENCHMARK_ENV"  # set in the re-executed process
FEED = "/api/v1/articles/"
CEILING = "/api/_bench/ceiling/"
FEED_PAGE_SIZE = 20  # the feed's default page size, which the deep cursor's page counts in
DEEP_PAGE = 5000
SEARCH_NAME_RANK = 10  # the search row's query: generate_fake's tenth most named product
COMMENTS_PER_ARTICLE = 10
MISS_RUNS = 3  # in-process requests timed per endpoint with the response cache off
# The budget: 100,000 articles and 1,000,000 comments in two minutes.
LOAD_BUDGET_SECONDS_PER_100K = 120
SERVER_START_TIMEOUT = 60
DRAIN_TIMEOUT = 300
SOAK_CHUNK = 10  # seconds
HTTP_TIMEOUT = 30
WRK_TIMEOUT = "10s"  # a slower answer counts as a socket timeout (an error)
LOCAL_DATABASE_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
# The settings the benchmark itself sets for the server (reexec(), run_size()).
BENCHMARK_ENVIRONMENT = {
    "DATABASE_URL", "DEBUG", "ALLOWED_HOSTS", "SECRET_KEY", "REDIS_URL", "BENCHMARK_CEILING_BYTES"
}  # fmt: skip


# wrk's output


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int = 0
    socket_errors: int = 0

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + self.socket_errors


WRK_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(text: str) -> WrkResult:
    """The figures of one `wrk --latency` run, from its standard output."""

    def find(pattern: str) -> re.Match | None:
        return re.search(pattern, text, re.MULTILINE)

    def percentile(p: int) -> float:
        match = find(rf"^\s*{p}(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$")
        if match is None:
            raise ValueError(f"no {p}th percentile in wrk's output (was --latency given?)")
        return float(match[1]) * WRK_UNITS_MS[match[2]]

    rate = find(r"^Requests/sec:\s+([\d.]+)")
    count = find(r"^\s*(\d+) requests in ")
    if rate is None or count is None:
        raise ValueError(f"not wrk's output:\n{text}")
    sockets = find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    non_2xx = find(r"Non-2xx or 3xx responses: (\d+)")
    return WrkResult(
        requests_per_s=float(rate[1]),
        p50_ms=percentile(50),
        p99_ms=percentile(99),
        requests=int(count[1]),
        non_2xx_3xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def rotating_script(paths: list[str]) -> str:
    """A wrk Lua script that cycles through `paths`."""
    listed = ", ".join(json.dumps(p) for p in paths)  # JSON strings are valid Lua strings here
    return (
        f"local paths = {{{listed}}}\n"
        "local sent = 0\n"
        "request = function()\n"
        "  sent = sent + 1\n"
        "  return wrk.format(nil, paths[(sent % #paths) + 1])\n"
        "end\n"
    )


# What one endpoint measured


@dataclass
class Endpoint:
    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200
    load: bool = True  # False: only measured in-process (too slow to drive with wrk)


@dataclass
class Measure:
    endpoint: Endpoint
    status: int | None = None  # of one request before the load
    size: int | None = None  # bytes of that answer's body
    # In-process, computed (the response cache off): the second (warm) request's queries,
    # the first's, the warm request's time in the database, and the median time of MISS_RUNS.
    queries: int | None = None
    cold_queries: int | None = None
    db_ms: float | None = None
    miss_ms: float | None = None
    sql: list[str] = field(default_factory=list)  # the warm request's
    slowest_sql: str = ""
    hit_queries: int | None = None  # in-process, served by the response cache (when it is on)
    etag: str | None = None  # the feed's, for the 304's If-None-Match
    problems: list[str] = field(default_factory=list)
    runs: list[WrkResult] = field(default_factory=list)

    def median(self, name: str) -> float | None:
        values = [getattr(run, name) for run in self.runs]
        return statistics.median(values) if values else None

    @property
    def errors(self) -> int | None:
        return sum(run.errors for run in self.runs) if self.runs else None


@dataclass
class SizeResult:
    size: int
    migrate_s: float = 0.0
    load_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    memory: list[str] = field(default_factory=list)
    plans: list[tuple[str, str, str]] = field(default_factory=list)  # endpoint, sql, plan
    feed_plan: str = ""  # EXPLAIN ANALYZE of the feed's page query
    soak_growth: float | None = None  # the workers' memory over the soak, percent
    soak_requests: int = 0

    def ratio(self, name: str, to: str = "ceiling") -> float | None:
        """An endpoint's median requests/s over another's (the ceiling's by default)."""
        a, b = self.measure(name), self.measure(to)
        rate, base = (
            (a.median("requests_per_s") if a else None),
            (b.median("requests_per_s") if b else None),
        )
        return rate / base if rate is not None and base else None

    def measure(self, name: str) -> Measure | None:
        return next((m for m in self.measures if m.endpoint.name == name), None)

    @property
    def loaded(self) -> list[Measure]:
        """The endpoints wrk drives."""
        return [m for m in self.measures if m.endpoint.load]


# The server


class Server:
    """gunicorn in its own process group, so that stopping it stops every worker."""

    def __init__(
        self, *, port: int, workers: int, worker_class: str, threads: int, env: dict, log: Path
    ):
        self.port = port
        self.workers = workers
        self.command = [
            sys.executable, "-m", "gunicorn", "botbeat.wsgi",
            "--bind", f"{HOST}:{port}",
            "--workers", str(workers),
            "--worker-class", worker_class,
            "--chdir", str(settings.BASE_DIR),
            "--log-level", "warning",
        ]  # fmt: skip
        if worker_class == "gthread":
            self.command += ["--threads", str(threads)]
        self.env = env
        self.log_path = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, path: str) -> None:
        """Until `path` answers and every worker is up; at most SERVER_START_TIMEOUT seconds."""
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CommandError(
                    f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError):
                status, _, _ = http_get(self.port, path, timeout=2)
                if status < 500 and len(self.worker_pids()) >= self.workers:
                    return
            time.sleep(0.2)
        raise CommandError(
            f"gunicorn did not answer in {SERVER_START_TIMEOUT}s:\n{self.log_tail()}"
        )

    def worker_pids(self) -> list[int]:
        """The master's children, from /proc."""
        if self.process is None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def rss_kib(self) -> dict[int, int]:
        """VmRSS of each worker, in KiB."""
        rss = {}
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss[pid] = int(line.split()[1])
        return rss

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def process_cpu(pid: int | str) -> int:
    """A process's CPU time in clock ticks (user + system; with `self`, its waited-for
    children's too: wrk's runs)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # Fields 14 to 17 of proc(5) (utime, stime, cutime, cstime) are 11 to 14 after the comm.
    return sum(int(n) for n in fields[11 : 15 if pid == "self" else 13])


def machine_cpu() -> tuple[int, int]:
    """Busy and total clock ticks of all cores since boot, from /proc/stat."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


def database_processes(name: str) -> list[int]:
    """The PostgreSQL processes working for database `name` (backends, autovacuum), from /proc:
    they come and go (gunicorn's connections are recycled after CONN_MAX_AGE)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if command.startswith("postgres:") and f" {name} " in command:
                    pids.append(int(entry.name))
    return pids


class CpuShare:
    """How much of the machine's CPU other processes took while the benchmark ran: the
    machine's busy time less that of ours (this process and wrk, and the processes `pids()`
    names: the server's, the database's). Processes of ours that end within the window (a
    recycled database connection) count up to the last `sample()`."""

    def __init__(self, pids):
        self.pids = pids
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.busy, self.total = machine_cpu()
        self.own = process_cpu("self")
        self.sample(initial=True)

    def sample(self, initial: bool = False) -> None:
        for pid in self.pids():
            ticks = process_cpu(pid)
            if ticks:
                self.first.setdefault(pid, ticks if initial else 0)
                self.last[pid] = ticks

    def others(self) -> float:
        self.sample()
        busy, total = machine_cpu()
        ours = process_cpu("self") - self.own
        ours += sum(self.last[pid] - self.first[pid] for pid in self.last)
        share = (busy - self.busy - ours) / (total - self.total) if total > self.total else 0.0
        return min(1.0, max(0.0, share))


def http_get(
    port: int, path: str, headers: dict | None = None, timeout: float = HTTP_TIMEOUT
) -> tuple[int, dict[str, str], bytes]:
    """One GET to the local server (http.client: no proxy from the environment applies)."""
    conn = HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def ceiling_routed(size: int | None):
    """Within: BENCHMARK_CEILING_BYTES is `size` and the URLconf is rebuilt to match (the URL
    is added at import time); on leaving, both are restored."""

    def rebuild():
        clear_url_caches()
        importlib.reload(importlib.import_module(settings.ROOT_URLCONF))

    try:
        with override_settings(BENCHMARK_CEILING_BYTES=size):
            rebuild()
            yield
    finally:
        rebuild()


def encode_feed_cursor(values: list) -> str:
    """A cursor as botbeat.pagination encodes it (checked against a real `next` link)."""
    from articles.filters import Ordering

    payload = {"o": Ordering.NEWEST, "k": values, "r": False}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_of(url: str | None) -> str | None:
    match = re.search(r"[?&]cursor=([^&]+)", url or "")
    return match[1] if match else None


def markdown_table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        padded = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [("-" * (w - 1) + ":") if i in right else "-" * w for i, w in enumerate(widths)]
    return "\n".join([line(header), line(rule), *(line(row) for row in rows)])


def number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def without_password(text: str) -> str:
    """`text` with the password of any URL in it masked, for the report."""
    return re.sub(r"(://[^/:@\s]*:)[^@\s]*@", r"\1***@", text)


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


class Command(BaseCommand):
    help = __doc__
    # The server it starts runs no system checks either; a broken admin must not stop a
    # measurement of the API.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--sizes", default=DEFAULT_SIZES, help=f"articles, comma-separated ({DEFAULT_SIZES})"
        )
        parser.add_argument("--duration", type=int, default=5, help="seconds per endpoint (5)")
        parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
        parser.add_argument(
            "--database-url",
            default=DEFAULT_DATABASE_URL,
            help="a local PostgreSQL database whose name contains 'bench': it is dropped",
        )
        parser.add_argument(
            "--workers", type=int, default=2 * (os.cpu_count() or 1), help="2 x cores"
        )
        parser.add_argument(
            "--worker-class",
            default="sync",
            help="gunicorn's; sync, as the README deploys it (gthread takes --threads)",
        )
        parser.add_argument(
            "--threads", type=int, default=1, help="gunicorn threads per worker (gthread)"
        )
        parser.add_argument(
            "--wrk-threads",
            type=int,
            default=1,
            help="wrk's threads (1: the load generator shares this machine's cores)",
        )
        parser.add_argument(
            "--warmup", type=int, default=1, help="seconds of warm-up on each endpoint (1)"
        )
        parser.add_argument(
            "--repeat", type=int, default=1, help="runs of the endpoint list, interleaved"
        )
        parser.add_argument(
            "--soak",
            type=int,
            default=0,
            help="N more requests (feed and an article) at the largest size, memory around them",
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help="EXPLAIN ANALYZE each endpoint's slowest query at the largest size",
        )
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="keep the database when it holds a size's data already (not timing the load)",
        )
        parser.add_argument("--output", default=".bench/results.md", help="the Markdown report")

    # Setup

    def handle(self, *args, **options):
        self.options = options
        sizes = self.parse_sizes(options["sizes"])
        for name in ("duration", "connections", "workers", "threads", "wrk_threads", "repeat"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        if options["connections"] < options["wrk_threads"]:
            raise CommandError("--connections must be at least --wrk-threads.")
        if options["soak"] < 0 or options["warmup"] < 0:
            raise CommandError("--soak and --warmup take 0 or more.")
        self.check_database_url(options["database_url"])
        if os.environ.get(ENV_MARK) != options["database_url"]:
            self.reexec(options["database_url"])

        # SIGTERM too runs the `finally` blocks that stop gunicorn.
        signal.signal(signal.SIGTERM, self.interrupted)
        output = Path(options["output"])
        self.output = output if output.is_absolute() else settings.BASE_DIR / output
        self.started = datetime.now(UTC)
        self.ensure_wrk()
        self.header = self.describe_run(sizes)
        self.say("\n".join(self.header))
        results: list[SizeResult] = []
        try:
            for size in sizes:
                results.append(self.run_size(size, last=size == sizes[-1]))
                self.write_report(results)
        except KeyboardInterrupt:
            self.write_report(results)
            raise CommandError(f"Interrupted; the sizes done are in {self.output}.") from None
        self.say("\n" + self.render_growth(results))
        self.say("\n" + self.render_targets(results))
        self.say(f"\nThe report: {self.output}")

    @staticmethod
    def interrupted(signum, frame):
        raise KeyboardInterrupt

    def say(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()

    @staticmethod
    def parse_sizes(raw: str) -> list[int]:
        try:
            sizes = sorted({int(s) for s in raw.split(",") if s.strip()})
        except ValueError:
            raise CommandError(f"--sizes {raw!r}: give article counts, e.g. 1000,10000.") from None
        if not sizes or sizes[0] < 1:
            raise CommandError("--sizes: give positive article counts.")
        return sizes

    @staticmethod
    def check_database_url(url: str) -> None:
        database = dj_database_url.parse(url)
        name = database.get("NAME") or ""
        if database["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError("--database-url: the benchmark runs on PostgreSQL.")
        if "bench" not in name:
            raise CommandError(
                f"Refusing to drop database {name!r}: the benchmark's database name must "
                "contain 'bench' (e.g. botbeat_bench)."
            )
        host = database.get("HOST") or ""
        if host not in LOCAL_DATABASE_HOSTS and not host.startswith(("/", "127.")):
            raise CommandError("--database-url: the benchmark measures this machine: a local host.")

    def reexec(self, database_url: str) -> None:
        """Run again with the server's environment (see the module's docstring)."""
        env = {k: v for k, v in os.environ.items() if k != "BENCHMARK_CEILING_BYTES"}
        env.update(
            {
                ENV_MARK: database_url,
                "DATABASE_URL": database_url,
                "DEBUG": "false",
                "ALLOWED_HOSTS": HOST,
                # 64 random URL-safe characters: what a deployer is told to set (50+).
                "SECRET_KEY": secrets.token_urlsafe(48),
                "REDIS_URL": REDIS_URL,
            }
        )
        self.say(
            "Running in the server's environment: DATABASE_URL, DEBUG=false, "
            f"ALLOWED_HOSTS={HOST}, a random SECRET_KEY, REDIS_URL={REDIS_URL}."
        )
        sys.stdout.flush()
        sys.stderr.flush()
        manage = str(settings.BASE_DIR / "manage.py")
        os.execve(sys.executable, [sys.executable, manage, *sys.argv[1:]], env)

    def ensure_wrk(self) -> None:
        if shutil.which("wrk"):
            return
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "wrk"]
        self.say(f"wrk is missing: installing Debian's package ({shlex.join(install)}).")
        if subprocess.run(install, env=env, stdin=subprocess.DEVNULL, timeout=600).returncode:
            self.say("apt-get install failed: refreshing the package lists (apt-get update).")
            subprocess.run(["apt-get", "update"], env=env, stdin=subprocess.DEVNULL, timeout=600)
            subprocess.run(install, env=env, stdin=subprocess.DEVNULL, timeout=600)
        if not shutil.which("wrk"):
            raise CommandError(
                "Could not install wrk (apt-get install -y wrk failed, see above): install it, "
                "then run the benchmark again."
            )

    def describe_run(self, sizes: list[int]) -> list[str]:
        options = self.options
        cpu = "unknown CPU"
        with contextlib.suppress(OSError):
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        memory_kib = 0
        with contextlib.suppress(OSError, IndexError, ValueError):
            meminfo = Path("/proc/meminfo").read_text()
            memory_kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo)[1])
        # The maintenance database: the benchmark's may not exist yet.
        with self.maintenance() as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, timeout=10)
        wrk_version = (wrk.stdout or wrk.stderr).split("[")[0].strip() or "wrk"
        import django
        import gunicorn

        worker = options["worker_class"]
        if worker == "gthread":
            worker += f", {options['threads']} threads each"
        database_url = without_password(options["database_url"])
        # Any other setting the caller's environment gives (e.g. RESPONSE_CACHE=false) changes
        # what is measured: name them, as botbeat/settings.py reads them.
        source = (settings.BASE_DIR / "botbeat" / "settings.py").read_text()
        names = set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', source)) - BENCHMARK_ENVIRONMENT
        given = [f"{name}={os.environ[name]}" for name in sorted(names) if name in os.environ]
        return [
            "# BotBeat benchmark",
            "",
            f"- when: {self.started:%Y-%m-%d %H:%M} UTC",
            f"- command: `uv run python manage.py {without_password(shlex.join(sys.argv[1:]))}`",
            f"- resolved: sizes {', '.join(f'{s:,}' for s in sizes)} articles "
            f"({COMMENTS_PER_ARTICLE} comments per article); {options['duration']}s per "
            f"endpoint, {options['repeat']} run(s) interleaved (medians; errors summed); "
            f"{options['warmup']}s warm-up; wrk {options['connections']} connections, "
            f"{options['wrk_threads']} thread(s); gunicorn {options['workers']} workers "
            f"({worker}); database {database_url}; cache {REDIS_URL}",
            f"- machine: {os.cpu_count()} cores ({cpu}), {memory_kib / 1024**2:.1f} GiB memory; "
            f"PostgreSQL {postgres}; Python {platform.python_version()}, Django "
            f"{django.__version__}, gunicorn {gunicorn.__version__}, {wrk_version}",
            "- the load generator runs on the same cores as the server and the database",
            f"- other settings from the environment: {', '.join(given) or 'none'}",
        ]

    @contextlib.contextmanager
    def maintenance(self):
        """An autocommit connection to the server's `postgres` database."""
        import psycopg

        params = connection.settings_dict
        kwargs = {
            "host": params.get("HOST") or None,
            "port": params.get("PORT") or None,
            "user": params.get("USER") or None,
            "password": params.get("PASSWORD") or None,
        }
        conn = psycopg.connect(
            dbname="postgres", autocommit=True, **{k: v for k, v in kwargs.items() if v}
        )
        try:
            yield conn
        finally:
            conn.close()

    # One size

    def run_size(self, size: int, *, last: bool) -> SizeResult:
        result = SizeResult(size=size)
        self.say(f"\n## {size:,} articles, {size * COMMENTS_PER_ARTICLE:,} comments\n")
        self.load(result)
        self.flush_cache(result)
        port = free_port()
        endpoints = self.choose_endpoints(result, f"{HOST}:{port}")
        feed_bytes = self.count_queries(result, endpoints, f"{HOST}:{port}")
        self.explain(result, every=last and self.options["explain"])

        env = {**os.environ, "BENCHMARK_CEILING_BYTES": str(feed_bytes)}
        env.pop(ENV_MARK, None)
        server = Server(
            port=port,
            workers=self.options["workers"],
            worker_class=self.options["worker_class"],
            threads=self.options["threads"],
            env=env,
            log=self.output.parent / f"gunicorn-{size}.log",
        )
        try:
            self.say(f"  gunicorn on {HOST}:{port} (log: {server.log_path})")
            server.start()
            server.wait_ready(CEILING)
            self.check_answers(result, port, feed_bytes)
            self.warm_up(result, port)
            before = server.rss_kib()
            name = connection.settings_dict["NAME"]
            cpu = CpuShare(
                lambda: [server.process.pid, *server.worker_pids(), *database_processes(name)]
            )
            for round_ in range(self.options["repeat"]):
                for measure in result.loaded:
                    run = self.measure_endpoint(port, measure)
                    measure.runs.append(run)
                    cpu.sample()
                    self.say(
                        f"  {measure.endpoint.name:<28} {run.requests_per_s:>9,.0f}/s  "
                        f"p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms  "
                        f"errors {run.errors}"
                        + (f"  (run {round_ + 1})" if self.options["repeat"] > 1 else "")
                    )
            result.memory.append(self.memory_line("the measured runs", before, server.rss_kib()))
            share = cpu.others()
            note = f"other processes on the machine took {share:.0%} of its CPU during the runs"
            if share > 0.05:
                note += ": WARNING, the figures are lower than on an idle machine"
            result.notes.append(note)
            self.say(f"  {note}")
            if last and self.options["soak"]:
                self.soak(result, server)
            if server.process.poll() is not None:
                result.notes.append(f"gunicorn exited during the run:\n{server.log_tail()}")
        finally:
            server.stop()
        self.say("")
        self.say(self.render_size(result))
        return result

    def holds(self, size: int) -> bool:
        """Whether the benchmark database holds generate_fake's data for `size` already."""
        from articles.models import Article
        from comments.models import Comment

        try:
            return (
                Article.objects.count() == size
                and Comment.objects.count() == size * COMMENTS_PER_ARTICLE
            )
        except DatabaseError:  # no such database, or not migrated
            return False
        finally:
            connections.close_all()

    def load(self, result: SizeResult) -> None:
        size = result.size
        name = connection.settings_dict["NAME"]
        if self.options["reuse"] and self.holds(size):
            started = time.monotonic()
            # A migration added since (an index) still applies.
            call_command("migrate", verbosity=0, interactive=False)
            result.migrate_s = time.monotonic() - started
            note = "load: --reuse: the database held this size's data already; migrated in "
            note += f"{result.migrate_s:.1f}s"
            result.notes.append(note)
            self.say(f"  {note}")
            return
        connections.close_all()
        with self.maintenance() as conn:
            from psycopg import sql

            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        started = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        result.migrate_s = time.monotonic() - started
        self.say(f"  database {name} recreated and migrated in {result.migrate_s:.1f}s")
        out = StringIO()
        cpu = CpuShare(lambda: database_processes(name))
        started = time.monotonic()
        call_command(
            "generate_fake",
            articles=size,
            comments=size * COMMENTS_PER_ARTICLE,
            verbosity=self.options["verbosity"] - 1,
            stdout=out,
        )
        result.load_s = time.monotonic() - started
        share = cpu.others()
        budget = LOAD_BUDGET_SECONDS_PER_100K * size / 100_000
        line = f"generate_fake --articles {size} --comments {size * COMMENTS_PER_ARTICLE}: "
        line += f"{result.load_s:.1f}s"
        if size >= 100_000:
            verdict = "within" if result.load_s <= budget else "OVER"
            line += f" ({verdict} the {budget:.0f}s budget)"
        line += f"; other processes took {share:.0%} of the CPU meanwhile"
        result.notes.append(f"load: migrate {result.migrate_s:.1f}s; {line}")
        self.say(f"  {line}")

    def flush_cache(self, result: SizeResult) -> None:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2).flushdb()
        except redis.RedisError as error:
            note = (
                f"Redis at {REDIS_URL} did not answer ({error}): the workers ran without a "
                "shared cache (django-redis ignores the errors)."
            )
            result.notes.append(note)
            self.say(f"  WARNING: {note}")

    def choose_endpoints(self, result: SizeResult, host: str) -> list[Endpoint]:
        """The endpoints' URLs, picked from the data just loaded."""
        from articles.filters import Ordering, search_articles
        from articles.management.commands.generate_fake import NAMES, WORDS
        from articles.models import Article, ArticleTag, published_q
        from articles.views import KEYSETS
        from comments.models import Comment

        now = timezone.now()
        published = Article.objects.published(now)
        newest = published.order_by("-published_at", "-id").only("id", "published_at")
        keyset = KEYSETS[Ordering.NEWEST]
        total = published.count()
        if total == 0:
            raise CommandError("generate_fake published no article: nothing to measure.")

        # The deep page, by its cursor: the key of the last row of the page before it. Page
        # 5,000 needs 100,000 published articles; with fewer, the deepest full page stands in.
        full_pages = max(1, total // FEED_PAGE_SIZE)
        page = min(DEEP_PAGE, full_pages)
        deep = FEED
        if page > 1:
            row = newest[(page - 1) * FEED_PAGE_SIZE - 1]
            deep = f"{FEED}?cursor={encode_feed_cursor(keyset.values_of(row))}"
        note = f"feed deep cursor: page {page:,}, {total:,} articles published"
        if page < DEEP_PAGE:
            note += (
                f" (the deepest full page: page {DEEP_PAGE:,} needs "
                f"{DEEP_PAGE * FEED_PAGE_SIZE:,} published articles)"
            )
        result.notes.append(note)
        # Checked against the first page's real `next` link in count_queries().
        self.page_two_cursor = None
        if total > FEED_PAGE_SIZE:
            self.page_two_cursor = encode_feed_cursor(keyset.values_of(newest[FEED_PAGE_SIZE - 1]))

        tag = (
            ArticleTag.objects.filter(published_q("article__", now))
            .values("tag__slug")
            .annotate(n=Count("id"))
            .order_by("-n", "tag__slug")
            .first()
        )
        company = (
            published.values("company__slug")
            .annotate(n=Count("id"))
            .order_by("-n", "company__slug")
            .first()
        )
        article = (
            published.filter(company__slug=company["company__slug"])
            .order_by("-published_at", "-id")
            .values_list("slug", flat=True)
            .first()
        )
        commented = (
            Comment.objects.filter(published_q("article__", now))
            .values("article__slug")
            .annotate(n=Count("id"))
            .order_by("-n", "article__slug")
            .first()
        )
        # A reader's search: a product name of middling popularity (the tenth most named).
        # And the worst case, the most common word of the running text, only in-process.
        name, word = NAMES[SEARCH_NAME_RANK - 1], WORDS[0]
        matches = search_articles(published, name).count()
        common = search_articles(published, word).count()
        result.notes.append(
            f"feed ?tag: {tag['tag__slug']} ({tag['n']:,} published articles); ?company: "
            f"{company['company__slug']} ({company['n']:,}); search ?q={name} "
            f"({matches:,} matches); search common word: ?q={word} ({common:,} matches, "
            f"measured in-process only); detail, more-from-company, suggested: {article} (the "
            "company's newest)"
            + (
                f"; comments: {commented['article__slug']} ({commented['n']:,} comments, "
                "the most commented)"
                if commented
                else ""
            )
        )

        endpoints = [
            Endpoint("ceiling", CEILING),
            Endpoint("feed", FEED),
            Endpoint("feed deep cursor", deep),
            Endpoint("feed ?tag", f"{FEED}?tag={tag['tag__slug']}"),
            Endpoint("feed ?company", f"{FEED}?company={company['company__slug']}"),
            Endpoint(
                "feed ?tag&company",
                f"{FEED}?tag={tag['tag__slug']}&company={company['company__slug']}",
            ),
            Endpoint("search ?q", f"{FEED}?q={name}"),
            Endpoint("search common word", f"{FEED}?q={word}", load=False),
            Endpoint("detail", f"{FEED}{article}/"),
            Endpoint("more-from-company", f"{FEED}{article}/more-from-company/"),
            Endpoint("suggested", f"{FEED}{article}/suggested/"),
        ]
        if commented:
            endpoints.append(Endpoint("comments", f"{FEED}{commented['article__slug']}/comments/"))
        # Its If-None-Match is the feed's ETag, set once the feed has answered.
        endpoints.append(Endpoint("feed 304", FEED, expect=304))
        result.measures = [Measure(endpoint) for endpoint in endpoints]
        return endpoints

    def count_queries(self, result: SizeResult, endpoints: list[Endpoint], host: str) -> int:
        """Each endpoint twice in-process, anonymous, with wrk's Host; returns the feed's size."""
        client = Client(HTTP_HOST=host)
        feed_bytes = None
        by_name = {m.endpoint.name: m for m in result.measures}
        for endpoint in endpoints:
            if endpoint.name == "ceiling":
                continue
            if endpoint.expect == 304:
                # The feed comes first; a feed without an ETag leaves a 200 here, reported.
                endpoint.headers["If-None-Match"] = by_name["feed"].etag or '"none"'
            response = self.count_one(client, by_name[endpoint.name])
            if endpoint.name == "feed" and response is not None:
                feed_bytes = len(response.content)
                by_name["feed"].etag = response.get("ETag")
                found = cursor_of(response.json().get("next"))
                if self.page_two_cursor and found != self.page_two_cursor:
                    raise CommandError(
                        "The feed's cursor format is not the one the benchmark builds the deep "
                        f"page's cursor with ({found!r} != {self.page_two_cursor!r}): update "
                        "encode_feed_cursor() after botbeat/pagination.py."
                    )
        if feed_bytes is None:
            raise CommandError(
                "The feed did not answer in-process: "
                + "; ".join(by_name["feed"].problems or ["no answer"])
            )
        with ceiling_routed(feed_bytes):
            self.count_one(client, by_name["ceiling"])
        for measure in result.measures:
            self.say(
                f"  {measure.endpoint.name:<28} {measure.endpoint.path[:90]}\n"
                f"  {'':<28} computed: {number(measure.miss_ms, 1)} ms, queries "
                f"{number(measure.queries)} (first request {number(measure.cold_queries)}), "
                f"{number(measure.db_ms, 1)} ms in the database"
                + (
                    f"; from the response cache: {measure.hit_queries} queries"
                    if measure.hit_queries is not None
                    else ""
                )
                + "".join(f"\n  {'':<28} PROBLEM: {p}" for p in measure.problems)
            )
        return feed_bytes

    def count_one(self, client: Client, measure: Measure):
        """The endpoint computed, the response cache off: its queries (the second of two
        requests, once connections and caches are warm) and the median time of MISS_RUNS more.
        Then, when the response cache is on, the queries of an answer it serves. Returns the
        computed response (None when the view raised)."""
        endpoint = measure.endpoint
        response = None
        times = []
        try:
            with override_settings(RESPONSE_CACHE=False):
                for attempt in range(2 + MISS_RUNS):
                    if attempt >= 2:  # timed without the query capture's own overhead
                        started = time.perf_counter()
                        response = client.get(endpoint.path, headers=endpoint.headers)
                        times.append(time.perf_counter() - started)
                        continue
                    with CaptureQueriesContext(connection) as captured:
                        response = client.get(endpoint.path, headers=endpoint.headers)
                    if attempt == 0:
                        measure.cold_queries = len(captured.captured_queries)
                    else:
                        queries = captured.captured_queries
            if settings.RESPONSE_CACHE and endpoint.name != "ceiling":
                client.get(endpoint.path, headers=endpoint.headers)  # stores it, or not
                with CaptureQueriesContext(connection) as captured:
                    client.get(endpoint.path, headers=endpoint.headers)
                measure.hit_queries = len(captured.captured_queries)
        except Exception as error:  # a crash is a finding, not the end
            measure.problems.append(f"in-process: {type(error).__name__}: {error}")
            return None
        measure.queries = len(queries)
        measure.db_ms = sum(float(q["time"]) for q in queries) * 1000
        measure.miss_ms = statistics.median(times) * 1000
        measure.sql = [q["sql"] for q in queries]
        if queries:
            measure.slowest_sql = max(queries, key=lambda q: float(q["time"]))["sql"]
        if not endpoint.load:  # what gunicorn's answer gives the others (check_answers)
            measure.status, measure.size = response.status_code, len(response.content)
        if response.status_code != endpoint.expect:
            measure.problems.append(
                f"in-process answer {response.status_code} (expected {endpoint.expect}): "
                f"{response.content[:300]!r}"
            )
        return response

    @staticmethod
    def explain_one(sql: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())

    def explain(self, result: SizeResult, *, every: bool) -> None:
        """EXPLAIN ANALYZE of the feed's page query (its first), for the targets; with `every`,
        of each endpoint's slowest query too."""
        feed = result.measure("feed")
        if feed and feed.sql:
            result.feed_plan = self.explain_one(feed.sql[0])
        if not every:
            return
        for measure in result.measures:
            if measure.slowest_sql:
                plan = self.explain_one(measure.slowest_sql)
                result.plans.append((measure.endpoint.name, measure.slowest_sql, plan))

    def check_answers(self, result: SizeResult, port: int, feed_bytes: int) -> None:
        """One request to each endpoint through gunicorn: the status, the size, the ETag."""
        for measure in result.loaded:
            endpoint = measure.endpoint
            if endpoint.expect == 304:
                # Through gunicorn, the feed's ETag is the one just served (the feed is first).
                endpoint.headers["If-None-Match"] = result.measure("feed").etag or '"none"'
            status, headers, body = http_get(port, endpoint.path, endpoint.headers)
            measure.status, measure.size = status, len(body)
            if endpoint.name == "feed":
                measure.etag = headers.get("etag")
                if not measure.etag:
                    measure.problems.append("no ETag: the 304 row measures a 200")
                if len(body) != feed_bytes:
                    measure.problems.append(
                        f"{len(body)} bytes through gunicorn, {feed_bytes} in-process"
                    )
            if endpoint.name == "ceiling" and len(body) != feed_bytes:
                measure.problems.append(f"{len(body)} bytes, not the feed's {feed_bytes}")
            if status != endpoint.expect:
                measure.problems.append(
                    f"gunicorn answered {status} (expected {endpoint.expect}): {body[:300]!r}"
                )
                self.say(f"  PROBLEM: {endpoint.name} answered {status}: {body[:300]!r}")

    def warm_up(self, result: SizeResult, port: int) -> None:
        """Each endpoint for --warmup seconds: a worker's first answers on a path cost tenths
        of a second (imports, connections, caches), which no figure should include."""
        seconds = self.options["warmup"]
        if not seconds:
            return
        requests = 0
        for measure in result.loaded:
            requests += self.wrk(
                port, measure.endpoint.path, headers=measure.endpoint.headers, duration=seconds
            ).requests
        self.say(f"  warm-up: {requests:,} requests, {seconds}s on each endpoint")

    def wrk(
        self,
        port: int,
        path: str,
        *,
        headers: dict | None = None,
        duration: int | None = None,
        script: Path | None = None,
    ) -> WrkResult:
        duration = duration or self.options["duration"]
        command = ["wrk", "--latency", "--timeout", WRK_TIMEOUT, "-d", f"{duration}s"]
        command += ["-t", str(self.options["wrk_threads"]), "-c", str(self.options["connections"])]
        for name, value in (headers or {}).items():
            command += ["-H", f"{name}: {value}"]
        if script is not None:
            command += ["-s", str(script)]
        command.append(f"http://{HOST}:{port}{path}")
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
        if done.returncode != 0:
            raise CommandError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
        result = parse_wrk(done.stdout)
        waited = self.drain(port)
        if waited > 1:
            self.say(f"  {'':<28} (the server worked {waited:.1f}s more on what wrk left queued)")
        return result

    def drain(self, port: int) -> float:
        """Waits until gunicorn has worked off what a wrk run left behind, so that it does not
        slow the next run: wrk stops at its deadline, but the requests it sent stay in the
        accept queue and the workers. One ceiling request per worker at once, queued behind
        them (the queue is first in, first out); at most DRAIN_TIMEOUT seconds."""
        workers = self.options["workers"]
        started = time.monotonic()
        try:
            with ThreadPoolExecutor(workers) as pool:
                list(
                    pool.map(
                        lambda _: http_get(port, CEILING, timeout=DRAIN_TIMEOUT), range(workers)
                    )
                )
        except OSError as error:
            raise CommandError(f"The server did not work off its queue: {error}") from None
        return time.monotonic() - started

    def measure_endpoint(self, port: int, measure: Measure) -> WrkResult:
        return self.wrk(port, measure.endpoint.path, headers=measure.endpoint.headers)

    def soak(self, result: SizeResult, server: Server) -> None:
        """--soak N requests, the feed and an article alternating, and the memory around them.

        wrk runs for a duration, not a count (its Lua `thread:stop()` ends the requests but not
        the wait), so it runs in SOAK_CHUNK-second runs until N are answered: a few thousand
        more at most. Bounded in time too, at three times the duration the measured rates
        predict."""
        count = self.options["soak"]
        feed, detail = result.measure("feed"), result.measure("detail")
        rates = [m.median("requests_per_s") or 0 for m in (feed, detail)]
        deadline = time.monotonic() + 3 * count / max(min(rates), 10) + 30
        script = self.output.parent / "soak.lua"
        script.write_text(rotating_script([feed.endpoint.path, detail.endpoint.path]))
        self.say(f"  soak: {count:,} requests, the feed and {detail.endpoint.path} alternating")
        before = server.rss_kib()
        answered = errors = seconds = 0
        while answered < count and time.monotonic() < deadline:
            run = self.wrk(server.port, "/", duration=SOAK_CHUNK, script=script)
            answered, errors, seconds = (
                answered + run.requests,
                errors + run.errors,
                seconds + SOAK_CHUNK,
            )
        label = (
            f"the soak ({answered:,} requests, the feed and detail alternating, "
            f"{answered / max(seconds, 1):,.0f}/s, {errors} errors"
            + (", stopped by its time bound" if answered < count else "")
            + ")"
        )
        after = server.rss_kib()
        result.memory.append(self.memory_line(label, before, after))
        if before:
            result.soak_growth = (sum(after.values()) / sum(before.values()) - 1) * 100
            result.soak_requests = answered

    def memory_line(self, label: str, before: dict[int, int], after: dict[int, int]) -> str:
        total_before, total_after = sum(before.values()), sum(after.values())
        growth = (total_after - total_before) / total_before * 100 if total_before else 0.0
        each = ", ".join(
            f"{mib(before[pid])} → {mib(after[pid])}" for pid in sorted(before) if pid in after
        )
        line = (
            f"workers' memory (VmRSS) over {label}: {len(after)} workers, {mib(total_before)} → "
            f"{mib(total_after)} in all ({growth:+.1f}%); each: {each}"
        )
        if set(before) != set(after):
            line += f"; workers replaced meanwhile: {sorted(set(before) ^ set(after))}"
        self.say(f"  {line}")
        return line

    # The report

    def render_size(self, result: SizeResult) -> str:
        rows = []
        for m in result.measures:
            status = "-" if m.status is None else str(m.status)
            if m.status is not None and m.status != m.endpoint.expect:
                status += "!"
            rows.append(
                [
                    m.endpoint.name,
                    status,
                    number(m.size),
                    number(m.median("requests_per_s")),
                    number(m.median("p50_ms"), 1),
                    number(m.median("p99_ms"), 1),
                    number(m.errors),
                    number(result.ratio(m.endpoint.name), 2),
                    number(m.miss_ms, 1),
                    number(m.queries),
                    number(m.db_ms, 1),
                    number(m.hit_queries),
                ]
            )
        table = markdown_table(
            ["endpoint", "status", "bytes", "req/s", "p50 ms", "p99 ms", "errors", "x ceiling",
             "computed ms", "queries", "db ms", "cached: queries"],
            rows,
            right=set(range(1, 12)),
        )  # fmt: skip
        legend = (
            "req/s, p50, p99, errors: through gunicorn under wrk (medians of the runs); x "
            "ceiling: req/s over the ceiling's; computed ms, queries, db ms: in-process with the "
            f"response cache off (median of {MISS_RUNS} requests; the second request's queries "
            "and their time in the database); cached: queries: a request the response cache "
            "answers ('-' when it is off)."
        )
        lines = [f"## {result.size:,} articles, {result.size * COMMENTS_PER_ARTICLE:,} comments"]
        lines += ["", *(f"- {note}" for note in result.notes), "", table, "", legend, ""]
        lines += [f"- {line}" for line in result.memory]
        for m in result.measures:
            lines += [f"- PROBLEM, {m.endpoint.name}: {p}" for p in m.problems]
        return "\n".join(lines)

    @staticmethod
    def growth(results: list[SizeResult], name: str, result: SizeResult) -> float | None:
        """An endpoint's ratio to the ceiling at `result`'s size over the same at the smallest.

        Each size is measured minutes apart, on a machine whose speed drifts (shared cores,
        frequency); the ceiling measured beside each endpoint cancels that drift out.
        """
        base, now = results[0].ratio(name), result.ratio(name)
        return now / base if now is not None and base else None

    def render_growth(self, results: list[SizeResult]) -> str:
        if len(results) < 2:
            return ""
        rows = [
            [
                m.endpoint.name,
                *(number(self.growth(results, m.endpoint.name, r), 2) for r in results),
            ]
            for m in results[0].loaded
            if m.endpoint.name != "ceiling"
        ]
        header = ["endpoint", *(f"{r.size:,}" for r in results)]
        title = (
            f"## How cost grows: requests/s relative to {results[0].size:,} articles, each "
            "size's figure taken as a ratio to its own ceiling (1.00: as fast; 0.80: 20% slower)"
        )
        computed = [
            [m.endpoint.name, *(number(r.measure(m.endpoint.name).miss_ms, 1) for r in results)]
            for m in results[0].measures
            if m.endpoint.name != "ceiling" and all(r.measure(m.endpoint.name) for r in results)
        ]
        return "\n".join(
            [
                title,
                "",
                markdown_table(header, rows, set(range(1, len(header)))),
                "",
                "## Computed (the response cache off), in-process: milliseconds per request",
                "",
                markdown_table(header, computed, set(range(1, len(header)))),
            ]
        )

    def targets(self, results: list[SizeResult]) -> list[tuple[str, str, bool]]:
        """Issue 5's targets as (target, figure, met), at the largest size (growth: from the
        smallest). Ratios are of median requests/s measured in this run."""
        big = results[-1]
        checks = []

        def at_least(label: str, name: str, to: str, floor: float) -> None:
            value = big.ratio(name, to)
            if value is not None:
                checks.append((label, f"{value:.2f}", value >= floor))

        at_least("feed >= 0.50 x ceiling", "feed", "ceiling", 0.50)
        at_least("detail >= 0.65 x ceiling", "detail", "ceiling", 0.65)
        at_least("deep cursor >= 0.90 x feed", "feed deep cursor", "feed", 0.90)
        for name in ("feed ?tag", "feed ?company", "feed ?tag&company", "search ?q"):
            at_least(f"{name} >= 0.50 x feed", name, "feed", 0.50)
        for name in ("suggested", "more-from-company"):
            at_least(f"{name} >= 0.70 x detail", name, "detail", 0.70)
        at_least("feed 304 >= 0.80 x ceiling", "feed 304", "ceiling", 0.80)
        if len(results) > 1:
            growths = [
                (self.growth(results, m.endpoint.name, big), m.endpoint.name)
                for m in results[0].loaded
                if m.endpoint.name != "ceiling"
            ]
            known = [g for g in growths if g[0] is not None]
            if known:
                value, name = min(known)
                checks.append(
                    (
                        f"{results[0].size:,} to {big.size:,} articles: none >20% slower",
                        f"slowest: {name} {value:.2f}",
                        value >= 0.80,
                    )
                )
        errors = sum(m.errors or 0 for r in results for m in r.loaded)
        checks.append(("no errors (every size)", str(errors), errors == 0))
        p99 = [
            (m.median("p99_ms"), m.endpoint.name)
            for m in big.loaded
            if m.runs and not m.endpoint.name.startswith("search")
        ]
        if p99:
            value, name = max(p99)
            checks.append(
                (
                    f"p99 < 50 ms at {self.options['connections']} connections, search aside",
                    f"highest: {name} {value:.1f} ms",
                    value < 50,
                )
            )
        feed = big.measure("feed")
        if feed and feed.sql:
            counts = sum("COUNT(*)" in sql.upper() for sql in feed.sql)
            checks.append(
                ("the feed runs no COUNT(*)", f"{counts} of {len(feed.sql)} queries", counts == 0)
            )
        if big.feed_plan:
            index = re.search(r"Index (?:Only )?Scan (?:Backward )?using (\w+)", big.feed_plan)
            sort = re.search(r"^\s*(?:->\s*)?(?:Incremental )?Sort\b", big.feed_plan, re.M)
            checks.append(
                (
                    "the feed's plan: an index scan, no sort",
                    f"{'index ' + index[1] if index else 'no index scan'}, "
                    f"{'a sort' if sort else 'no sort'}",
                    bool(index) and not sort,
                )
            )
        suggested = big.measure("suggested")
        if suggested and suggested.sql:
            ranking = sum("SUM(CASE" in sql.upper() for sql in suggested.sql)
            checks.append(("suggested: one ranking query", str(ranking), ranking == 1))
        more = big.measure("more-from-company")
        if more and more.sql:
            pages = sum(" LIMIT " in sql and "ORDER BY" in sql for sql in more.sql)
            checks.append(
                ("more-from-company: one ranking query (its page)", str(pages), pages == 1)
            )
        if big.soak_growth is not None:
            checks.append(
                (
                    "workers' memory grows < 10% over the soak",
                    f"{big.soak_growth:+.1f}% over {big.soak_requests:,} requests",
                    big.soak_growth < 10,
                )
            )
        return checks

    def render_targets(self, results: list[SizeResult]) -> str:
        checks = self.targets(results)
        if not checks:
            return ""
        rows = [[label, figure, "met" if met else "MISSED"] for label, figure, met in checks]
        missed = sum(not met for _, _, met in checks)
        return "\n".join(
            [
                f"## Targets at {results[-1].size:,} articles: {len(checks) - missed} met, "
                f"{missed} missed",
                "",
                markdown_table(["target", "measured", ""], rows, set()),
            ]
        )

    def write_report(self, results: list[SizeResult]) -> None:
        parts = ["\n".join(self.header)]
        targets = self.render_targets(results)
        if targets:
            parts.append(targets)
        parts += [self.render_size(result) for result in results]
        growth = self.render_growth(results)
        if growth:
            parts.append(growth)
        for result in results:
            if not result.plans:
                continue
            parts.append(
                f"## EXPLAIN ANALYZE at {result.size:,} articles: each endpoint's slowest query"
            )
            for name, sql, plan in result.plans:
                parts.append(f"### {name}\n\n```sql\n{sql}\n```\n\n```\n{plan}\n```")
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.output.write_text("\n\n".join(parts) + "\n")
