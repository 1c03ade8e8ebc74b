"""Writes to articles that touch several models: the import's upsert, publication, tags, the
search vector, and the published counts of tags and companies that all of them keep."""

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal, Required, TypedDict

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, StringAgg, Subquery, Value
from django.utils import timezone

from articles.filters import SEARCH_CONFIG
from articles.models import LINK_ORDER, Article, ArticleTag, Status, Tag, Takeaway
from botbeat.counts import count_of, stored_count_refresh
from botbeat.purge import purge_everything
from botbeat.redirects import slug_merged, slug_renamed
from botbeat.services import Invalid, audit, merge_audit
from changes import outbox
from companies.models import Company
from companies.services import company_counts_refresh

UpsertResult = Literal["created", "updated", "unchanged"]

# The article's own fields that feed its search vector (its takeaways feed it too).
SEARCHED_FIELDS = frozenset({"title", "summary", "editorial_opinion"})
# The article's own fields that the published counts of tags and companies depend on.
COUNTED_FIELDS = frozenset({"status", "company_id"})


class CompanyData(TypedDict, total=False):
    slug: Required[str]
    name: Required[str]
    website_url: str
    logo_url: str


class TagData(TypedDict):
    slug: str
    name: str


class SourceData(TypedDict, total=False):
    name: str
    url: str


class ArticleData(TypedDict, total=False):
    """An article as the import validates it (ArticleImportSerializer's validated_data)."""

    slug: Required[str]
    title: Required[str]
    company: Required[CompanyData]
    category: Required[str]
    status: str
    published_at: dt.datetime | None
    summary: str
    editorial_opinion: str
    source: SourceData | None
    authors: list[str]
    takeaways: list[str]
    tags: list[TagData]


def article_refresh_search_vector(*, article_ids: Iterable[int]) -> None:
    """Recompute `Article.search_vector` of these articles, in one UPDATE.

    Title weighs A, summary and takeaways B, editorial opinion C. Every write that changes one
    of those texts must call this. PostgreSQL only: elsewhere there is no vector (SQLite's
    search reads the texts themselves) and this does nothing.
    """
    if connection.vendor != "postgresql":
        return
    takeaways = (
        Takeaway.objects.filter(article=OuterRef("pk"))
        .order_by()
        .values("article")
        .annotate(text=StringAgg("text", Value(" "), order_by="position"))
        .values("text")
    )
    vector = (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector(Subquery(takeaways), weight="B", config=SEARCH_CONFIG)
        + SearchVector("editorial_opinion", weight="C", config=SEARCH_CONFIG)
    )
    with transaction.atomic():
        # .update() leaves updated_at alone: the vector is derived, not an edit.
        Article.objects.filter(pk__in=list(article_ids)).update(search_vector=vector)


