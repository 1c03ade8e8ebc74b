"""The import's validation: a line of JSON (API.md, "Importing articles") read into
`articles.services.ArticleData`, or the reasons it cannot be. `manage.py import_articles` (and
`load_demo`) write what it reads."""

import datetime as dt
import json
from collections.abc import Mapping

from django.utils.text import slugify
from rest_framework import serializers

from articles.models import Article, Category, Status, Tag
from articles.services import ArticleData
from botbeat.errors import flatten_errors
from botbeat.fields import (
    StrictCharField,
    StrictChoiceField,
    StrictDateTimeField,
    StrictListField,
    StrictSerializer,
    StrictSlugField,
    StrictURLField,
    json_type,
)
from botbeat.parsers import REPEATED_KEY_MESSAGE, RepeatedKeyError, strict_json_loads
from companies.models import Company


def derive_slug(text: str, max_length: int) -> str:
    """The slug of a title or a name, cut to the field's length; "" when it has no letters."""
    return slugify(text)[:max_length].strip("-_")


def max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


class SourceImportSerializer(StrictSerializer):
    name = StrictCharField(
        max_length=max_length(Article, "source_name"), allow_blank=True, default=""
    )
    url = StrictURLField(max_length=max_length(Article, "source_url"), allow_blank=True, default="")


class CompanyImportSerializer(StrictSerializer):
    """A company: just its name, or `{name, slug?, website_url?, logo_url?}`."""

    name = StrictCharField(max_length=max_length(Company, "name"))
    slug = StrictSlugField(max_length=max_length(Company, "slug"), required=False)
    website_url = StrictURLField(
        max_length=max_length(Company, "website_url"), allow_blank=True, default=""
    )
    logo_url = StrictURLField(
        max_length=max_length(Company, "logo_url"), allow_blank=True, default=""
    )

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

    slug = StrictSlugField(max_length=max_length(Article, "slug"), required=False)
    title = StrictCharField(max_length=max_length(Article, "title"))
    company = CompanyImportSerializer()
    category = StrictChoiceField(choices=Category.choices)
    status = StrictChoiceField(choices=Status.choices, default=Status.PUBLISHED)
    published_at = StrictDateTimeField(default_timezone=dt.UTC, required=False, allow_null=True)
    summary = StrictCharField(allow_blank=True, default="")
    editorial_opinion = StrictCharField(allow_blank=True, default="")
    source = SourceImportSerializer(required=False, allow_null=True)
    authors = StrictListField(child=StrictCharField(max_length=200), default=list)
    takeaways = StrictListField(child=StrictCharField(), default=list)
    tags = StrictListField(child=StrictCharField(max_length=max_length(Tag, "name")), default=list)

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


def parse_line(raw: bytes) -> ArticleData:
    """The validated article of one line; raises LineError."""
    try:
        # Without its line end, so that a syntax error's column is within this line.
        text = raw.rstrip(b"\r\n").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LineError([("json", f"Not valid UTF-8 (byte {exc.start + 1}).")]) from None
    try:
        value = strict_json_loads(text)  # the API's rules: no NaN, no key given twice
    except RepeatedKeyError as exc:
        raise LineError([(path or "line", REPEATED_KEY_MESSAGE) for path in exc.paths]) from None
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
        # Fields as the API names them: `company.website_url`, `takeaways.1`.
        errors = flatten_errors(serializer.errors)
        raise LineError([(error["field"] or "line", error["message"]) for error in errors])
    return serializer.validated_data
