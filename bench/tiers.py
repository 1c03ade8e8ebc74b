"""What each tier spends on the requests of a run: CPU per request of the app server, the
primary, the replica, Redis (and the balancer, when one is in front), and which database served
the reads (`manage.py benchmark --replica`).

CPU is read from /proc (user + system clock ticks of each tier's processes, those that came and
went during the run counted up to the last sample); the reads from `pg_stat_statements` on each
cluster (bench/clusters.py turns it on): the statements that read the app's tables.
"""

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from bench.server import children, process_cpu

ROUTES_KEY = "bench:reads"  # a Redis hash: "GET primary", "GET replica", "POST primary" -> count

TICKS = os.sysconf("SC_CLK_TCK")
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
        if processes_named(b"nginx"):
            tiers["balancer"] = lambda: processes_named(b"nginx")
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