@transaction.atomic
def article_upsert(*, data: ArticleData) -> tuple[Article, UpsertResult]:
    """Create or update the article `data["slug"]` from validated import data.

    The data is the whole article: an absent optional field takes its default (empty texts and
    lists, no source, status published), except `published_at`, which is now() for a new
    article and left alone on an existing one. The company and the tags are matched by slug and
    created when missing; an existing company only has its blank website or logo URL filled in.

    Writes only what differs, so importing the same data twice changes nothing, not even
    `updated_at`; returns the article and "created", "updated" or "unchanged".
    """
    company, company_filled = _company_get_or_create(data=data["company"])
    tags = _tags_get_or_create(tags=data.get("tags") or [])
    takeaways = list(data.get("takeaways") or [])
    source = data.get("source") or {}
    values: dict[str, Any] = {
        "title": data["title"],
        "company_id": company.pk,
        "category": data["category"],
        "status": data.get("status") or Status.PUBLISHED,
        "summary": data.get("summary", ""),
        "editorial_opinion": data.get("editorial_opinion", ""),
        "source_name": source.get("name", ""),
        "source_url": source.get("url", ""),
        "authors": list(data.get("authors") or []),
    }
    if data.get("published_at") is not None:
        values["published_at"] = data["published_at"]

    article = Article.objects.select_for_update().filter(slug=data["slug"]).first()
    if article is None:
        # published_at, when absent, takes the model's default: now.
        article = Article.objects.create(slug=data["slug"], **values)
        _takeaways_create(article=article, texts=takeaways)
        _tag_links_set(article=article, tags=tags)
        article_counts_refresh(article_ids=[article.pk], before=PublishedLinks())
        article_refresh_search_vector(article_ids=[article.pk])
        outbox.touched(
            articles=[article.pk], companies_shown=[company.pk] if company_filled else []
        )
        return article, "created"

    changed = [name for name, value in values.items() if getattr(article, name) != value]
    current_takeaways = list(article.takeaways.order_by("position").values_list("text", flat=True))
    takeaways_changed = current_takeaways != takeaways
    current_tags = _tag_ids_in_order(article=article)
    # The order is the line's: the same tags in another order is a change, of the order only.
    tags_changed = current_tags != [tag.pk for tag in tags]
    if not (changed or takeaways_changed or tags_changed):
        if company_filled:
            outbox.touched(companies_shown=[company.pk])
        return article, "unchanged"

    tag_set_changed = set(current_tags) != {tag.pk for tag in tags}
    counted = tag_set_changed or not COUNTED_FIELDS.isdisjoint(changed)
    # The article is locked already (above): this reads its links.
    before = article_links_lock(article_ids=[article.pk]) if counted else None
    for name in changed:
        setattr(article, name, values[name])
    # updated_at is written even when only takeaways or tags changed: the article did change.
    article.save(update_fields=[*changed, "updated_at"])
    if takeaways_changed:
        # Delete first: positions are unique per article.
        article.takeaways.all().delete()
        _takeaways_create(article=article, texts=takeaways)
    if tags_changed:
        _tag_links_set(article=article, tags=tags)
    if before is not None:
        article_counts_refresh(article_ids=[article.pk], before=before)
    if takeaways_changed or SEARCHED_FIELDS.intersection(changed):
        article_refresh_search_vector(article_ids=[article.pk])
    outbox.touched(articles=[article.pk], companies_shown=[company.pk] if company_filled else [])
    return article, "updated"


def _company_get_or_create(*, data: CompanyData) -> tuple[Company, bool]:
    """The company of this slug, created when missing; its blank URLs filled in when given
    (then the answer's second item is True: what the public sees of it changed).

    An existing company's name and set URLs are left alone: the admin owns them, and two
    import lines that disagree must not overwrite each other on every run.
    """
    urls = {field: data.get(field) or "" for field in ("website_url", "logo_url")}
    company, created = Company.objects.get_or_create(
        slug=data["slug"], defaults={"name": data["name"], **urls}
    )
    if not created:
        blanks = [field for field, url in urls.items() if url and not getattr(company, field)]
        if blanks:
            for field in blanks:
                setattr(company, field, urls[field])
            company.save(update_fields=[*blanks, "updated_at"])
            return company, True
    return company, False


def _tags_get_or_create(*, tags: Sequence[TagData]) -> list[Tag]:
    """The tags of these slugs, in their order (the article's, as the line gives it); a missing
    one is created with the name as given."""
    found = {tag.slug: tag for tag in Tag.objects.filter(slug__in=[t["slug"] for t in tags])}
    for tag in tags:
        if tag["slug"] not in found:
            found[tag["slug"]], _ = Tag.objects.get_or_create(
                slug=tag["slug"], defaults={"name": tag["name"]}
            )
    return [found[tag["slug"]] for tag in tags]


def _tag_ids_in_order(*, article: Article) -> list[int]:
    """The ids of the article's tags, in the order the API shows them (LINK_ORDER)."""
    return list(article.article_tags.order_by(*LINK_ORDER).values_list("tag_id", flat=True))


