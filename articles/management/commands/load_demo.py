"""`manage.py load_demo`: the seed page's articles, through the import command."""

from pathlib import Path

from articles.management.commands import import_articles

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "articles.jsonl"


class Command(import_articles.Command):
    """Load the seed page's seven articles (articles/demo/articles.jsonl).

    A subclass of import_articles, so the demo goes through exactly the path real imports take
    (validation, upsert, search vector); running it again changes nothing.
    """

    help = "Load the demo articles of the seed page (articles/demo/articles.jsonl). Idempotent."

    def add_arguments(self, parser):
        pass  # no FILE: always the demo file

    def handle(self, *args, **options) -> None:
        super().handle(*args, file=str(DEMO_FILE), **options)
