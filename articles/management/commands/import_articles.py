"""`manage.py import_articles FILE`: upsert articles from JSON Lines (API.md, "Importing")."""

import codecs
import contextlib
import sys
from collections import Counter
from typing import BinaryIO

from django.core.management.base import BaseCommand, CommandError
from django.db import DataError, IntegrityError, transaction
from tqdm import tqdm

from articles.imports import LineError, parse_line
from articles.services import article_upsert

RESULTS = ("created", "updated", "unchanged", "failed")


class Command(BaseCommand):
    """Import articles from JSON Lines, one article a line, upserting by slug.

    Each line is validated and written in its own transaction: a failing line is reported on
    stderr as `line N: field: reason` and writes nothing, and the others are imported. Blank
    lines are skipped. The command prints counts and exits non-zero when any line failed.
    Importing the same file twice changes nothing.
    """

    help = (
        "Import articles from a JSON Lines file ('-' for standard input), one article a line, "
        "upserting by slug. Exits non-zero when any line failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A JSON Lines file; '-' reads standard input.")

    def handle(self, *args, file: str, **options) -> None:
        with self.open_input(file) as stream:
            counts = self.import_stream(stream, verbosity=options["verbosity"])
        summary = ", ".join(f"{counts[result]} {result}" for result in RESULTS)
        self.stdout.write(f"Imported {file}: {summary}.")
        if counts["failed"]:
            raise CommandError(
                f"{counts['failed']} line(s) failed and wrote nothing (see above); "
                "the other lines were imported."
            )

    def open_input(self, file: str) -> contextlib.AbstractContextManager[BinaryIO]:
        # Bytes, decoded line by line: a line of bad UTF-8 is that line's error, not a crash.
        if file == "-":
            return contextlib.nullcontext(getattr(sys.stdin, "buffer", sys.stdin))
        try:
            return open(file, "rb")  # the caller closes it
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None

    def import_stream(self, stream: BinaryIO, *, verbosity: int) -> Counter[str]:
        """Import every line of `stream`; the counts of created, updated, unchanged, failed."""
        # The bar goes to stderr, and only on a terminal: piped or logged output stays clean.
        show_progress = verbosity >= 1 and self.stderr.isatty()
        total = None
        if show_progress and stream.seekable():
            total = sum(1 for _ in stream)
            stream.seek(0)
        # OutputWrapper ends every write with a newline; the bar redraws its line with "\r".
        bar_file = self.stderr._out
        # Shown after a second only: a small file needs no bar.
        lines = tqdm(
            stream, total=total, unit=" lines", delay=1, disable=not show_progress, file=bar_file
        )

        counts: Counter[str] = Counter({result: 0 for result in RESULTS})
        first_lines: dict[str, int] = {}  # slug -> the line that imported it
        for number, raw in enumerate(lines, start=1):
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            if not raw.strip():
                continue
            try:
                data = parse_line(raw)
                # Two lines of one slug would overwrite each other on every run, and a second
                # import of the file would not be a no-op.
                first = first_lines.setdefault(data["slug"], number)
                if first != number:
                    raise LineError([("slug", f"{data['slug']} is already on line {first}.")])
                with transaction.atomic():
                    article, result = article_upsert(data=data)
            except LineError as exc:
                errors = exc.errors
            except (IntegrityError, DataError) as exc:
                # Validation leaves little to the database, but a concurrent writer or a
                # limit the serializer does not know (e.g. 32767 takeaways) ends up here.
                errors = [("database", (str(exc).strip().splitlines() or [repr(exc)])[0])]
            else:
                counts[result] += 1
                if verbosity >= 2:
                    self.report(lines, f"line {number}: {result} {article.slug}", self.stdout)
                continue
            counts["failed"] += 1
            for field, reason in errors:
                self.report(lines, f"line {number}: {field}: {reason}", self.stderr)
        lines.close()
        return counts

    def report(self, lines: tqdm, message: str, output) -> None:
        # Escaped: a terminal should not receive control characters or lone surrogates raw.
        message = "".join(
            char
            if char.isprintable()
            else char.encode("unicode_escape", "backslashreplace").decode("ascii")
            for char in message
        )
        if lines.disable:
            output.write(message)
        else:  # above the bar, which is redrawn below
            lines.write(message, file=output._out)
