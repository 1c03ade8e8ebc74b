"""The run: for each size, the data, the in-process costs, the server, the table, the mix.

For each size (`--sizes`), it:
1. drops and recreates the benchmark database (its name must contain "bench"), migrates it and
   loads `generate_fake --articles SIZE --comments SIZE*10`, timing the load; creates the
   readers who write in the phases (a real password hash, a bearer token each);
2. picks the per-endpoint table's URLs (bench/scenarios.py) and computes each in-process with
   the response cache off (queries, time, time in the database);
3. builds the mix: thousands of public URLs of every kind picked from the data, pages by cursor
   reached through the API's own `next` links; every one is computed in-process once, the
   slowest again (median of 3): the report lists the most expensive;
4. starts the server (`--server`; bench/server.py) on a free loopback port with DEBUG off, a
   random SECRET_KEY, Redis as the shared cache, `bench.settings` (the ceiling routed), warms
   each endpoint up and drives each with wrk (`--endpoint-duration` seconds, `--repeat` times);
5. runs the phases (`--phases`): before each, every URL of the mix is requested once (the cache
   holds what it can), then wrk draws from the mix by Zipf weight for `--duration` seconds
   while the writers (`python -m bench.writers`, another process) post comments or sign in at
   a steady rate; then every acknowledged write is looked up in the database;
6. at the largest size, `--servers` measures the ceiling and the mix without writes on each
   server named, one after the other.

The report (Markdown, `--output`) and its chart (PNG, beside it) are rewritten after each size.

The command runs itself against the benchmark database with the server's settings: unless its
environment already is the benchmark's, it re-executes itself with DATABASE_URL, DEBUG,
ALLOWED_HOSTS, SECRET_KEY, REDIS_URL, THROTTLE_TOKEN, THROTTLE_READ (every request comes from
one address) and DJANGO_SETTINGS_MODULE=bench.settings set as the server gets them (the server
inherits that environment), so that what it computes in-process is what the server runs. All
traffic goes to 127.0.0.1; every wait is bounded.
"""

import contextlib
import json
import math
import os
import platform
import random
import re
import secrets
import shlex
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from bench import ceiling, clusters, load, report, scenarios
from bench.report import (
    COMMENTS_PER_ARTICLE,
    MISS_RUNS,
    Measure,
    PhaseResult,
    Priming,
    ServerResult,
    SizeResult,
    UrlCost,
    Writes,
    mib,
    number,
    without_password,
)
from bench.scenarios import MixUrl, Phase
from bench.server import (
    HOST,
    CpuShare,
    Server,
    ServerError,
    database_processes,
    describe,
    free_port,
    http_get,
    parse_servers,
)
from bench.tiers import Tiers

DEFAULT_SIZES = "1000,10000,100000"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/botbeat_bench"
# The server the benchmark runs by default: the one recommended for deployment (the report of
# `manage.py benchmark --servers all` compares them).
DEFAULT_SERVER = "granian"
# Database 15: the benchmark's own, flushed before each size so no answer cached at another
# size (or by another run) is served.
REDIS_URL = "redis://127.0.0.1:6379/15"
ENV_MARK = "BOTBEAT_BENCHMARK_ENV"  # set in the re-executed process
CLUSTERS_ENV = "BOTBEAT_BENCHMARK_CLUSTERS"  # --replica: the clusters' directory
REPLICA_ENV = "BOTBEAT_BENCHMARK_REPLICA_URL"
SETTINGS_MODULE = "bench.settings"
# Every sign-in comes from 127.0.0.1, which the per-address throttle (10/minute by default)
# would refuse after ten: the server runs with this rate instead (named in the report).
THROTTLE_TOKEN = "10000/minute"
# Every request comes from 127.0.0.1 too, thousands a second: the read limit (600/minute per
# address by default) would refuse nearly all of them. Still counted, at a rate never reached,
# so that the figures include what the count costs.
THROTTLE_READ = "100000000/minute"
# The issue's budget: 100,000 articles and 1,000,000 comments in two minutes.
LOAD_BUDGET_SECONDS_PER_100K = 120
DRAIN_TIMEOUT = 300
SOAK_CHUNK = 10  # seconds
LOCAL_DATABASE_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
# The settings the benchmark itself sets for the server (reexec(), run_size()).
BENCHMARK_ENVIRONMENT = {
    "DATABASE_URL", "DEBUG", "ALLOWED_HOSTS", "SECRET_KEY", "REDIS_URL", "THROTTLE_TOKEN",
    "THROTTLE_READ",
}  # fmt: skip
READER_PREFIX = "bench-reader-"
WRITERS_START_DELAY = 0.5  # seconds between starting the writers' process and their first write
SLOWEST_REMEASURED = 20  # the mix's slowest URLs, computed MISS_RUNS more times each
REMEASURE_SECONDS = 60  # at most, for those


class BenchmarkError(Exception):
    """What stops the run: the command turns it into a CommandError."""


