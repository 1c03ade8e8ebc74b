"""`manage.py generate_fake`: the benchmark's deterministic synthetic data, at scale, into the
database of DATABASE_URL. The data and its shape are bench/fake.py's.

    manage.py generate_fake --articles 100000 --comments 1000000 [--companies 200 --tags 500
                            --users N --seed 42 --clear]
"""

import time

from django.core.management.base import BaseCommand, CommandError

from bench.fake import FakeData


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=1000)
        parser.add_argument("--comments", type=int, default=10000)
        parser.add_argument("--companies", type=int, default=200)
        parser.add_argument("--tags", type=int, default=500)
        parser.add_argument("--users", type=int, help="commenters (default: comments / 100)")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--clear", action="store_true", help="delete all articles, comments, companies first"
        )

    def handle(self, *args, **options):
        for name in ("articles", "comments", "companies", "tags"):
            if options[name] < (1 if name in {"companies", "tags"} else 0):
                raise CommandError(f"--{name} must be positive.")
        fake = FakeData(seed=options["seed"], verbosity=options["verbosity"])
        started = time.monotonic()
        if options["clear"]:
            fake.clear()
        elif fake.has_articles():
            raise CommandError("The database has articles already: use --clear to replace them.")
        users = options["users"] or max(10, options["comments"] // 100)
        fake.load(
            articles=options["articles"],
            comments=options["comments"],
            companies=options["companies"],
            tags=options["tags"],
            users=users,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{options['articles']} articles, {options['comments']} comments, "
                f"{options['companies']} companies, {options['tags']} tags, {users} users "
                f"in {time.monotonic() - started:.1f}s"
            )
        )
