"""What each tier spends on the requests of a run: CPU per request of the app server, the
primary, the replica and Redis, and which database served the reads
(`manage.py benchmark --replica`); of the app servers, the database, Redis and the balancer
(`manage.py benchmark_tiers`).

CPU is read from /proc (user + system clock ticks of each tier's processes, those that came and
went during the run counted up to the last sample); the reads from `pg_stat_statements` on each
cluster (bench/clusters.py turns it on): the statements that read the app's tables.

`run_balanced()` (`manage.py benchmark_tiers`) measures the same per request for several app
servers behind the shipped balancer: the benchmark's mix of public GETs (bench/scenarios.py)
through nginx (deploy/nginx/botbeat.conf) to two gunicorns (sync workers) sharing PostgreSQL and
Redis, with the environment's DATABASE_URL (PostgreSQL: migrated, and given generate_fake's data
when it has no article) and REDIS_URL (a database of the benchmark's own: it is emptied first).
The mix is built through the balancer (its cursors followed by their `next` links); wrk draws
from it for a warm-up (the response cache fills), then for the measured run. The tiers: the app
servers' processes, the database's backends, redis-server (the whole server: any other client of
it counts too), nginx's master and workers; wrk's own CPU beside them. One machine runs them
all, so they compete for its cores: the figures are CPU per request, not a deployment's
throughput.
"""

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import load, scenarios
from bench.server import (
    HOST,
    Server,
    balancer_config,
    children,
    database_processes,
    free_port,
    http_get,
    process_cpu,
)

ROUTES_KEY = "bench:reads"  # a Redis hash: "GET primary", "GET replica", "POST primary" -> count

TICKS = os.sysconf("SC_CLK_TCK")
WARMUP_SECONDS = 5  # run_balanced's, before the measured run
SAMPLE_SECONDS = 0.5  # how often run_balanced reads /proc: database backends come and go
READS_SQL = (
    "SELECT coalesce(sum(s.calls), 0)::bigint FROM pg_stat_statements s "
    "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() "
    r"AND s.query ~* '^\s*select' AND s.query ~* '\sfrom\s' AND s.query !~ 'pg_'"
)


def processes_named(prefix: bytes) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "cmdline").read_bytes().startswith(prefix):
                    pids.append(int(entry.name))
    return pids


def cluster_processes(cluster) -> list[int]:
    """A cluster's postmaster and its children (backends, WAL sender or receiver, replay)."""
    postmaster = cluster.postmaster()
    return [] if postmaster is None else [postmaster, *children(postmaster)]


class TierCpu:
    """CPU ticks of each tier between `start()` and `stop()`."""

    def __init__(self, tiers: dict[str, Callable[[], list[int]]]):
        self.tiers = tiers
        self.first: dict[str, dict[int, int]] = {}
        self.last: dict[str, dict[int, int]] = {}

    def sample(self, initial: bool = False) -> None:
        for name, pids in self.tiers.items():
            first, last = self.first.setdefault(name, {}), self.last.setdefault(name, {})
            for pid in pids():
                ticks = process_cpu(pid)
                if ticks:
                    first.setdefault(pid, ticks if initial else 0)
                    last[pid] = ticks

    def seconds(self) -> dict[str, float]:
        self.sample()
        return {
            name: sum(self.last[name][pid] - self.first[name][pid] for pid in self.last[name])
            / TICKS
            for name in self.tiers
        }


