"""`manage.py benchmark_webhooks`: how long a webhook takes from the commit to a local
receiver, with an idle worker (a real db_worker). bench/webhooks.py says what a run does.

    uv run python manage.py benchmark_webhooks [--deliveries 30] [--interval 0.2]
        [--database-url postgres://postgres@127.0.0.1:5432/<a database of its own>]
"""

import os
import tempfile

from django.core.management.base import BaseCommand, CommandError

from bench import webhooks


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--deliveries", type=int, default=30, help="deliveries measured (30)")
        parser.add_argument(
            "--interval",
            type=float,
            default=0.2,
            help="the worker's poll interval, db_worker --interval (0.2 s)",
        )
        parser.add_argument(
            "--database-url",
            default="",
            help="a database of the benchmark's own: migrated, and it keeps the changes written "
            "(default: a fresh SQLite file)",
        )

    def handle(self, *args, **options):
        if options["deliveries"] < 1 or options["interval"] < 0:
            raise CommandError("--deliveries must be 1 or more and --interval 0 or more.")
        url = os.environ.get(webhooks.ENV_MARK)
        if url is None:
            url = options["database_url"] or (
                f"sqlite:///{tempfile.mkdtemp(prefix='botbeat-hooks-bench-')}/bench.sqlite3"
            )
            webhooks.reexec(url)  # does not return

        def say(text: str) -> None:
            self.stdout.write(text)
            self.stdout.flush()

        database = url.split("@")[-1]
        say(
            f"{options['deliveries']} deliveries, one at a time to an idle worker "
            f"(db_worker --interval {options['interval']:g}), database {database}:"
        )
        try:
            figures = webhooks.run(
                deliveries=options["deliveries"], interval=options["interval"], say=say
            )
        except RuntimeError as error:
            raise CommandError(str(error)) from None
        verdict = "met" if figures["p95"] <= webhooks.TARGET_SECONDS else "MISSED"
        say(
            "commit to receiver: "
            + ", ".join(f"{name} {1000 * value:.0f} ms" for name, value in figures.items())
            + f"; target p95 ≤ {webhooks.TARGET_SECONDS:g} s: {verdict}"
        )