def _tag_links_set(*, article: Article, tags: Sequence[Tag]) -> bool:
    """Link `article` to exactly `tags`, in their order: positions 0, 1, 2... (a tag given
    twice keeps its first place). Writes only the links that differ, one row each, so that the
    links' signals purge what shows them (botbeat/signals.py); the caller keeps the counts.
    Returns whether any link changed."""
    wanted = list(dict.fromkeys(tags))
    links = {link.tag_id: link for link in ArticleTag.objects.filter(article=article)}
    gone = [pk for pk in links if pk not in {tag.pk for tag in wanted}]
    changed = bool(gone)
    if gone:
        ArticleTag.objects.filter(article=article, tag_id__in=gone).delete()
    for position, tag in enumerate(wanted):
        link = links.get(tag.pk)
        if link is None:
            ArticleTag.objects.create(article=article, tag=tag, position=position)
            changed = True
        elif link.position != position:
            link.position = position
            link.save(update_fields=["position"])
            changed = True
    return changed


def _takeaways_create(*, article: Article, texts: Sequence[str]) -> None:
    Takeaway.objects.bulk_create(
        Takeaway(article=article, position=position, text=text)
        for position, text in enumerate(texts)
    )


# Publication and tag maintenance: what the admin's actions (and any later caller) go through.


@transaction.atomic
def article_publish(
    *, article: Article, by: AbstractBaseUser | None, at: dt.datetime | None = None
) -> Article:
    """Publish `article` now, or at `at` (a future `at` schedules it); returns it, reloaded.
    `by` did it: the admin's log records it (botbeat.services.audit; None: the system).

    Without `at`, a draft or a scheduled article goes live now, and one already live keeps its
    publication time: that time is part of its public record, and "publish now" twice must not
    move it. Writes and records nothing when nothing changes.
    """
    if at is not None and timezone.is_naive(at):
        raise Invalid("A publication time needs a time zone.", code="naive", field="published_at")
    article = Article.objects.select_for_update().defer("search_vector").get(pk=article.pk)
    now = timezone.now()
    if at is None:
        if article.status == Status.PUBLISHED and article.published_at <= now:
            return article
        at = now
    if article.status == Status.PUBLISHED and article.published_at == at:
        return article
    before = article_links_lock(article_ids=[article.pk])
    article.status = Status.PUBLISHED
    article.published_at = at
    article.save(update_fields=["status", "published_at", "updated_at"])
    article_counts_refresh(article_ids=[article.pk], before=before)
    outbox.touched(articles=[article.pk])
    when = "now" if at == now else f"for {at.isoformat()}" if at > now else f"at {at.isoformat()}"
    audit(by=by, objects=[article], message=f"Published {when}.")
    return article


@transaction.atomic
def article_unpublish(*, article: Article, by: AbstractBaseUser | None) -> Article:
    """Take `article` back to draft (live or scheduled alike); returns it, reloaded. `by` did
    it, on the record.

    `published_at` stays: a draft carries the time it is planned for. Idempotent: unpublishing
    a draft writes and records nothing.
    """
    article = Article.objects.select_for_update().defer("search_vector").get(pk=article.pk)
    if article.status != Status.DRAFT:
        before = article_links_lock(article_ids=[article.pk])
        article.status = Status.DRAFT
        article.save(update_fields=["status", "updated_at"])
        article_counts_refresh(article_ids=[article.pk], before=before)
        outbox.touched(articles=[article.pk])
        audit(by=by, objects=[article], message="Unpublished.")
    return article