class CountReads:
    """In the server (bench.settings, with replicas): counts the requests that read the
    database, by method and by where their reads went (a cache hit reads nothing)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django_redis import get_redis_connection

        from botbeat import replicas

        response = self.get_response(request)
        route = replicas._route.get()
        if route is not None and route.chosen is not None:
            where = "primary" if route.chosen == replicas.PRIMARY else "replica"
            method = "GET" if request.method in replicas.SAFE_METHODS else "write"
            get_redis_connection("default").hincrby(ROUTES_KEY, f"{method} {where}", 1)
        return response


def routes(redis_url: str) -> dict[str, int]:
    import redis

    counts = redis.Redis.from_url(redis_url).hgetall(ROUTES_KEY)
    return {key.decode(): int(value) for key, value in counts.items()}


def reads(cluster, database: str) -> int:
    return int(cluster.sql(READS_SQL, database=database)[0][0])


class Tiers:
    """One run's figures: `start()`, the load, `stop(requests)`; `line()` says them."""

    def __init__(
        self, server_pids: Callable[[], list[int]], primary, replica, database: str, redis_url: str
    ):
        self.primary, self.replica, self.database = primary, replica, database
        self.redis_url = redis_url
        tiers = {
            "app": server_pids,
            "primary": lambda: cluster_processes(primary),
            "replica": lambda: cluster_processes(replica),
            "redis": lambda: processes_named(b"redis-server"),
        }
        self.cpu = TierCpu(tiers)

    def start(self) -> None:
        self.cpu.sample(initial=True)
        self.reads_before = (reads(self.primary, self.database), reads(self.replica, self.database))
        self.routes_before = routes(self.redis_url)

    def stop(self, requests: int) -> None:
        self.requests = max(1, requests)
        self.cpu_seconds = self.cpu.seconds()
        after = (reads(self.primary, self.database), reads(self.replica, self.database))
        self.on_primary = after[0] - self.reads_before[0]
        self.on_replica = after[1] - self.reads_before[1]
        counted = routes(self.redis_url)
        self.routes = {k: v - self.routes_before.get(k, 0) for k, v in counted.items()}

    def primary_share(self) -> float:
        total = self.on_primary + self.on_replica
        return self.on_primary / total if total else 0.0

    def gets_on_primary(self) -> tuple[int, int]:
        """GET requests that read the database: on the primary, in all."""
        primary = self.routes.get("GET primary", 0)
        return primary, primary + self.routes.get("GET replica", 0)

    def line(self) -> str:
        per_request = ", ".join(
            f"{name} {seconds * 1000 / self.requests:.3f}"
            for name, seconds in self.cpu_seconds.items()
        )
        on_primary, gets = self.gets_on_primary()
        share = on_primary / gets if gets else 0.0
        return (
            f"GETs that read the database: {on_primary:,} of {gets:,} on the primary "
            f"({share:.1%}); read statements on the primary: {self.on_primary:,} of "
            f"{self.on_primary + self.on_replica:,} ({self.primary_share():.1%}, the writes' own "
            f"included); CPU ms per request: {per_request}"
        )


@dataclass
class Figures:
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_s: dict[str, float]  # per tier, over the measured run

    def per_request_ms(self, tier: str) -> float:
        return 1000 * self.cpu_s[tier] / max(self.requests, 1)