def parse_sizes(raw: str) -> list[int]:
    try:
        sizes = sorted({int(s) for s in raw.split(",") if s.strip()})
    except ValueError:
        raise BenchmarkError(f"--sizes {raw!r}: give article counts, e.g. 1000,10000.") from None
    if not sizes or sizes[0] < 1:
        raise BenchmarkError("--sizes: give positive article counts.")
    return sizes


def check_database_url(url: str) -> None:
    database = dj_database_url.parse(url)
    name = database.get("NAME") or ""
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise BenchmarkError("--database-url: the benchmark runs on PostgreSQL.")
    if "bench" not in name:
        raise BenchmarkError(
            f"Refusing to drop database {name!r}: the benchmark's database name must "
            "contain 'bench' (e.g. botbeat_bench)."
        )
    host = database.get("HOST") or ""
    if host not in LOCAL_DATABASE_HOSTS and not host.startswith(("/", "127.")):
        raise BenchmarkError("--database-url: the benchmark measures this machine: a local host.")


RATE_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def readers_needed(posts_per_s: float, throttle: str, margin: float = 1.25) -> int:
    """Readers enough to post `posts_per_s` in turn, each within the per-user throttle
    (`10/minute`), with a margin: the throttle is part of what a post costs, so it stays on."""
    if posts_per_s <= 0:
        return 1
    count, _, period = throttle.partition("/")
    per_s = int(count) / RATE_SECONDS[period[0]]
    return max(1, math.ceil(posts_per_s / per_s * margin))


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Benchmark:
    def __init__(self, options: dict, say):
        self.options = options
        self.say = say

    # Setup

    def run(self) -> None:
        options = self.options
        sizes = parse_sizes(options["sizes"])
        for name in (
            "duration", "endpoint_duration", "connections", "workers", "threads", "wrk_threads",
            "repeat",
        ):  # fmt: skip
            if options[name] < 1:
                raise BenchmarkError(f"--{name.replace('_', '-')} must be at least 1.")
        if options["connections"] < options["wrk_threads"]:
            raise BenchmarkError("--connections must be at least --wrk-threads.")
        if options["soak"] < 0 or options["warmup"] < 0:
            raise BenchmarkError("--soak and --warmup take 0 or more.")
        if options["mix_urls"] < 1 or options["prime_seconds"] < 0:
            raise BenchmarkError("--mix-urls must be at least 1, --prime-seconds 0 or more.")
        try:
            self.phases = scenarios.parse_phases(options["phases"])
            self.servers = parse_servers(options["servers"]) if options["servers"] else []
        except ValueError as error:
            raise BenchmarkError(str(error)) from None
        self.clusters = None
        if options.get("replica"):
            self.clusters = self.replica_clusters()
        check_database_url(options["database_url"])
        if os.environ.get(ENV_MARK) != options["database_url"]:
            self.reexec(options["database_url"])
        try:
            self.run_sizes(sizes)
        finally:
            if self.clusters:
                clusters.remove(self.clusters[0].directory.parent)

    def replica_clusters(self) -> tuple[clusters.Cluster, clusters.Cluster]:
        """--replica: the primary and the replica, made before the process runs again in the
        server's environment (whose DATABASE_URL is the primary), found again after."""
        root = os.environ.get(CLUSTERS_ENV)
        if root is None:
            if reason := clusters.unavailable():
                raise BenchmarkError(f"--replica: {reason}.")
            name = urlsplit(self.options["database_url"]).path.lstrip("/")
            primary, replica = clusters.create(name)
            os.environ[CLUSTERS_ENV] = str(primary.directory.parent)
            os.environ[REPLICA_ENV] = replica.url(name)
            self.options["database_url"] = primary.url(name)
            return primary, replica
        self.options["database_url"] = os.environ[ENV_MARK]
        return (
            clusters.Cluster(Path(root) / "primary", urlsplit(os.environ[ENV_MARK]).port or 0),
            clusters.Cluster(Path(root) / "replica", urlsplit(os.environ[REPLICA_ENV]).port or 0),
        )

    def run_sizes(self, sizes: list[int]) -> None:
        options = self.options

        # SIGTERM too runs the `finally` blocks that stop the server.
        signal.signal(signal.SIGTERM, interrupted)
        output = Path(options["output"])
        self.output = output if output.is_absolute() else settings.BASE_DIR / output
        self.chart = self.output.with_suffix(".png")
        self.started = datetime.now(UTC)
        try:
            load.ensure_wrk(self.say)
        except load.LoadError as error:
            raise BenchmarkError(str(error)) from None
        self.header = self.describe_run(sizes)
        self.say("\n".join(self.header))
        results: list[SizeResult] = []
        try:
            for size in sizes:
                results.append(self.run_size(size, last=size == sizes[-1]))
                self.write_report(results)
        except KeyboardInterrupt:
            self.write_report(results)
            raise BenchmarkError(f"Interrupted; the sizes done are in {self.output}.") from None
        except (ServerError, load.LoadError) as error:
            self.write_report(results)
            raise BenchmarkError(str(error)) from None
        self.say("\n" + report.render_growth(results))
        self.say("\n" + report.render_targets(results, options["connections"]))
        self.say(f"\nThe report: {self.output}" + (f" and {self.chart}" if self.drew else ""))

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
                "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
                "THROTTLE_TOKEN": THROTTLE_TOKEN,
                "THROTTLE_READ": THROTTLE_READ,
            }
        )
        self.say(
            "Running in the server's environment: DATABASE_URL, DEBUG=false, "
            f"ALLOWED_HOSTS={HOST}, a random SECRET_KEY, REDIS_URL={REDIS_URL}, "
            f"DJANGO_SETTINGS_MODULE={SETTINGS_MODULE}, THROTTLE_TOKEN={THROTTLE_TOKEN}, "
            f"THROTTLE_READ={THROTTLE_READ}."
        )
        sys.stdout.flush()
        sys.stderr.flush()
        manage = str(settings.BASE_DIR / "manage.py")
        os.execve(sys.executable, [sys.executable, manage, *sys.argv[1:]], env)

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
        import django
        import gunicorn

        versions = [f"Django {django.__version__}", f"gunicorn {gunicorn.__version__}"]
        for name in ("granian", "uvicorn"):
            with contextlib.suppress(ImportError):
                versions.append(f"{name} {__import__(name).__version__}")
        database_url = without_password(options["database_url"])
        # Any other setting the caller's environment gives (e.g. RESPONSE_CACHE=false) changes
        # what is measured: name them, as botbeat/settings.py reads them.
        source = (settings.BASE_DIR / "botbeat" / "settings.py").read_text()
        names = set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', source)) - BENCHMARK_ENVIRONMENT
        given = [f"{name}={os.environ[name]}" for name in sorted(names) if name in os.environ]
        throttles = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        phases = ", ".join(p.label for p in self.phases) or "none"
        return [
            "# BotBeat benchmark",
            "",
            f"- when: {self.started:%Y-%m-%d %H:%M} UTC",
            f"- command: `uv run python manage.py {without_password(shlex.join(sys.argv[1:]))}`",
            f"- resolved: sizes {', '.join(f'{s:,}' for s in sizes)} articles "
            f"({COMMENTS_PER_ARTICLE} comments per article); the mix: about "
            f"{options['mix_urls']:,} URLs, Zipf s={options['zipf']:g}, phases {phases}, "
            f"{options['duration']}s each; each endpoint {options['endpoint_duration']}s, "
            f"{options['repeat']} run(s) interleaved (medians; errors summed); "
            f"{options['warmup']}s warm-up; wrk {options['connections']} connections, "
            f"{options['wrk_threads']} thread(s); server: "
            f"{describe(options['server'], options['workers'], options['threads'])}"
            + (f"; compared at the largest size: {', '.join(self.servers)}" if self.servers else "")
            + f"; database {database_url}; cache {REDIS_URL}",
            f"- machine: {os.cpu_count()} cores ({cpu}), {memory_kib / 1024**2:.1f} GiB memory; "
            f"PostgreSQL {postgres}; Python {platform.python_version()}, {', '.join(versions)}, "
            f"{load.wrk_version()}",
            "- the load generator and the writers run on the same cores as the server and the "
            "database",
            f"- throttles: comment posts {throttles['comment_post']} per reader (kept: enough "
            f"readers post in turn), sign-ins {throttles['token']} per address (raised from "
            f"10/minute: every sign-in comes from 127.0.0.1), every request {throttles['read']} "
            "per address (raised from 600/minute, likewise; still counted)",
            "- the server runs with the production statement timeout (settings.py's "
            f"DATABASE_STATEMENT_TIMEOUT_MS default, {settings_default_timeout()} ms); "
            "in-process costs are measured without one",
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

    def write_report(self, results: list[SizeResult]) -> None:
        self.drew = False
        try:
            self.drew = report.draw_chart(results, self.chart)
        except ImportError:
            self.say("  (no chart: matplotlib is missing; `uv sync` installs the bench group)")
        text = report.render(
            self.header,
            results,
            connections=self.options["connections"],
            chart=self.chart.name if self.drew else "",
        )
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.output.write_text(text)

    # One size

    def run_size(self, size: int, *, last: bool) -> SizeResult:
        result = SizeResult(size=size)
        self.say(f"\n## {size:,} articles, {size * COMMENTS_PER_ARTICLE:,} comments\n")
        self.load_data(result)
        self.readers = self.create_readers() if self.phases else []
        self.flush_cache(result)
        port = free_port()
        host = f"{HOST}:{port}"
        try:
            choice = scenarios.choose_endpoints(ceiling.PATH)
        except ValueError as error:
            raise BenchmarkError(str(error)) from None
        result.notes += choice.notes
        result.measures = [Measure(endpoint) for endpoint in choice.endpoints]
        self.page_two_cursor = choice.page_two_cursor
        feed_bytes = self.count_queries(result, host)
        if self.phases or self.servers:
            self.build_mix(result, host)
        self.explain(result, every=last and self.options["explain"])

        self.server_env = {**os.environ, "BENCHMARK_CEILING_BYTES": str(feed_bytes)}
        self.server_env.pop(ENV_MARK, None)
        if self.clusters:
            self.server_env["DATABASE_REPLICA_URLS"] = os.environ[REPLICA_ENV]
        # manage.py turns the statement timeout off for management commands (this one too);
        # the server runs with the production default (settings.py), as deployed.
        self.server_env.pop("DATABASE_STATEMENT_TIMEOUT_MS", None)
        server = self.make_server(self.options["server"], port, f"{size}")
        try:
            self.say(f"  {server.label} on {host} (log: {server.log_path})")
            server.start()
            server.wait_ready(ceiling.PATH)
            self.check_answers(result, port, feed_bytes)
            self.warm_up(result, port)
            before = server.rss_kib()
            name = connection.settings_dict["NAME"]
            cpu = CpuShare(
                lambda: [server.process.pid, *server.worker_pids(), *database_processes(name)]
            )
            for round_ in range(self.options["repeat"]):
                for measure in result.loaded:
                    run = self.wrk(
                        port,
                        measure.endpoint.path,
                        headers=measure.endpoint.headers,
                        duration=self.options["endpoint_duration"],
                    )
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
            if self.phases:
                result.mix_ceiling = self.wrk(port, "/", script=self.mix_ceiling_script)
                self.say(
                    f"  the mix's ceiling {'':<14} {result.mix_ceiling.requests_per_s:>9,.0f}/s  "
                    f"p50 {result.mix_ceiling.p50_ms:6.1f} ms  "
                    f"p99 {result.mix_ceiling.p99_ms:6.1f} ms  errors {result.mix_ceiling.errors}"
                )
            for phase in self.phases:
                result.phases.append(self.run_phase(result, server, phase))
            if last and self.options["soak"]:
                self.soak(result, server)
            if server.process.poll() is not None:
                result.notes.append(f"the server exited during the run:\n{server.log_tail()}")
        finally:
            server.stop()
        if last and self.servers:
            self.compare_servers(result)
        self.say("")
        self.say(report.render_mix(result))
        self.say(report.render_servers(result))
        self.say(report.render_size(result))
        return result

    def make_server(self, kind: str, port: int, tag: str) -> Server:
        return Server(
            kind,
            port=port,
            workers=self.options["workers"],
            threads=self.options["threads"],
            env=self.server_env,
            cwd=settings.BASE_DIR,
            log=self.output.parent / f"server-{kind}-{tag}.log",
        )

    def holds(self, size: int) -> bool:
        """Whether the benchmark database holds generate_fake's data for `size` already."""
        from articles.models import Article
        from comments.models import Comment

        try:
            return (
                Article.objects.count() == size
                # The phases' posts add a few hundred comments at most.
                and 0 <= Comment.objects.count() - size * COMMENTS_PER_ARTICLE < size
            )
        except DatabaseError:  # no such database, or not migrated
            return False
        finally:
            connections.close_all()

    def load_data(self, result: SizeResult) -> None:
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
        if self.clusters:
            self.clusters[0].sql("CREATE EXTENSION pg_stat_statements", database=name)
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

    def create_readers(self) -> list[dict]:
        """The readers who write in the phases: as many as the fastest posting phase needs
        within the per-user throttle; each with a bearer token, all with one password hashed by
        Django's default hasher (one hash, computed once: a sign-in verifies it at full cost
        whoever signs in)."""
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        from accounts.models import Profile
        from accounts.services import auth_token_issue

        User = get_user_model()
        posting = max((p.rate for p in self.phases if p.kind == "posts"), default=0)
        signing = max((p.rate for p in self.phases if p.kind == "signins"), default=0)
        throttle = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["comment_post"]
        count = max(readers_needed(posting, throttle), math.ceil(signing * 10), 10)
        from comments.models import Comment

        # A reused database holds the readers of the last run and what they posted (top-level
        # comments, which nobody answered): gone, the data is generate_fake's again.
        Comment.objects.filter(author__username__startswith=READER_PREFIX).delete()
        User.objects.filter(username__startswith=READER_PREFIX).delete()
        password = secrets.token_urlsafe(18)
        hashed = make_password(password)
        users = User.objects.bulk_create(
            User(username=f"{READER_PREFIX}{i}", password=hashed) for i in range(count)
        )
        Profile.objects.bulk_create(Profile(user=u, display_name=u.username) for u in users)
        readers = []
        for user in users:
            _, token = auth_token_issue(user=user)
            readers.append({"username": user.username, "password": password, "token": token})
        self.say(
            f"  {count} readers created (posting in turn within the throttle {throttle}), "
            "each with a token"
        )
        return readers

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

    # In-process: what answers cost to compute

    def count_queries(self, result: SizeResult, host: str) -> int:
        """Each endpoint twice in-process, anonymous, with wrk's Host; returns the feed's size."""
        client = Client(HTTP_HOST=host)
        feed_bytes = None
        by_name = {m.endpoint.name: m for m in result.measures}
        for measure in result.measures:
            endpoint = measure.endpoint
            if endpoint.name == "ceiling":
                continue
            if endpoint.expect == 304:
                # The feed comes first; a feed without an ETag leaves a 200 here, reported.
                endpoint.headers["If-None-Match"] = by_name["feed"].etag or '"none"'
            response = self.count_one(client, measure)
            if endpoint.name == "feed" and response is not None:
                feed_bytes = len(response.content)
                measure.etag = response.get("ETag")
                found = scenarios.cursor_of(response.json().get("next"))
                if self.page_two_cursor and found != self.page_two_cursor:
                    raise BenchmarkError(
                        "The feed's cursor format is not the one the benchmark builds the deep "
                        f"page's cursor with ({found!r} != {self.page_two_cursor!r}): update "
                        "bench.scenarios.encode_feed_cursor() after botbeat/pagination.py."
                    )
        if feed_bytes is None:
            raise BenchmarkError(
                "The feed did not answer in-process: "
                + "; ".join(by_name["feed"].problems or ["no answer"])
            )
        with override_settings(BENCHMARK_CEILING_BYTES=feed_bytes):
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
        if not endpoint.load:  # what the server's answer gives the others (check_answers)
            measure.status, measure.size = response.status_code, len(response.content)
        if response.status_code != endpoint.expect:
            measure.problems.append(
                f"in-process answer {response.status_code} (expected {endpoint.expect}): "
                f"{response.content[:300]!r}"
            )
        return response

    def build_mix(self, result: SizeResult, host: str) -> None:
        """The mix's URLs (bench/scenarios.py), each computed in-process once with the response
        cache off (pages by cursor are found by computing the page before); the slowest
        computed MISS_RUNS more times (their median replaces the first figure). A URL that
        does not answer 200 is left out of the mix and reported."""
        client = Client(HTTP_HOST=host)
        computed: dict[str, tuple[float, int, int, dict | None]] = {}
        started = time.monotonic()

        def compute(path: str) -> tuple[float, int, int, dict | None]:
            if path not in computed:
                begun = time.perf_counter()
                try:
                    response = client.get(path)
                except Exception as error:  # a crash is a finding, not the end
                    result.mix_problems.append(f"{path}: {type(error).__name__}: {error}")
                    computed[path] = (0.0, 500, 0, None)
                    return computed[path]
                ms = (time.perf_counter() - begun) * 1000
                body = None
                if response.status_code == 200:
                    with contextlib.suppress(ValueError):
                        body = response.json()
                computed[path] = (ms, response.status_code, len(response.content), body)
            return computed[path]

        def follow(path: str, pages: int) -> list[str]:
            found = []
            while len(found) < pages:
                body = compute(path)[3]
                link = body.get("next") if isinstance(body, dict) else None
                if not link:
                    break
                path = link.split(host, 1)[-1] if host in link else link
                found.append(path)
            return found

        with override_settings(RESPONSE_CACHE=False):
            groups = scenarios.mix_groups(follow, limit=self.options["mix_urls"])
            candidates = scenarios.build_mix(groups, self.options["zipf"])
            for url in candidates:
                compute(url.path)
            kept = [url for url in candidates if computed[url.path][1] == 200]
            failed = [url for url in candidates if computed[url.path][1] != 200]
            for url in failed[:10]:
                result.mix_problems.append(
                    f"{url.path} answered {computed[url.path][1]} in-process: left out"
                )
            if len(failed) > 10:
                result.mix_problems.append(f"... and {len(failed) - 10} more URLs left out")
            # The weights of what is left, renormalised.
            total = sum(url.weight for url in kept)
            result.mix = [MixUrl(url.path, url.weight / total, url.group) for url in kept]
            result.costs = [
                UrlCost(url.path, url.group, computed[url.path][0], 200, computed[url.path][2])
                for url in result.mix
            ]
            result.mix_bytes = sum(url.weight * computed[url.path][2] for url in result.mix)
            # The slowest again, warm: one request with its queries counted, MISS_RUNS timed;
            # until the slowest shown are all measured so (a first request may have been slow
            # for a reason of its own: a cold plan, a busy core).
            remeasured: set[str] = set()
            budget = time.monotonic() + REMEASURE_SECONDS
            while time.monotonic() < budget:
                slowest = sorted(result.costs, key=lambda c: c.ms, reverse=True)
                pending = [c for c in slowest[: report.SLOWEST_SHOWN] if c.path not in remeasured]
                if not pending:
                    break
                for cost in slowest[:SLOWEST_REMEASURED]:
                    if cost.path in remeasured or time.monotonic() > budget:
                        continue
                    remeasured.add(cost.path)
                    # Past a second, one more request says enough (and three would take long).
                    runs = 1 if cost.ms > 1000 else MISS_RUNS
                    times = []
                    for run in range(runs):
                        with CaptureQueriesContext(connection) as captured:
                            begun = time.perf_counter()
                            client.get(cost.path)
                            times.append((time.perf_counter() - begun) * 1000)
                        if run == 0:
                            cost.queries = len(captured.captured_queries)
                    cost.ms = statistics.median(times)
        if len(result.mix) < scenarios.MIN_MIX_URLS:
            result.mix_problems.append(
                f"only {len(result.mix):,} distinct URLs (the target is "
                f"{scenarios.MIN_MIX_URLS:,}): this size's data has too few articles, tags or "
                "companies, or --mix-urls is lower"
            )
        self.say(
            f"  the mix: {len(result.mix):,} URLs in {len(scenarios.composition(result.mix))} "
            f"groups, each computed in-process ({time.monotonic() - started:.0f}s); "
            + report.cost_summary(result.costs)
        )
        self.mix_script = self.output.parent / f"mix-{result.size}.lua"
        self.mix_script.parent.mkdir(parents=True, exist_ok=True)
        weights = [u.weight for u in result.mix]
        self.mix_script.write_text(load.mix_script([u.path for u in result.mix], weights))
        # The mix's ceiling: the same draw, each answer replaced by as many precomputed bytes.
        self.mix_ceiling_script = self.output.parent / f"mix-ceiling-{result.size}.lua"
        sizes = [f"{ceiling.PATH}?bytes={computed[u.path][2]}" for u in result.mix]
        self.mix_ceiling_script.write_text(load.mix_script(sizes, weights))

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

    # Through the server

    def check_answers(self, result: SizeResult, port: int, feed_bytes: int) -> None:
        """One request to each endpoint through the server: the status, the size, the ETag."""
        for measure in result.loaded:
            endpoint = measure.endpoint
            if endpoint.expect == 304:
                # Through the server, the feed's ETag is the one just served (the feed is first).
                endpoint.headers["If-None-Match"] = result.measure("feed").etag or '"none"'
            status, headers, body = http_get(port, endpoint.path, endpoint.headers)
            measure.status, measure.size = status, len(body)
            if endpoint.name == "feed":
                measure.etag = headers.get("etag")
                if not measure.etag:
                    measure.problems.append("no ETag: the 304 row measures a 200")
                if len(body) != feed_bytes:
                    measure.problems.append(
                        f"{len(body)} bytes through the server, {feed_bytes} in-process"
                    )
            if endpoint.name == "ceiling" and len(body) != feed_bytes:
                measure.problems.append(f"{len(body)} bytes, not the feed's {feed_bytes}")
            if status != endpoint.expect:
                measure.problems.append(
                    f"the server answered {status} (expected {endpoint.expect}): {body[:300]!r}"
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
    ) -> load.WrkResult:
        result = load.run_wrk(
            f"http://{HOST}:{port}{path}",
            duration=duration or self.options["duration"],
            connections=self.options["connections"],
            threads=self.options["wrk_threads"],
            headers=headers,
            script=script,
        )
        waited = self.drain(port)
        if waited > 1:
            self.say(f"  {'':<28} (the server worked {waited:.1f}s more on what wrk left queued)")
        return result

    def drain(self, port: int) -> float:
        """Waits until the server has worked off what a wrk run left behind, so that it does
        not slow the next run: wrk stops at its deadline, but the requests it sent stay in the
        accept queue and the workers. One ceiling request per worker at once, queued behind
        them (the queue is first in, first out); at most DRAIN_TIMEOUT seconds."""
        workers = self.options["workers"]
        started = time.monotonic()
        try:
            with ThreadPoolExecutor(workers) as pool:
                list(
                    pool.map(
                        lambda _: http_get(port, ceiling.PATH, timeout=DRAIN_TIMEOUT),
                        range(workers),
                    )
                )
        except OSError as error:
            raise BenchmarkError(f"The server did not work off its queue: {error}") from None
        return time.monotonic() - started

    def prime(self, port: int, mix: list[MixUrl]) -> Priming:
        """Every URL of the mix once, the most asked first, a few at a time: the cache then
        holds what it can. At most --prime-seconds: what is left then (the tail, the rarest)
        is left to the phase, and counted."""
        started = time.monotonic()
        deadline = started + self.options["prime_seconds"]

        def get(path: str) -> int | None:
            if time.monotonic() > deadline:
                return None
            try:
                return http_get(port, path)[0]
            except OSError:
                return 0

        paths = [url.path for url in sorted(mix, key=lambda u: u.weight, reverse=True)]
        # Two requests per worker in flight: the workers stay busy, none waits long.
        with ThreadPoolExecutor(2 * self.options["workers"]) as pool:
            statuses = list(pool.map(get, paths))
        done = [status for status in statuses if status is not None]
        return Priming(
            seconds=time.monotonic() - started,
            requested=len(done),
            total=len(paths),
            errors=sum(status != 200 for status in done),
        )

    def db_sessions(self) -> int:
        """The database's sessions other than this process's own."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0]

    def run_phase(self, result: SizeResult, server: Server, phase: Phase) -> PhaseResult:
        """Prime the cache, then the mix under wrk for --duration seconds while the writers
        write; then check every acknowledged write in the database."""
        outcome = PhaseResult(phase)
        port = server.port
        outcome.priming = self.prime(port, result.mix)
        duration = self.options["duration"]
        name = connection.settings_dict["NAME"]
        cpu = CpuShare(
            lambda: [server.process.pid, *server.worker_pids(), *database_processes(name)]
        )
        writers = None
        if phase.kind != "reads":
            writers = self.start_writers(result, port, phase, duration)
            time.sleep(max(0.0, writers["start_at"] - time.time()))
        if self.clusters:
            tiers = Tiers(
                lambda: [server.process.pid, *server.worker_pids()], *self.clusters, name, REDIS_URL
            )
            tiers.start()
        try:
            outcome.run = load.run_wrk(
                f"http://{HOST}:{port}/",
                duration=duration,
                connections=self.options["connections"],
                threads=self.options["wrk_threads"],
                script=self.mix_script,
            )
        finally:
            if writers:
                outcome.writes = self.finish_writers(writers, outcome)
        cpu.sample()
        if self.clusters:
            writes = outcome.writes.attempted * 2 if outcome.writes else 0  # and read back
            tiers.stop(outcome.run.requests + writes)
            result.notes.append(f"--replica, mix {phase.label}: {tiers.line()}")
            self.say(f"  {tiers.line()}")
        outcome.cpu_others = cpu.others()
        outcome.db_connections = self.db_sessions()
        self.drain(port)
        run, writes = outcome.run, outcome.writes
        self.say(
            f"  mix, {phase.label:<22} {run.requests_per_s:>9,.0f}/s  "
            f"x ceiling {number(result.phase_ratio(outcome), 2)}  p50 {run.p50_ms:6.1f} ms  "
            f"p99 {run.p99_ms:6.1f} ms  errors {run.errors}  primed {outcome.priming}"
            + (
                f"  writes {writes.acknowledged}/{writes.attempted} acknowledged, "
                f"{writes.lost} lost"
                + ("" if writes.unseen is None else f", {writes.unseen} not read back at once")
                if writes
                else ""
            )
        )
        return outcome

    def start_writers(self, result: SizeResult, port: int, phase: Phase, duration: int) -> dict:
        """The writers' process, its jobs prepared: comment posts by the readers in turn, on
        articles drawn by the mix's Zipf weights over the newest, or sign-ins in turn."""
        from articles.models import Article

        count = math.ceil(phase.rate * duration)
        run = secrets.token_hex(4)
        rng = random.Random(len(result.phases))
        if phase.kind == "posts":
            slugs = list(
                Article.objects.published()
                .filter(comments_open=True)
                .newest_first()
                .values_list("slug", flat=True)[:200]
            )
            weights = scenarios.zipf_weights(len(slugs), self.options["zipf"])
            chosen = rng.choices(slugs, weights=weights, k=count)
            # Readers post in an order that persists across phases, so that each one's posts
            # stay evenly spaced within the throttle's window.
            offset = getattr(self, "next_reader", 0)
            jobs = [
                {
                    "path": f"{scenarios.FEED}{slug}/comments/",
                    "token": self.readers[(offset + i) % len(self.readers)]["token"],
                    "body": f"Benchmark post {run}-{i}: what a reader thinks of this article.",
                }
                for i, slug in enumerate(chosen)
            ]
            self.next_reader = offset + count
        else:
            jobs = [
                {"username": r["username"], "password": r["password"]}
                for r in (self.readers[i % len(self.readers)] for i in range(count))
            ]
        folder = self.output.parent
        config_path = folder / f"writers-{result.size}-{len(result.phases)}.json"
        result_path = config_path.with_suffix(".result.json")
        result_path.unlink(missing_ok=True)
        start_at = time.time() + WRITERS_START_DELAY
        config = {
            "port": port,
            "kind": phase.kind,
            "rate": phase.rate,
            "start_at": start_at,
            "duration": duration,
            # Enough threads that a write waiting on a busy server does not delay the next.
            "threads": max(4, min(64, math.ceil(phase.rate))),
            "jobs": jobs,
            "read_back": bool(self.clusters),
        }
        config_path.write_text(json.dumps(config))
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.writers", str(config_path), str(result_path)],
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
        )
        return {
            "process": process,
            "start_at": start_at,
            "jobs": jobs,
            "kind": phase.kind,
            "result": result_path,
            "config": config_path,
        }

    def finish_writers(self, writers: dict, outcome: PhaseResult) -> Writes:
        """Waits for the writers, reads their records, and checks each acknowledged write in
        the database: a post by its id and body, a sign-in by its token's digest."""
        process = writers["process"]
        try:
            process.wait(timeout=self.options["duration"] + 90)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            outcome.problems.append("the writers did not finish in time: killed")
        writes = Writes()
        try:
            records = json.loads(writers["result"].read_text())["records"]
        except (OSError, ValueError, KeyError) as error:
            outcome.problems.append(f"no record from the writers ({error})")
            return writes
        writes.attempted = len(records)
        for record in records:
            writes.statuses[record["status"]] = writes.statuses.get(record["status"], 0) + 1
        latencies = [r["ms"] for r in records]
        writes.p50_ms, writes.p99_ms = percentile(latencies, 0.5), percentile(latencies, 0.99)
        writes.max_late_ms = max((r["late_ms"] for r in records), default=0.0)
        if self.clusters:
            writes.unseen = sum(r.get("read_back", "200") != "200" for r in records)
        jobs = writers["jobs"]
        if writers["kind"] == "posts":
            from comments.models import Comment

            acknowledged = {r["id"]: jobs[r["i"]]["body"] for r in records if "id" in r}
            stored = dict(
                Comment.objects.filter(pk__in=list(acknowledged)).values_list("pk", "body")
            )
            writes.lost = sum(stored.get(pk) != body for pk, body in acknowledged.items())
        else:
            from knox.crypto import hash_token
            from knox.models import AuthToken
            from knox.settings import CONSTANTS

            tokens = [r["token"] for r in records if "token" in r]
            acknowledged = tokens
            keys = [t[: CONSTANTS.TOKEN_KEY_LENGTH] for t in tokens]
            digests = set(
                AuthToken.objects.filter(token_key__in=keys).values_list("digest", flat=True)
            )
            writes.lost = sum(hash_token(t) not in digests for t in tokens)
        writes.acknowledged = len(acknowledged)
        # They hold the readers' tokens.
        writers["config"].unlink(missing_ok=True)
        writers["result"].unlink(missing_ok=True)
        return writes

    def compare_servers(self, result: SizeResult) -> None:
        """The ceiling and the mix without writes on each server of --servers, in turn."""
        self.say(f"\n  servers at {result.size:,} articles: {', '.join(self.servers)}")
        for kind in self.servers:
            port = free_port()
            server = self.make_server(kind, port, f"{result.size}-compare")
            outcome = ServerResult(kind, server.label, server.display_command)
            result.servers.append(outcome)
            try:
                server.start()
                server.wait_ready(ceiling.PATH)
                # A short warm-up of the ceiling, then the mix primed: every worker started.
                self.wrk(port, ceiling.PATH, duration=max(1, self.options["warmup"]))
                outcome.ceiling = self.wrk(port, ceiling.PATH)
                if result.mix:
                    outcome.mix_ceiling = self.wrk(port, "/", script=self.mix_ceiling_script)
                    outcome.priming = self.prime(port, result.mix)
                    if outcome.priming.errors:
                        outcome.problems.append(
                            f"{outcome.priming.errors} URLs did not answer 200 priming"
                        )
                    outcome.mix = self.wrk(port, "/", script=self.mix_script)
                outcome.db_connections = self.db_sessions()
                rss = server.rss_kib()
                outcome.rss_mib = sum(rss.values()) / 1024 if rss else None
                if server.process.poll() is not None:
                    outcome.problems.append(f"exited during the run:\n{server.log_tail()}")
            except (ServerError, load.LoadError, BenchmarkError, OSError) as error:
                outcome.problems.append(str(error)[:500])
            finally:
                server.stop()
            ceiling_rate = number(outcome.ceiling.requests_per_s if outcome.ceiling else None)
            mix_rate = number(outcome.mix.requests_per_s if outcome.mix else None)
            self.say(
                f"  {outcome.label:<40} ceiling {ceiling_rate}/s  mix's ceiling "
                f"{number(outcome.mix_ceiling.requests_per_s if outcome.mix_ceiling else None)}/s"
                f"  mix {mix_rate}/s "
                f"(x {number(outcome.ratio, 2)})  p99 "
                f"{number(outcome.mix.p99_ms if outcome.mix else None, 1)} ms  db connections "
                f"{number(outcome.db_connections)}"
                + "".join(f"\n    PROBLEM: {p}" for p in outcome.problems)
            )

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
        script.write_text(load.rotating_script([feed.endpoint.path, detail.endpoint.path]))
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


def settings_default_timeout() -> int:
    """The statement timeout the server gets: the caller's DATABASE_STATEMENT_TIMEOUT_MS is
    not passed on (manage.py sets it to 0 for every command), so settings.py's default."""
    source = (settings.BASE_DIR / "botbeat" / "settings.py").read_text()
    match = re.search(r'env_int\("DATABASE_STATEMENT_TIMEOUT_MS", (\d+)\)', source)
    return int(match[1]) if match else 0


def interrupted(signum, frame):
    raise KeyboardInterrupt
