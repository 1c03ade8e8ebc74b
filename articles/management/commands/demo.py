"""`manage.py demo`: a newcomer's one command, from a fresh clone to a running API."""

import json
import os

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django.utils.text import slugify

from articles.management.commands.load_demo import DEMO_FILE

DEFAULT_ADDRPORT = "127.0.0.1:8000"


def seed_slug() -> str:
    """The slug of the demo file's first article, the one the seed page shows."""
    with DEMO_FILE.open(encoding="utf-8") as lines:
        first = json.loads(next(lines))
    return first.get("slug") or slugify(first["title"])


def browsable_base(addrport: str) -> str:
    """The URL to open for `runserver addrport`: a bare port is on 127.0.0.1, 0.0.0.0 too."""
    if ":" not in addrport:
        return f"http://127.0.0.1:{addrport}"
    host, port = addrport.rsplit(":", 1)
    if host in {"", "0.0.0.0", "0"}:
        host = "127.0.0.1"
    elif host == "[::]":
        host = "[::1]"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    """Migrate the database, load the demo articles, say where to look, and run the server.

    With the autoreloader, runserver starts this command again in a child process (with
    RUN_MAIN set) that serves requests; only the first process prepares the database.
    """

    help = (
        "Set up and run the demo: migrate, load_demo, print the URLs to open, then runserver "
        f"(default {DEFAULT_ADDRPORT})."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "addrport",
            nargs="?",
            default=DEFAULT_ADDRPORT,
            help=f"Address and port to serve on, as for runserver (default {DEFAULT_ADDRPORT}).",
        )
        parser.add_argument(
            "--noreload",
            action="store_true",
            help="Do not restart the server when the code changes.",
        )

    def handle(self, *args, addrport: str, noreload: bool, **options) -> None:
        verbosity = options["verbosity"]
        if os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # Quiet unless asked: the URLs printed after it are what a newcomer needs to see.
            call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
            call_command("load_demo", verbosity=verbosity)
            base = browsable_base(addrport)
            self.stdout.write(
                self.style.SUCCESS("\nBotBeat's demo is ready. Open:")
                + f"\n  the feed         {base}/api/v1/articles/"
                + f"\n  the seed article {base}/api/v1/articles/{seed_slug()}/"
                + f"\n  Swagger UI       {base}/api/docs/"
                + f"\n  ReDoc            {base}/api/redoc/"
                + f"\n  the admin        {base}/admin/"
                + " (create an account first: uv run manage.py createsuperuser)\n"
            )
        call_command("runserver", addrport, use_reloader=not noreload)
