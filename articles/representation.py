"""`fields` and `expand` on every article representation (API.md, "Sparse fields and
expansion").

A representation (a list item, a detail, a suggestion) is a tuple of keys: its serializer's
fields, in their order (tests/articles/test_fields.py holds the two together). A request
narrows it with `fields` (keys, or keys of its objects: `company.name`) and widens its company
and its tags with `expand`. `shape_of()` reads both parameters once, strictly, into a `Shape`,
which says what the answer shows and so what to read for it:

- the columns of the articles' rows: no company join without a company key, no summary without
  the summary (the excerpt reads only the first characters), no takeaways subquery without
  `takeaways`;
- the tags' query only for a tag key (or a suggestion's shared tags);
- one query for the expanded companies' other columns and counts, and the two queries of
  TagQuerySet.with_article_count() for the tags' counts, only when a key shows them;
- the keys of what the answer shows, for the response cache (`keys_of`, for tag_answer);
- the item, key by key, in the representation's order whatever the order asked (`write`).

Without either parameter the shape is the default one, which keeps the views' prebuilt queries
and the writers of articles.serializers (list_item, detail_item, suggested_item): the hot paths
cost what they cost before.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Substr
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from articles.models import EXCERPT_SOURCE_LENGTH, Article, Tag, takeaways_of, with_tags
from articles.serializers import (
    CATEGORY_LABELS,
    article_url,
    detail_item,
    item_keys,
    list_item,
    make_excerpt,
    suggested_item,
)
from botbeat.cache import FEED_KEY, article_key, company_key, tag_key
from botbeat.renderers import iso_datetime
from companies.models import Company

# The keys of each object an article shows, in its serializer's order: what `fields` may name
# after a dot. The company and the tags have more keys once expanded (`expand`): those of
# GET /companies/{slug}/ and GET /tags/{slug}/.
CATEGORY_KEYS = ("value", "label")
COMPANY_KEYS = ("slug", "name", "logo_url")
EXPANDED_COMPANY_KEYS = (
    "slug",
    "name",
    "description",
    "website_url",
    "logo_url",
    "article_count",
    "latest_published_at",
)
TAG_KEYS = ("slug", "name")
EXPANDED_TAG_KEYS = ("slug", "name", "article_count")
SOURCE_KEYS = ("name", "url")
REASON_KEYS = ("shared_tags", "same_category")
# key: (its object's keys, those once expanded or None when it does not expand)
OBJECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    "category": (CATEGORY_KEYS, None),
    "company": (COMPANY_KEYS, EXPANDED_COMPANY_KEYS),
    "tags": (TAG_KEYS, EXPANDED_TAG_KEYS),
    "source": (SOURCE_KEYS, None),
    "reason": (REASON_KEYS, None),
}
EXPANSIONS = ("company", "tags")

LIST_KEYS = (
    "slug",
    "url",
    "title",
    "category",
    "company",
    "published_at",
    "excerpt",
    "tags",
    "comment_count",
)
DETAIL_KEYS = (
    *LIST_KEYS,
    "status",
    "takeaways",
    "summary",
    "editorial_opinion",
    "source",
    "authors",
    "comments_open",
    "updated_at",
)
SUGGESTED_KEYS = (*LIST_KEYS, "reason")


@dataclass(frozen=True)
class Representation:
    """One way of showing an article: its keys, and its writer of every key."""

    name: str
    keys: tuple[str, ...]
    write_default: Callable[[dict], dict]

    def field_names(self) -> list[str]:
        """Every value `fields` takes, in the documented order: each key, then the keys of its
        object (expanded ones included)."""
        names = []
        for key in self.keys:
            names.append(key)
            if key in OBJECTS:
                plain, expanded = OBJECTS[key]
                names += [f"{key}.{sub}" for sub in expanded or plain]
        return names


LIST = Representation("list", LIST_KEYS, list_item)
DETAIL = Representation("detail", DETAIL_KEYS, detail_item)
SUGGESTED = Representation("suggested", SUGGESTED_KEYS, suggested_item)


# What each key reads of the article's row (.values() names). The company's keys read its
# columns through the join; `excerpt` reads the summary's first characters (list_rows()'s
# annotation), or the summary when that is shown too.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "slug": ("slug",),
    "url": ("slug",),
    "title": ("title",),
    "comment_count": ("comment_count",),
    "status": ("status",),
    "takeaways": ("takeaway_items",),
    "summary": ("summary",),
    "editorial_opinion": ("editorial_opinion",),
    "source": ("source_name", "source_url"),
    "authors": ("authors",),
    "comments_open": ("comments_open",),
    "updated_at": ("updated_at",),
}
COMPANY_COLUMNS = {
    "slug": "company__slug",
    "name": "company__name",
    "logo_url": "company__logo_url",
}
# Always read, whatever is shown: the article's own cheap columns that the keys (tag_answer),
# the cursor (published_at, id), the page (its panels and its thread's links) and the
# suggestions' reasons use.
BASE_COLUMNS = ("id", "slug", "company_id", "category", "published_at")
# The expanded company's keys that change with any publication of its articles (the feed's).
COMPANY_COUNTS = frozenset({"article_count", "latest_published_at"})


def _pick(values: dict, keys: tuple[str, ...]) -> dict:
    return {key: values[key] for key in keys}


def _column(name: str, convert: Callable[[Any], Any] | None = None):
    def factory(keys):
        if convert is None:
            return lambda row: row[name]
        return lambda row: convert(row[name])

    return factory


def _url(keys):
    return lambda row: article_url(row["slug"])


def _category(keys):
    def write(row):
        category = row["category"]
        return _pick({"value": category, "label": CATEGORY_LABELS[category]}, keys)

    return write


def _company(keys):
    def write(row):
        stats = row.get("company_stats")
        values = {
            "slug": row.get("company__slug"),
            "name": row.get("company__name"),
            "logo_url": row.get("company__logo_url") or None,
        }
        return {key: values[key] if key in COMPANY_COLUMNS else stats[key] for key in keys}

    return write


def _excerpt(keys):
    def write(row):
        source = row.get("excerpt_source")
        return make_excerpt(
            source if source is not None else row["summary"][:EXCERPT_SOURCE_LENGTH]
        )

    return write


def _tags(keys):
    def write(row):
        counts = row.get("tag_counts") or ()
        items = []
        for index, (_, slug, name) in enumerate(row["tags"]):
            values = {"slug": slug, "name": name}
            if counts:
                values["article_count"] = counts[index]
            items.append(_pick(values, keys))
        return items

    return write


def _source(keys):
    def write(row):
        name, url = row["source_name"], row["source_url"]
        if not name and not url:
            return None
        return _pick({"name": name, "url": url or None}, keys)

    return write


def _reason(keys):
    def write(row):
        reason = row["reason"]
        values = {"same_category": reason["same_category"]}
        if "shared_tags" in keys:
            values["shared_tags"] = [
                {"slug": slug, "name": name} for _, slug, name in reason["shared_tags"]
            ]
        return _pick(values, keys)

    return write


# Each key's writer, made for the keys of its object that are shown (empty for plain values).
WRITERS: dict[str, Callable[[tuple[str, ...]], Callable[[dict], Any]]] = {
    "slug": _column("slug"),
    "url": _url,
    "title": _column("title"),
    "category": _category,
    "company": _company,
    "published_at": _column("published_at", iso_datetime),
    "excerpt": _excerpt,
    "tags": _tags,
    "comment_count": _column("comment_count"),
    "status": _column("status"),
    "takeaways": _column("takeaways"),
    "summary": _column("summary"),
    "editorial_opinion": _column("editorial_opinion"),
    "source": _source,
    "authors": _column("authors", lambda authors: [str(author) for author in authors]),
    "comments_open": _column("comments_open"),
    "updated_at": _column("updated_at", iso_datetime),
    "reason": _reason,
}


class Shape:
    """What an answer shows of each article (`selected`: each key shown, in order, with the keys
    of its object that are shown), and what reading and writing that takes."""

    def __init__(
        self,
        representation: Representation,
        selected: dict[str, tuple[str, ...]],
        expand: frozenset[str],
        *,
        default: bool,
    ):
        self.representation = representation
        self.selected = selected
        self.expand = expand
        self.default = default
        company = selected.get("company", ())
        self.company_stats = tuple(key for key in company if key not in COMPANY_COLUMNS)
        self.tag_counts = "article_count" in selected.get("tags", ())
        self.reads_tags = "tags" in selected or "shared_tags" in selected.get("reason", ())
        self.reads_takeaways = "takeaways" in selected
        # Counts that any publication changes: the answer shows what FEED_KEY purges.
        self.shows_counts = self.tag_counts or bool(COMPANY_COUNTS & set(self.company_stats))
        columns = list(BASE_COLUMNS)
        for key in selected:
            columns += KEY_COLUMNS.get(key, ())
        columns += [COMPANY_COLUMNS[key] for key in company if key in COMPANY_COLUMNS]
        if "excerpt" in selected and "summary" not in selected:
            columns.append("excerpt_source")
        self.columns = tuple(dict.fromkeys(columns))
        self.writers = tuple((key, WRITERS[key](keys)) for key, keys in selected.items())

    def base(self, prebuilt: Callable[[], QuerySet]) -> QuerySet:
        """What a view filters: the `prebuilt` rows (list_rows(), detail_rows()) for the
        default shape; the articles themselves for another, whose rows narrow() selects (a
        second .values() would keep the first one's joins)."""
        return prebuilt() if self.default else Article.objects.all()

    def narrow(self, articles: QuerySet) -> QuerySet:
        """`articles` (from base(), filtered) as rows of only the columns this shape reads; the
        default shape's rows as they are. The annotations the filters made (a search's
        `relevance`, which its cursor reads) stay."""
        if self.default:
            return articles
        made = list(articles.query.annotations)
        if "excerpt_source" in self.columns:
            articles = articles.annotate(excerpt_source=Substr("summary", 1, EXCERPT_SOURCE_LENGTH))
        if self.reads_takeaways:
            articles = articles.with_takeaway_items()
        return articles.values(*self.columns, *made)

    def complete(self, rows: list[dict], *, tags_read: bool = False) -> list[dict]:
        """Give `rows` what they show beyond their columns: their tags (unless a selector has
        read them already), a detail's takeaways in order, and what `expand` adds."""
        if self.reads_tags and not tags_read:
            with_tags(rows)
        if self.reads_takeaways:
            for row in rows:
                row["takeaways"] = takeaways_of(row)
        if self.company_stats:
            _add_company_stats(rows, self.company_stats)
        if self.tag_counts:
            _add_tag_counts(rows)
        return rows

    def keys_of(self, row: dict) -> list[str]:
        """The keys of what the item shows (botbeat.cache): its article, and its company, its
        tags and the feed's counts when it shows them."""
        if self.default:
            return item_keys(row)
        keys = [article_key(row["id"])]
        if "company" in self.selected:
            keys.append(company_key(row["company_id"]))
        if self.reads_tags:
            keys += [tag_key(tag[0]) for tag in row["tags"]]
        if self.shows_counts:
            keys.append(FEED_KEY)
        return keys

    def write(self, row: dict) -> dict:
        if self.default:
            return self.representation.write_default(row)
        return {key: write(row) for key, write in self.writers}


def _add_company_stats(rows: list[dict], keys: tuple[str, ...]) -> None:
    """Each row's `company_stats`: the expanded company's `keys` that the join does not read,
    written out as CompanySerializer writes them. One query for the page's companies; the counts
    are those of GET /companies/{slug}/ (CompanyQuerySet.with_article_stats)."""
    companies = Company.objects.filter(pk__in={row["company_id"] for row in rows})
    if COMPANY_COUNTS & set(keys):
        companies = companies.with_article_stats()
    found = {}
    for company in companies.values("pk", *keys):
        if "website_url" in company:
            company["website_url"] = company["website_url"] or None
        if company.get("latest_published_at") is not None:
            company["latest_published_at"] = iso_datetime(company["latest_published_at"])
        found[company.pop("pk")] = company
    for row in rows:
        row["company_stats"] = found[row["company_id"]]


def _add_tag_counts(rows: list[dict]) -> None:
    """Each row's `tag_counts`, its tags' `article_count` in the order of its tags: those of
    GET /tags/{slug}/, in the two queries of TagQuerySet.with_article_count()."""
    ids = {tag[0] for row in rows for tag in row["tags"]}
    counts = {}
    if ids:
        tags = Tag.objects.filter(pk__in=ids).only("id", "published_count").with_article_count()
        counts = {tag.pk: tag.article_count for tag in tags}
    for row in rows:
        row["tag_counts"] = [counts[tag[0]] for tag in row["tags"]]


# Parsing the parameters


def _names(raw: str, parameter: str, errors: dict[str, list]) -> list[str]:
    names = raw.split(",")
    problems = errors.setdefault(parameter, [])
    if any(not name for name in names):
        problems.append(
            serializers.ErrorDetail(
                "An empty name: separate the names with single commas.", code="blank"
            )
        )
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            problems.append(
                serializers.ErrorDetail(f'"{name}" is given more than once.', code="repeated")
            )
        seen.add(name)
    return [name for name in dict.fromkeys(names) if name]


def _field_error(representation: Representation, name: str, expand: frozenset[str]):
    key, _, sub = name.partition(".")
    if key in representation.keys and key in OBJECTS:
        expanded = OBJECTS[key][1]
        if expanded and sub in expanded and key not in expand:
            return serializers.ErrorDetail(
                f'Unknown field "{name}" without expand={key}: it is a key of the expanded {key}.',
                code="unknown_field",
            )
    return serializers.ErrorDetail(
        f'Unknown field "{name}". The fields are {", ".join(representation.keys)}, and the '
        "keys of their objects as company.name.",
        code="unknown_field",
    )


def _object_keys(key: str, expand: frozenset[str]) -> tuple[str, ...]:
    if key not in OBJECTS:
        return ()
    plain, expanded = OBJECTS[key]
    return expanded if expanded and key in expand else plain


@functools.lru_cache(maxsize=1024)
def _shape(representation: Representation, fields: str | None, expand: str | None) -> Shape:
    errors: dict[str, list] = {}
    expanded: list[str] = []
    if expand is not None:
        expanded = _names(expand, "expand", errors)
        for name in expanded:
            if name not in EXPANSIONS:
                errors["expand"].append(
                    serializers.ErrorDetail(
                        f'Unknown expansion "{name}": expand takes company and tags.',
                        code="unknown_expansion",
                    )
                )
    expansions = frozenset(expanded) & frozenset(EXPANSIONS)
    if fields is None:
        selected = {key: _object_keys(key, expansions) for key in representation.keys}
    else:
        names = _names(fields, "fields", errors)
        whole: set[str] = set()
        parts: dict[str, set[str]] = {}
        for name in names:
            key, dot, sub = name.partition(".")
            if key in representation.keys and not dot:
                whole.add(key)
            elif key in representation.keys and sub in _object_keys(key, expansions):
                parts.setdefault(key, set()).add(sub)
            else:
                errors["fields"].append(_field_error(representation, name, expansions))
        selected = {
            key: tuple(
                sub for sub in _object_keys(key, expansions) if key in whole or sub in parts[key]
            )
            for key in representation.keys
            if key in whole or key in parts
        }
    errors = {parameter: found for parameter, found in errors.items() if found}
    if errors:
        raise ValidationError(errors)
    return Shape(representation, selected, expansions, default=fields is None and expand is None)


def shape_of(request, representation: Representation) -> Shape:
    """The shape the request asks for (`fields`, `expand`): a 400 naming the parameter for an
    unknown, empty or repeated name (StrictQueryParamsMixin refuses a repeated parameter)."""
    params = request.query_params
    return _shape(representation, params.get("fields"), params.get("expand"))


# The schema


def fields_parameter(representation: Representation) -> OpenApiParameter:
    return OpenApiParameter(
        "fields",
        {
            "type": "array",
            "items": {"type": "string", "enum": representation.field_names()},
            "minItems": 1,
            "uniqueItems": True,
        },
        style="form",
        explode=False,
        description=(
            "Comma-separated: only these keys of each article are returned (all of them "
            "when absent), in the documented order whatever the order given. A key gives "
            "its whole value; `company.name` only that key of an object (of each tag, for "
            "`tags.name`). The keys only the expanded company and tags have "
            "(`company.description`, `company.article_count`, `tags.article_count`, ...) "
            "need `expand`. An unknown name (`unknown_field`), an empty one (`blank`) or one "
            "given twice (`repeated`) is a 400."
        ),
    )


EXPAND_PARAMETER = OpenApiParameter(
    "expand",
    {
        "type": "array",
        "items": {"type": "string", "enum": list(EXPANSIONS)},
        "minItems": 1,
        "uniqueItems": True,
    },
    style="form",
    explode=False,
    description=(
        "Comma-separated: `company` gives each article's company in full, as "
        "GET /companies/{slug}/ shows it (`ExpandedCompany`), in place of "
        "`{slug, name, logo_url}`; `tags` gives each tag with its `article_count`, as "
        "GET /tags/{slug}/ shows it (`ExpandedTag`). A suggestion's `reason.shared_tags` stay "
        "`{slug, name}`. An unknown name is a 400 `unknown_expansion`."
    ),
)
