"""CPU per request of each tier of a balanced deployment, for issue 15's capacity model: the
benchmark's mix of public GETs (bench/scenarios.py) through nginx, with the shipped configuration
(deploy/nginx/botbeat.conf), to two gunicorns (sync workers) sharing PostgreSQL and Redis.

`manage.py benchmark_tiers` (botbeat/management/commands/benchmark_tiers.py) runs `run()` with
the environment's DATABASE_URL (PostgreSQL: migrated, and given generate_fake's data when it has
no article) and REDIS_URL (a database of the benchmark's own: it is emptied first). The mix is
built through the balancer (its cursors followed by their `next` links), wrk draws from it for a
warm-up (the response cache fills), then for the measured run. Each tier's CPU over the measured
run: the app servers' processes (masters and workers), nginx's, and the database's backends,
from /proc (sampled every half second: backends come and go); redis-server's from its INFO
(`used_cpu_user` + `used_cpu_sys`: the whole server, so any other client of that Redis counts
too); wrk's own beside them. One machine runs everything, so the tiers compete for its cores:
the figures are CPU per request, not the throughput of a real deployment.
"""

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

import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench import load, scenarios
from bench.server import (
    HOST,
    Server,
    Ticks,
    balancer_config,
    children,
    database_processes,
    free_port,
    http_get,
    process_cpu,
)

CLOCK_TICKS = 100  # per second: /proc's unit (os.sysconf("SC_CLK_TCK") on Linux)
WARMUP_SECONDS = 5
SAMPLE_SECONDS = 0.5


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


def server_env() -> dict[str, str]:
    """The benchmark's environment for the app servers: the same secret key on each, the
    balancer counted in X-Forwarded-For, no read limit (wrk is one client), and the production
    statement timeout (manage.py turns it off for the commands, this one too)."""
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


def run(
    *,
    app_servers: int,
    workers: int,
    duration: int,
    connections: int,
    mix_urls: int,
    articles: int,
    say: Callable[[str], None],
) -> Figures:
    if connection.vendor != "postgresql":
        raise RuntimeError("Needs PostgreSQL: DATABASE_URL=postgres://...")
    if not settings.REDIS_URL:
        raise RuntimeError("Needs Redis: REDIS_URL=redis://... (a database of its own)")
    load.ensure_wrk(say)
    ensure_data(articles, say)
    store = redis.Redis.from_url(settings.REDIS_URL)
    store.flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="botbeat-tiers-"))
    env = server_env()
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
        tiers = {
            "app": Ticks(lambda: [p for s in servers for p in (s.process.pid, *s.worker_pids())]),
            "postgres": Ticks(lambda: database_processes(name)),
            "nginx": Ticks(balancer.pids),
        }
        redis_before, wrk_before = redis_cpu(store), process_cpu("self")
        done = threading.Event()

        def sample() -> None:
            while not done.wait(SAMPLE_SECONDS):
                for ticks in tiers.values():
                    ticks.sample()

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        say(f"measuring {duration} s, {connections} connections")
        try:
            result = load.run_wrk(url, duration=duration, connections=connections,
                                  threads=threads, script=script)  # fmt: skip
        finally:
            done.set()
            sampler.join()
        for ticks in tiers.values():
            ticks.sample()
        cpu_s = {tier: ticks.total() / CLOCK_TICKS for tier, ticks in tiers.items()}
        cpu_s["redis"] = redis_cpu(store) - redis_before
        cpu_s["wrk (the load)"] = (process_cpu("self") - wrk_before) / CLOCK_TICKS
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


def redis_cpu(store: redis.Redis) -> float:
    info = store.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
