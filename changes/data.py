"""`data` of a change: the resource as its own public GET shows it now (API.md, "The change
feed"), or None when the public no longer sees it."""

from collections.abc import Iterable

import orjson
from django.contrib.auth.models import AnonymousUser

from articles.models import Article, Tag, takeaways_of, with_tags
from articles.representation import EXPANDED_COMPANY_KEYS
from articles.serializers import detail_item, item_keys
from botbeat.cache import FEED_KEY, Fragments, article_key, company_key, tag_key, thread_key
from botbeat.renderers import iso_datetime
from changes.models import Change
from comments.models import THREAD_COLUMNS, Comment
from comments.serializers import thread_item
from companies.models import Company

PUBLIC = AnonymousUser()


def company_item(row: dict) -> dict:
    """A company (CompanySerializer's fields) from a row of `_companies`."""
    latest = row["latest_published_at"]
    return {
        "slug": row["slug"],
        "name": row["name"],
        "description": row["description"],
        "website_url": row["website_url"] or None,
        "logo_url": row["logo_url"] or None,
        "article_count": row["article_count"],
        "latest_published_at": None if latest is None else iso_datetime(latest),
    }


def change_data(change: Change) -> dict | None:
    """The resource `change` is about, as the public sees it now; None for a removal."""
    return changes_data([change])[0]


def _articles(ids: list[int]) -> dict[int, tuple[dict, list[str]]]:
    rows = list(Article.objects.detail_rows().visible_to(PUBLIC).filter(pk__in=ids).order_by())
    for row in rows:
        row["takeaways"] = takeaways_of(row)
    return {row["id"]: (detail_item(row), item_keys(row)) for row in with_tags(rows)}


def _companies(ids: list[int]) -> dict[int, tuple[dict, list[str]]]:
    # Plain rows, as the articles': a ModelSerializer builds its fields anew per instance,
    # which was most of a page of companies' time.
    rows = (
        Company.objects.visible_to(PUBLIC)
        .with_article_stats()
        .filter(pk__in=ids)
        .order_by()
        .values("pk", *EXPANDED_COMPANY_KEYS)
    )
    # Its counts change with every publication: FEED_KEY, as CompanySerializer says.
    return {row["pk"]: (company_item(row), [company_key(row["pk"]), FEED_KEY]) for row in rows}


def _tags(ids: list[int]) -> dict[int, tuple[dict, list[str]]]:
    tags = (
        Tag.objects.visible_to(PUBLIC)
        .with_article_count()
        .filter(pk__in=ids)
        .order_by()
        .only("pk", "slug", "name", "published_count")
    )
    return {
        tag.pk: (
            {"slug": tag.slug, "name": tag.name, "article_count": tag.article_count},
            [tag_key(tag.pk), FEED_KEY],
        )
        for tag in tags
    }


def _comments(ids: list[int]) -> dict[int, tuple[dict, list[str]]]:
    rows = (
        Comment.objects.visible_to(PUBLIC)
        .filter(pk__in=ids)
        .order_by()
        .values(*THREAD_COLUMNS, "article_id")
    )
    # The keys of the comment's own GET: its article's, which every comment write purges, and
    # its thread's, which a like purges too.
    return {
        row["id"]: (thread_item(row), [article_key(pk), thread_key(pk)])
        for row in rows
        for pk in [row["article_id"]]
    }


BATCH_READERS = {
    "article": _articles,
    "company": _companies,
    "tag": _tags,
    "comment": _comments,
}


def changes_data(changes: Iterable[Change]) -> list[dict | None]:
    """change_data() of each change, in order."""
    return data_of([(change.type, change.object_id) for change in changes])


def data_of(changes: list[tuple[str, int]]) -> list[dict | None]:
    """The `data` of each change given as (type, object_id), in order (raw_data_of)."""
    return [None if raw is None else orjson.loads(raw) for raw in _raw_data(changes)]


def raw_data_of(changes: list[tuple[str, int]]) -> list[orjson.Fragment | None]:
    """data_of(), as JSON already written, for an answer that orjson writes
    (botbeat.renderers): the kept JSON goes into the body as it is, never parsed."""
    return [None if raw is None else orjson.Fragment(raw) for raw in _raw_data(changes)]


def _raw_data(changes: list[tuple[str, int]]) -> list[bytes | None]:
    """Each change's `data` as JSON: one or two queries per kind on the page, whatever its
    length, for the resources not kept already.

    Each resource's `data` is kept (botbeat.cache.Fragments), as its JSON, under the keys its
    own GET's answer carries, which every write that changes it purges, as it purges that
    answer: a client catching up reads pages of resources that have not changed since, and
    many clients read the same pages. A resource the public no longer sees (None) is not
    kept. Kept as JSON, not as objects: a page of them is read without building one."""
    resources = [
        None if type_.endswith(".removed") else (type_.partition(".")[0], object_id)
        for type_, object_id in changes
    ]
    wanted = sorted({resource for resource in resources if resource is not None})
    fragments = Fragments([f"change-json:{kind}:{pk}" for kind, pk in wanted])
    found = {
        resource: value
        for resource, value in zip(wanted, fragments.found, strict=True)
        if value is not None
    }
    missing: dict[str, list[int]] = {}
    for kind, pk in wanted:
        if (kind, pk) not in found:
            missing.setdefault(kind, []).append(pk)
    kept = []
    for kind, ids in missing.items():
        for pk, (data, keys) in BATCH_READERS[kind](ids).items():
            found[(kind, pk)] = raw = orjson.dumps(data)
            kept.append((f"change-json:{kind}:{pk}", raw, keys))
    fragments.keep(kept)
    return [None if resource is None else found.get(resource) for resource in resources]
