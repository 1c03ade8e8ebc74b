"""`manage.py benchmark`: BotBeat under a realistic mix of reads and writes, and each endpoint
against the framework's ceiling, at several sizes. The benchmark itself is `bench/`
(bench/runner.py says what a run does).

    uv run python manage.py benchmark [--sizes 1000,10000,100000] [--duration 10]
        [--phases reads,posts:2,posts:20,signins:1] [--mix-urls 4000] [--zipf 1.0]
        [--prime-seconds 60]
        [--endpoint-duration 3] [--server granian] [--servers all] [--workers N] [--threads T]
        [--connections 16] [--repeat K] [--soak N] [--explain] [--reuse] [--replica]
        [--database-url postgres://postgres@127.0.0.1:5432/botbeat_bench]
        [--output .bench/results.md]
"""

import os

from django.core.management.base import BaseCommand, CommandError

from bench import runner, scenarios
from bench.server import KINDS


class Command(BaseCommand):
    help = __doc__
    # The server it starts runs no system checks either; a broken admin must not stop a
    # measurement of the API.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--sizes",
            default=runner.DEFAULT_SIZES,
            help=f"articles, comma-separated ({runner.DEFAULT_SIZES})",
        )
        parser.add_argument(
            "--duration", type=int, default=10, help="seconds per phase of the mix (10)"
        )
        parser.add_argument(
            "--endpoint-duration",
            type=int,
            default=3,
            help="seconds per endpoint of the per-endpoint table (3)",
        )
        parser.add_argument(
            "--phases",
            default=scenarios.DEFAULT_PHASES,
            help="the mix's phases: reads, posts:N, signins:N per second; none to skip the mix "
            f"({scenarios.DEFAULT_PHASES})",
        )
        parser.add_argument(
            "--mix-urls",
            type=int,
            default=scenarios.DEFAULT_MIX_URLS,
            help=f"distinct URLs in the mix, at most ({scenarios.DEFAULT_MIX_URLS})",
        )
        parser.add_argument(
            "--prime-seconds",
            type=int,
            default=60,
            help="before each phase, at most this long requesting every URL of the mix, the "
            "most asked first (60)",
        )
        parser.add_argument(
            "--zipf",
            type=float,
            default=scenarios.DEFAULT_ZIPF,
            help=f"the Zipf exponent of popularity inside each group ({scenarios.DEFAULT_ZIPF})",
        )
        parser.add_argument(
            "--server",
            choices=sorted(KINDS),
            default=runner.DEFAULT_SERVER,
            help=f"the server under test ({runner.DEFAULT_SERVER}: the one recommended)",
        )
        parser.add_argument(
            "--servers",
            default="",
            help="at the largest size, the ceiling and the mix without writes on each of these "
            f"servers: comma-separated among {', '.join(KINDS)}, or all",
        )
        parser.add_argument(
            "--workers", type=int, default=2 * (os.cpu_count() or 1), help="2 x cores"
        )
        parser.add_argument(
            "--threads", type=int, default=4, help="threads per worker (gthread, granian) (4)"
        )
        parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
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
            "--replica",
            action="store_true",
            help="a primary and a streaming replica of the benchmark's own (bench/clusters.py), "
            "the server reading from the replica: each database's share of the reads, each "
            "tier's CPU per request, and every write read back at once by its writer",
        )
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="keep the database when it holds a size's data already (not timing the load)",
        )
        parser.add_argument(
            "--database-url",
            default=runner.DEFAULT_DATABASE_URL,
            help="a local PostgreSQL database whose name contains 'bench': it is dropped",
        )
        parser.add_argument("--output", default=".bench/results.md", help="the Markdown report")

    def handle(self, *args, **options):
        def say(text: str = "") -> None:
            self.stdout.write(text)
            self.stdout.flush()

        try:
            runner.Benchmark(options, say).run()
        except runner.BenchmarkError as error:
            raise CommandError(str(error)) from None
