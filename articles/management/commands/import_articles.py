"""`manage.py import_articles FILE`: upsert articles from JSON Lines (API.md, "Importing")."""

import codecs
import contextlib
import datetime as dt
import json
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError
from django.db import DataError, IntegrityError, transaction
from django.utils.text import slugify
from rest_framework import serializers
from rest_framework.settings import api_settings
from tqdm import tqdm

from articles.models import Article, Category, Status, Tag
from articles.services import ArticleData, article_upsert
from companies.models import Company

RESULTS = ("created", "updated", "unchanged", "failed")


def json_type(value: Any) -> str:
    """What a JSON reader calls this value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def derive_slug(text: str, max_length: int) -> str:
    """The slug of a title or a name, cut to the field's length; "" when it has no letters."""
    return slugify(text)[:max_length].strip("-_")


def max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


class StrictTypeMixin:
    """Accept only the JSON type the field documents.

    DRF coerces by default (a CharField takes 12 as "12", a ListField any iterable); an import
    should refuse what a client would mistype. Strings must also be storable text: PostgreSQL
    refuses NUL (DRF's CharField checks it) and no database stores a lone surrogate.
    """

    expected_type: type = str

    def to_internal_value(self, data):
        if not isinstance(data, self.expected_type):
            expected = json_type(self.expected_type())
            raise serializers.ValidationError(
                f"Expected {expected}, got {json_type(data)}.", code="invalid"
            )
        if isinstance(data, str):
            try:
                data.encode("utf-8")
            except UnicodeEncodeError:
                raise serializers.ValidationError(
                    "Not valid Unicode text (a lone surrogate).", code="invalid"
                ) from None
        return super().to_internal_value(data)


class TextField(StrictTypeMixin, serializers.CharField):
    pass


class SlugField(StrictTypeMixin, serializers.SlugField):
    pass


class URLField(StrictTypeMixin, serializers.URLField):
    pass


class ChoiceField(StrictTypeMixin, serializers.ChoiceField):
    pass


class DateTimeField(StrictTypeMixin, serializers.DateTimeField):
    pass


class ListField(StrictTypeMixin, serializers.ListField):
    expected_type = list


class StrictSerializer(serializers.Serializer):
    """An object whose keys are all known: a typo ("takeaway") must not drop data silently."""

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                [f"Expected an object, got {json_type(data)}."], code="invalid"
            )
        unknown = {key: ["Unknown field."] for key in data if key not in self.fields}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **unknown}) from None
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class SourceImportSerializer(StrictSerializer):
    name = TextField(max_length=max_length(Article, "source_name"), allow_blank=True, default="")
    url = URLField(max_length=max_length(Article, "source_url"), allow_blank=True, default="")


class CompanyImportSerializer(StrictSerializer):
    """A company: just its name, or `{name, slug?, website_url?, logo_url?}`."""

    name = TextField(max_length=max_length(Company, "name"))
    slug = SlugField(max_length=max_length(Company, "slug"), required=False)
    website_url = URLField(
        max_length=max_length(Company, "website_url"), allow_blank=True, default=""
    )
    logo_url = URLField(max_length=max_length(Company, "logo_url"), allow_blank=True, default="")

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = {"name": data}
        elif not isinstance(data, Mapping):
            raise serializers.ValidationError(
                [f"Expected a company name or an object, got {json_type(data)}."], code="invalid"
            )
        return super().to_internal_value(data)

    def validate(self, attrs):
        if "slug" not in attrs:
            attrs["slug"] = derive_slug(attrs["name"], max_length(Company, "slug"))
            if not attrs["slug"]:
                raise serializers.ValidationError(
                    {"name": "Has no letters or digits to derive a slug from; give a slug."}
                )
        return attrs


class ArticleImportSerializer(StrictSerializer):
    """One line of an import file, validated into `articles.services.ArticleData`.

    `published_at` may be null (as if absent); `source` may be null (no source). Tags come out
    as `{slug, name}`, one per slug (the first spelling wins).
    """

    slug = SlugField(max_length=max_length(Article, "slug"), required=False)
    title = TextField(max_length=max_length(Article, "title"))
    company = CompanyImportSerializer()
    category = ChoiceField(choices=Category.choices)
    status = ChoiceField(choices=Status.choices, default=Status.PUBLISHED)
    published_at = DateTimeField(default_timezone=dt.UTC, required=False, allow_null=True)
    summary = TextField(allow_blank=True, default="")
    editorial_opinion = TextField(allow_blank=True, default="")
    source = SourceImportSerializer(required=False, allow_null=True)
    authors = ListField(child=TextField(max_length=200), default=list)
    takeaways = ListField(child=TextField(), default=list)
    tags = ListField(child=TextField(max_length=max_length(Tag, "name")), default=list)

    def validate_tags(self, names: list[str]) -> list[dict[str, str]]:
        tags: dict[str, dict[str, str]] = {}
        errors = {}
        for index, name in enumerate(names):
            slug = derive_slug(name, max_length(Tag, "slug"))
            if not slug:
                errors[index] = ["Has no letters or digits to make a slug of."]
            tags.setdefault(slug, {"slug": slug, "name": name})
        if errors:
            raise serializers.ValidationError(errors)
        return list(tags.values())

    def validate(self, attrs):
        if "slug" not in attrs:
            attrs["slug"] = derive_slug(attrs["title"], max_length(Article, "slug"))
            if not attrs["slug"]:
                raise serializers.ValidationError(
                    {"slug": "The title has no letters or digits to derive a slug from; give one."}
                )
        return attrs


class LineError(Exception):
    """A line that cannot be imported, with its `(field, reason)` pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(errors)
        self.errors = errors


def flatten_errors(detail, path: str = "") -> Iterator[tuple[str, str]]:
    """DRF's nested errors as `("company.website_url", reason)`, `("takeaways[1]", reason)`."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            if isinstance(key, int):
                yield from flatten_errors(value, f"{path}[{key}]")
            elif key == api_settings.NON_FIELD_ERRORS_KEY:
                yield from flatten_errors(value, path)
            else:
                yield from flatten_errors(value, f"{path}.{key}" if path else key)
    elif isinstance(detail, list):
        for item in detail:
            yield from flatten_errors(item, path)
    else:
        yield path or "line", str(detail)


def parse_line(raw: bytes) -> ArticleData:
    """The validated article of one line; raises LineError."""
    try:
        # Without its line end, so that a syntax error's column is within this line.
        text = raw.rstrip(b"\r\n").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LineError([("json", f"Not valid UTF-8 (byte {exc.start + 1}).")]) from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LineError([("json", f"{exc.msg} (column {exc.colno}).")]) from None
    except RecursionError:
        raise LineError([("json", "Nested too deeply.")]) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise LineError([("json", str(exc))]) from None
    if not isinstance(value, dict):
        raise LineError([("json", f"Expected an object, got {json_type(value)}.")])
    serializer = ArticleImportSerializer(data=value)
    if not serializer.is_valid():
        raise LineError(list(flatten_errors(serializer.errors)))
    return serializer.validated_data


def printable(text: str) -> str:
    """Escape what a terminal should not receive raw: control characters, lone surrogates."""
    return "".join(
        char
        if char.isprintable()
        else char.encode("unicode_escape", "backslashreplace").decode("ascii")
        for char in text
    )


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
        message = printable(message)
        if lines.disable:
            output.write(message)
        else:  # above the bar, which is redrawn below
            lines.write(message, file=output._out)
