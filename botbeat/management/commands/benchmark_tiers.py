"""`manage.py benchmark_tiers`: CPU per request of each tier (app servers, PostgreSQL, Redis,
nginx) under the benchmark's mix of public GETs, through nginx to two gunicorns. bench/tiers.py
says what a run does.

    DATABASE_URL=postgres://... REDIS_URL=redis://.../<a database of its own> \
        uv run python manage.py benchmark_tiers [--duration 20] [--connections 16]
"""

from django.core.management.base import BaseCommand, CommandError

from bench import tiers


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=int, default=20, help="measured seconds (20)")
        parser.add_argument("--connections", type=int, default=16, help="wrk's connections (16)")
        parser.add_argument("--app-servers", type=int, default=2, help="gunicorns (2)")
        parser.add_argument("--workers", type=int, default=2, help="sync workers each (2)")
        parser.add_argument("--mix-urls", type=int, default=1000, help="the mix's URLs (1000)")
        parser.add_argument(
            "--articles", type=int, default=1000, help="generate_fake's size, if no data (1000)"
        )

    def handle(self, *args, **options):
        def say(text: str) -> None:
            self.stdout.write(text)
            self.stdout.flush()

        try:
            figures = tiers.run_balanced(
                app_servers=options["app_servers"],
                workers=options["workers"],
                duration=options["duration"],
                connections=options["connections"],
                mix_urls=options["mix_urls"],
                articles=options["articles"],
                say=say,
            )
        except RuntimeError as error:
            raise CommandError(str(error)) from None
        say(
            f"{figures.requests:,} requests, {figures.requests_per_s:,.0f}/s, p50 "
            f"{figures.p50_ms:.1f} ms, p99 {figures.p99_ms:.1f} ms, {figures.errors} errors"
        )
        say(f"{'tier':<16}{'CPU s':>8}{'ms per request':>16}")
        for tier, seconds in figures.cpu_s.items():
            say(f"{tier:<16}{seconds:>8.2f}{figures.per_request_ms(tier):>16.3f}")