class Balancer:
    """nginx in the foreground, everything it writes in a directory of its own."""

    def __init__(self, port: int, upstreams: list[int]):
        self.port = port
        self.prefix = Path(tempfile.mkdtemp(prefix="botbeat-tiers-nginx-"))
        self.prefix.chmod(0o755)  # run as root, its workers are www-data
        config = self.prefix / "nginx.conf"
        config.write_text(balancer_config(port, upstreams))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(
            [nginx, "-p", f"{self.prefix}/", "-c", str(config), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    def pids(self) -> list[int]:
        return [self.process.pid, *children(self.process.pid)]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        shutil.rmtree(self.prefix, ignore_errors=True)


def balanced_env() -> dict[str, str]:
    """The environment of the app servers behind the balancer: the same secret key on each,
    the balancer counted in X-Forwarded-For, no read limit (wrk is one client), and the
    production statement timeout (manage.py turns it off for the commands, this one too)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_STATEMENT_TIMEOUT_MS"}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "botbeat.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "ALLOWED_HOSTS": HOST,
        "NUM_PROXIES": "1",
        "THROTTLE_READ": "100000000/minute",
    }


def ensure_data(articles: int, say: Callable[[str], None]) -> None:
    from django.core.management import call_command

    from articles.models import Article

    call_command("migrate", verbosity=0, interactive=False)
    if not Article.objects.exists():
        say(f"generate_fake --articles {articles} --comments {articles * 10} ...")
        call_command("generate_fake", articles=articles, comments=articles * 10, verbosity=0)


def build_mix(port: int, limit: int) -> tuple[list[str], list[float]]:
    """The mix's paths and weights, its cursors followed through the balancer."""
    origin = f"http://{HOST}:{port}"

    def follow(path: str, pages: int) -> list[str]:
        found = []
        while len(found) < pages:
            status, _, body = http_get(port, path)
            link = json.loads(body).get("next") if status == 200 else None
            if not link:
                break
            path = link.removeprefix(origin)
            found.append(path)
        return found

    mix = scenarios.build_mix(scenarios.mix_groups(follow, limit=limit))
    return [url.path for url in mix], [url.weight for url in mix]


def run_balanced(
    *,
    app_servers: int,
    workers: int,
    duration: int,
    connections: int,
    mix_urls: int,
    articles: int,
    say: Callable[[str], None],
) -> Figures:
    import redis
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        raise RuntimeError("Needs PostgreSQL: DATABASE_URL=postgres://...")
    if not settings.REDIS_URL:
        raise RuntimeError("Needs Redis: REDIS_URL=redis://... (a database of its own)")
    load.ensure_wrk(say)
    ensure_data(articles, say)
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="botbeat-tiers-"))
    env = balanced_env()
    servers = [
        Server("sync", port=free_port(), workers=workers, threads=1, env=env,
               cwd=settings.BASE_DIR, log=workdir / f"gunicorn-{n}.log")
        for n in range(app_servers)
    ]  # fmt: skip
    balancer = None
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready("/healthz")
        balancer = Balancer(free_port(), [server.port for server in servers])
        wait_for(balancer.port)
        say(f"{app_servers} x {servers[0].label} behind nginx on port {balancer.port}")
        paths, weights = build_mix(balancer.port, mix_urls)
        script = workdir / "mix.lua"
        script.write_text(load.mix_script(paths, weights))
        url = f"http://{HOST}:{balancer.port}/"
        threads = min(connections, 2)
        say(f"the mix: {len(paths):,} URLs; warm-up {WARMUP_SECONDS} s")
        load.run_wrk(url, duration=WARMUP_SECONDS, connections=connections, threads=threads,
                     script=script)  # fmt: skip
        name = connection.settings_dict["NAME"]
        cpu = TierCpu(
            {
                "app": lambda: [p for s in servers for p in (s.process.pid, *s.worker_pids())],
                "postgres": lambda: database_processes(name),
                "redis": lambda: processes_named(b"redis-server"),
                "nginx": balancer.pids,
            }
        )
        cpu.sample(initial=True)
        wrk_before = process_cpu("self")
        done = threading.Event()

        def sample() -> None:  # backends come and go
            while not done.wait(SAMPLE_SECONDS):
                cpu.sample()

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        say(f"measuring {duration} s, {connections} connections")
        try:
            result = load.run_wrk(url, duration=duration, connections=connections,
                                  threads=threads, script=script)  # fmt: skip
        finally:
            done.set()
            sampler.join()
        cpu_s = cpu.seconds()
        cpu_s["wrk (the load)"] = (process_cpu("self") - wrk_before) / TICKS
    finally:
        if balancer is not None:
            balancer.stop()
        for server in servers:
            server.stop()
    return Figures(
        requests=result.requests,
        requests_per_s=result.requests_per_s,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        errors=result.errors,
        cpu_s=cpu_s,
    )


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if http_get(port, "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"nginx did not answer on port {port} within {timeout} s")
        time.sleep(0.2)