@transaction.atomic
def article_rename(*, article: Article, slug: str, by: AbstractBaseUser | None) -> Article:
    """Give `article` the slug `slug`; returns it, reloaded. Its old address keeps working: a GET
    of it, or of anything under it, answers 301 to the new one, and so do the slugs it had
    before, in one hop (botbeat.redirects). `by` did it, on the record.

    A slug another article has is refused (`slug_taken`); one that was another article's old
    slug is taken over (a live slug wins). Writes and records nothing when the slug is the same.
    """
    try:
        slug = Article._meta.get_field("slug").clean(slug, article)
    except ValidationError as error:
        raise Invalid(" ".join(error.messages), code="invalid", field="slug") from None
    article = Article.objects.select_for_update().defer("search_vector").get(pk=article.pk)
    old = article.slug
    if slug == old:
        return article
    if Article.objects.filter(slug=slug).exists():
        raise Invalid("Another article has this slug.", code="slug_taken", field="slug")
    article.slug = slug
    article.save(update_fields=["slug", "updated_at"])
    slug_renamed(obj=article, old_slug=old)
    outbox.touched(articles=[article.pk])
    audit(
        by=by,
        objects=[article],
        message=f"Changed the slug from “{old}” to “{slug}”: the old address redirects here.",
    )
    return article


def article_tags_set(*, article: Article, tags: Iterable[Tag]) -> None:
    """Give `article` exactly these tags, in this order (the editors': the API shows the first
    first), keeping the published counts."""
    with transaction.atomic():
        with article_counts_kept(article_ids=[article.pk]):
            changed = _tag_links_set(article=article, tags=list(tags))
        if changed:  # once counted: the tags' visibility reads the counts
            outbox.touched(articles=[article.pk])


@transaction.atomic
def tag_merge(*, source: Tag, target: Tag, by: AbstractBaseUser | None) -> int:
    """Merge the duplicate tag `source` into `target`: every article of `source` ends up with
    `target`, then `source` is deleted. Returns how many articles `source` carried. `by` did
    it: the admin's log records the source's deletion and, on the target, what it absorbed.

    The target takes the source's place in each article's order. An article that has both
    keeps its single link to `target` (the (article, tag) pair is unique), at the first of the
    two places: its link to `source` is dropped rather than moved. The articles whose tags
    changed get a new `updated_at`. Tags do not feed the search vector: nothing to refresh.
    The source's slug, and the slugs merged into it before, answer 301 to `target` from now on
    (botbeat.redirects).
    """
    if source.pk == target.pk:
        raise Invalid("A tag cannot be merged into itself.", code="same_tag", field="target")
    # Lock both tags, in id order (two merges of the same pair cannot deadlock): this also makes
    # anyone linking an article to either of them wait for the merge (the link's foreign key).
    # Tags before articles, against the order the counts' writers lock in (see "The published
    # counts" below): a concurrent write to one of the merged articles may deadlock with the
    # merge, and PostgreSQL then cancels one of the two; no count is left wrong.
    list(Tag.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk"))
    links = ArticleTag.objects.filter(tag=source)
    relinked = list(links.values_list("article_id", flat=True))
    carried = len(relinked)
    Article.objects.filter(pk__in=relinked).update(updated_at=timezone.now())
    _links_merge(source=source, target=target)
    merge_audit(by=by, source=source, target=target, carried=carried)
    slug_merged(source=source, target=target)  # before the delete: its old slugs go to target
    Tag.objects.filter(pk=source.pk).delete()
    tag_counts_refresh(tag_ids=[target.pk])
    outbox.touched(articles=relinked, tags=[source.pk, target.pk])
    purge_everything()  # the updates above send no signal (botbeat/signals.py)
    return carried


def _links_merge(*, source: Tag, target: Tag) -> None:
    """Move the links of `source` to `target`, each keeping its position (the source's place);
    where the article has `target` already, its link moves up to the source's place when that
    comes first, and the source's link goes. Three statements, whatever the articles."""
    links = ArticleTag.objects.filter(tag=source)
    earlier_source = ArticleTag.objects.filter(
        tag=source, article_id=OuterRef("article_id"), position__lt=OuterRef("position")
    )
    ArticleTag.objects.filter(tag=target).filter(Exists(earlier_source)).update(
        position=Subquery(earlier_source.values("position")[:1])
    )
    links.filter(article__in=ArticleTag.objects.filter(tag=target).values("article")).delete()
    links.update(tag=target)


# The published counts (Tag.published_count, Company.published_count)
#
# Every write that can add or remove a link between a published article and a tag or a company
# (creating, publishing, unpublishing or deleting an article, changing its company or its tags,
# merging tags or companies) recounts the tags and companies concerned in its own transaction.
# Locks make that exact under concurrency (READ COMMITTED):
# - the writer first locks the articles it changes (article_links_lock), so that two writers of
#   one article, whether they change its status or its tags, take turns, and the second sees
#   the first one's links when it looks for the tags to recount;
# - a recount locks its rows in id order (FOR NO KEY UPDATE, which the links' foreign-key checks
#   do not wait for), then counts in a new statement: two writers of one tag take turns, and the
#   second counts the first one's committed links. Locks go articles, tags, companies.
# A recount reads the links themselves, so it also repairs a count that any other write left
# wrong (e.g. a stale full save of the row).


@dataclasses.dataclass(frozen=True)
class PublishedLinks:
    """The (article id, tag id) and (article id, company id) pairs that a set of articles adds
    to the published counts: those of its articles with status published."""

    tags: frozenset[tuple[int, int]] = frozenset()
    companies: frozenset[tuple[int, int]] = frozenset()


def article_links_lock(*, article_ids: Iterable[int]) -> PublishedLinks:
    """Lock these articles (in id order, until the transaction ends) and return their published
    links: call it in a transaction, before writing to them, and pass the answer to
    article_counts_refresh once written."""
    return _published_links(article_ids=article_ids, lock=True)


def article_counts_refresh(*, article_ids: Iterable[int], before: PublishedLinks) -> None:
    """Recount the tags and companies whose published links to these articles differ from
    `before` (article_links_lock's answer, taken in this transaction before the writes)."""
    after = _published_links(article_ids=article_ids)
    tag_counts_refresh(tag_ids={tag for _, tag in before.tags ^ after.tags})
    company_counts_refresh(
        company_ids={company for _, company in before.companies ^ after.companies}
    )


def _published_links(*, article_ids: Iterable[int], lock: bool = False) -> PublishedLinks:
    """One query for the articles, one more for their tags when any is published."""
    ids = sorted(set(article_ids))
    if not ids:
        return PublishedLinks()
    articles = Article.objects.filter(pk__in=ids).order_by("pk")
    if lock:
        articles = articles.select_for_update(no_key=True)
    published = {
        pk: company
        for pk, status, company in articles.values_list("pk", "status", "company_id")
        if status == Status.PUBLISHED
    }
    if not published:
        return PublishedLinks()
    tags = ArticleTag.objects.filter(article_id__in=list(published)).values_list(
        "article_id", "tag_id"
    )
    return PublishedLinks(tags=frozenset(tags), companies=frozenset(published.items()))


@contextlib.contextmanager
def article_counts_kept(*, article_ids: Iterable[int] = ()) -> Iterator[set[int]]:
    """A transaction that keeps the published counts exact across the writes of its block to
    the articles `article_ids`: it locks them first and recounts what changed at the end.
    The block adds the ids of the articles it creates to the set it is given."""
    ids = set(article_ids)
    with transaction.atomic():
        before = article_links_lock(article_ids=ids)
        yield ids
        article_counts_refresh(article_ids=ids, before=before)


def tag_counts_refresh(*, tag_ids: Iterable[int]) -> None:
    """Recount `Tag.published_count` of these tags from their links, in one UPDATE after
    locking them in id order (see above). Costs an index range per tag: a few milliseconds for
    a tag on 40% of 100,000 articles."""
    published = count_of(ArticleTag.objects.filter(article__status=Status.PUBLISHED), per="tag")
    stored_count_refresh(model=Tag, ids=tag_ids, field="published_count", count=published)
