"""The outbox: what every write the public can see calls, in its transaction.

A write names the resources it touched (`touched(articles=..., comments=..., ...)`), by id;
the outbox compares each one as the public sees it now with what it last announced of it
(changes.models.Announced) and records the changes that make the difference:

- a resource public now and never announced: `article.published`, `company.updated`,
  `tag.updated`, `comment.created`; still public: `*.updated`; no longer public (unpublished,
  scheduled again, deleted, merged away, hidden): `*.removed`, with the key it was announced
  under. A public resource whose key changed (a renamed slug) gets `*.removed` of the old key
  and `*.updated` of the new one: a mirror keyed by `key` drops the old entry.
- the cascades follow from the comparison: an article that turns public or stops being so
  also touches its company, its tags (their visibility and counts) and its comments (they come
  and go with it); an article whose company, tags or publication time changed touches the
  companies and tags concerned; a comment touches its article (`comment_count`) and the
  comments above it (`reply_count`); a company's or a tag's own fields (`companies_shown`,
  `tags_shown`: a rename, a new logo) touch the public articles that show them.

So the callers need not know the type of what they did, and a cascade cannot be forgotten.
One call costs a few queries and three INSERTs at most (the changes, their scopes, the
announced state), whatever it touched; `changes_recorded` is sent with the saved rows inside
the transaction (the webhooks' receiver). The change feed's cached answers are purged on
commit (CHANGES_KEY).

No model signal calls it: a QuerySet.update() would bypass one. Every service and admin path
calls it explicitly; tests/changes/test_outbox.py checks that each does.
"""

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from articles.models import Article, ArticleTag, Status, Tag, published_q
from botbeat.purge import purge
from changes.models import Announced, Change, ChangeScope, ChangeType
from changes.signals import changes_recorded
from comments.models import Comment, ancestor_ids
from companies.models import Company

PUBLIC = AnonymousUser()
# Purged on every outbox write: the change feed's answers carry it (changes.views).
CHANGES_KEY = "changes"


@dataclass
class _State:
    """A resource as the public sees it now (None: not at all) or as last announced."""

    key: str
    article_id: int | None = None
    company_id: int | None = None
    tag_ids: list[int] = field(default_factory=list)
    published_at: dt.datetime | None = None

    def row(self, kind: str, object_id: int) -> Announced:
        return Announced(
            kind=kind,
            object_id=object_id,
            key=self.key,
            article_id=self.article_id,
            company_id=self.company_id,
            tag_ids=self.tag_ids,
            published_at=self.published_at,
        )

    def same(self, other: "_State") -> bool:
        return (
            self.key == other.key
            and self.article_id == other.article_id
            and self.company_id == other.company_id
            and sorted(self.tag_ids) == sorted(other.tag_ids)
            and self.published_at == other.published_at
        )


NEW_TYPE = {
    "article": ChangeType.ARTICLE_PUBLISHED,
    "company": ChangeType.COMPANY_UPDATED,
    "tag": ChangeType.TAG_UPDATED,
    "comment": ChangeType.COMMENT_CREATED,
}
UPDATED_TYPE = {
    "article": ChangeType.ARTICLE_UPDATED,
    "company": ChangeType.COMPANY_UPDATED,
    "tag": ChangeType.TAG_UPDATED,
    "comment": ChangeType.COMMENT_UPDATED,
}
REMOVED_TYPE = {
    "article": ChangeType.ARTICLE_REMOVED,
    "company": ChangeType.COMPANY_REMOVED,
    "tag": ChangeType.TAG_REMOVED,
    "comment": ChangeType.COMMENT_REMOVED,
}


def _announced(pairs: dict[str, set[int]]) -> dict[tuple[str, int], _State]:
    query = Q()
    for kind, ids in pairs.items():
        if ids:
            query |= Q(kind=kind, object_id__in=sorted(ids))
    if not query:
        return {}
    return {
        (row.kind, row.object_id): _State(
            key=row.key,
            article_id=row.article_id,
            company_id=row.company_id,
            tag_ids=list(row.tag_ids),
            published_at=row.published_at,
        )
        for row in Announced.objects.filter(query)
    }


class _Batch:
    def __init__(self, now: dt.datetime):
        self.now = now
        self.changes: list[Change] = []
        self.scopes: list[list[tuple[str, int]]] = []
        self.upserts: list[Announced] = []
        self.deletes: dict[str, set[int]] = {}

    def add(self, type_: str, key: str, object_id: int, scopes: Iterable[tuple[str, int]]):
        self.changes.append(Change(type=type_, key=key, object_id=object_id, at=self.now))
        self.scopes.append(sorted(set(scopes)))

    def compare(
        self,
        kind: str,
        object_id: int,
        now: _State | None,
        before: _State | None,
        scopes: set[tuple[str, int]],
    ) -> None:
        """Record what turns `before` (announced) into `now` (public), and keep `now`."""
        if now is None:
            if before is not None:
                self.add(REMOVED_TYPE[kind], before.key, object_id, scopes)
                self.deletes.setdefault(kind, set()).add(object_id)
            return
        if before is None:
            self.add(NEW_TYPE[kind], now.key, object_id, scopes)
        else:
            if before.key != now.key:
                self.add(REMOVED_TYPE[kind], before.key, object_id, scopes)
            self.add(UPDATED_TYPE[kind], now.key, object_id, scopes)
        if before is None or not now.same(before):
            self.upserts.append(now.row(kind, object_id))

    def save(self) -> list[Change]:
        if not self.changes:
            return []
        if connection.vendor == "postgresql":
            self._save_in_one_statement()
            return self.changes
        Change.objects.bulk_create(self.changes)
        scopes = [
            ChangeScope(change_id=change.pk, scope=scope, ref_id=ref_id)
            for change, pairs in zip(self.changes, self.scopes, strict=True)
            for scope, ref_id in pairs
        ]
        if scopes:
            ChangeScope.objects.bulk_create(scopes)
        if self.deletes:
            query = Q()
            for kind, ids in self.deletes.items():
                query |= Q(kind=kind, object_id__in=sorted(ids))
            Announced.objects.filter(query).delete()
        if self.upserts:
            Announced.objects.bulk_create(
                self.upserts,
                update_conflicts=True,
                unique_fields=["kind", "object_id"],
                update_fields=["key", "article_id", "company_id", "tag_ids", "published_at"],
            )
        return self.changes

    def _save_in_one_statement(self) -> None:
        """What save() writes, on PostgreSQL in two round trips: the changes' ids from their
        sequence (in order, under the feed's lock: commit order), then the changes, their
        scopes and the announced state in one statement (data-modifying CTEs). The ORM's
        three or four bulk writes were most of a comment's outbox time."""
        with connection.cursor() as cursor:
            cursor.execute(NEXT_IDS, [Change._meta.db_table, len(self.changes)])
            ids = sorted(row[0] for row in cursor.fetchall())
            for change, pk in zip(self.changes, ids, strict=True):
                change.id = pk
                change._state.adding, change._state.db = False, connection.alias
            scopes = [
                (change.id, scope, ref_id)
                for change, pairs in zip(self.changes, self.scopes, strict=True)
                for scope, ref_id in pairs
            ]
            deletes = [(kind, pk) for kind, pks in self.deletes.items() for pk in sorted(pks)]
            upserts = self.upserts
            cursor.execute(
                SAVE_STATEMENT,
                [
                    ids,
                    [change.type for change in self.changes],
                    [change.key for change in self.changes],
                    [change.object_id for change in self.changes],
                    [change.at for change in self.changes],
                    [row[0] for row in scopes],
                    [row[1] for row in scopes],
                    [row[2] for row in scopes],
                    [kind for kind, _ in deletes],
                    [pk for _, pk in deletes],
                    [row.kind for row in upserts],
                    [row.object_id for row in upserts],
                    [row.key for row in upserts],
                    [row.article_id for row in upserts],
                    [row.company_id for row in upserts],
                    [json.dumps(row.tag_ids) for row in upserts],
                    [row.published_at for row in upserts],
                ],
            )


NEXT_IDS = "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)"
SAVE_STATEMENT = """
WITH changes AS (
    INSERT INTO changes_change (id, type, key, object_id, at)
    SELECT * FROM unnest(
        %s::bigint[], %s::varchar[], %s::varchar[], %s::bigint[], %s::timestamptz[]
    )
), scopes AS (
    INSERT INTO changes_changescope (change_id, scope, ref_id)
    SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::bigint[])
), removed AS (
    DELETE FROM changes_announced
    WHERE (kind, object_id) IN (SELECT * FROM unnest(%s::varchar[], %s::bigint[]))
)
INSERT INTO changes_announced (kind, object_id, key, article_id, company_id, tag_ids, published_at)
SELECT * FROM unnest(
    %s::varchar[], %s::bigint[], %s::varchar[], %s::bigint[], %s::bigint[], %s::jsonb[],
    %s::timestamptz[]
)
ON CONFLICT (kind, object_id) DO UPDATE SET
    key = EXCLUDED.key,
    article_id = EXCLUDED.article_id,
    company_id = EXCLUDED.company_id,
    tag_ids = EXCLUDED.tag_ids,
    published_at = EXCLUDED.published_at
"""


# The key of the transaction-level advisory lock that orders the outbox's writers (PostgreSQL).
FEED_LOCK = 0x6368616E676573  # "changes"


def _lock_feed() -> None:
    """Take the feed's lock until the transaction ends, before reading the announced state and
    before the changes get their ids. So the outbox's writers take turns: each decides from
    what the one before committed, and ids are given in commit order, so that a reader that
    saw change n has seen every change below n that will ever exist (without it a transaction
    holding n - 1 could commit after a reader went past n, which would then miss it for
    good). SQLite writes one transaction at a time already. A writer waits only for the
    others' outbox calls and the end of their transactions, from this point."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK])


def touched(
    *,
    articles: Iterable[int] = (),
    companies: Iterable[int] = (),
    tags: Iterable[int] = (),
    comments: Iterable[int] = (),
    companies_shown: Iterable[int] = (),
    tags_shown: Iterable[int] = (),
) -> list[Change]:
    """Record what the public can now see differently of these resources (ids; deleted ones
    too), in the current transaction (one is opened when there is none). Returns the changes
    saved, in their order (none: nothing public changed).

    `articles`: written themselves (their fields, status, company, tags, takeaways) or deleted.
    `companies`, `tags`: their visibility or counts may have changed (the outbox finds most of
    those itself, from the articles). `comments`: written or moderated. `companies_shown`,
    `tags_shown`: their own fields changed, which every article showing them shows too.
    """
    with transaction.atomic(savepoint=False):
        changes = _touched(
            articles=_ids(articles),
            companies=_ids(companies),
            tags=_ids(tags),
            comments=_ids(comments),
            companies_shown=_ids(companies_shown),
            tags_shown=_ids(tags_shown),
        )
        if changes:
            purge(CHANGES_KEY)
            changes_recorded.send(sender=Change, changes=changes)
        return changes


def _ids(ids: Iterable[int | None]) -> set[int]:
    return {pk for pk in ids if pk is not None}


def _comment_rows(query: Q, now: dt.datetime) -> dict[int, dict]:
    """The comments `query` selects, each with whether the public sees it (the rule of
    Comment.objects.visible_to, on the row: one query gives the state and the place)."""
    rows: dict[int, dict[str, Any]] = {}
    for values in Comment.objects.filter(query).values(
        "pk",
        "article_id",
        "path",
        "status",
        "reply_count",
        "article__status",
        "article__published_at",
    ):
        row: dict[str, Any] = dict(values)
        row["public"] = (
            row["article__status"] == Status.PUBLISHED
            and row["article__published_at"] <= now
            and (row["status"] == Comment.Status.VISIBLE or row["reply_count"] > 0)
        )
        rows[row["pk"]] = row
    return rows


def _touched(*, articles, companies, tags, comments, companies_shown, tags_shown) -> list[Change]:
    # First: what this reads (the announced state, the companies' and tags' visibility) must
    # include what the writer before it committed, or two writers could each decide from the
    # state before the other (a tag's last article unpublished as another is published).
    _lock_feed()
    now = timezone.now()
    batch = _Batch(now)
    direct = set(articles)
    if companies_shown or tags_shown:
        shown = Q(company_id__in=sorted(companies_shown)) | Q(
            pk__in=ArticleTag.objects.filter(tag_id__in=sorted(tags_shown)).values("article_id")
        )
        direct |= set(Article.objects.published(now).filter(shown).values_list("pk", flat=True))
        companies |= companies_shown
        tags |= tags_shown

    # The comments written, then those above them (their reply_count).
    comment_rows = _comment_rows(Q(pk__in=sorted(comments)), now) if comments else {}
    above = {pk for row in comment_rows.values() for pk in ancestor_ids(row["path"])}
    above -= set(comment_rows)
    if above:
        comment_rows.update(_comment_rows(Q(pk__in=sorted(above)), now))
    comments |= set(comment_rows)
    via_comments = {row["article_id"] for row in comment_rows.values()} - direct

    # The articles, now and as announced. One known only through its comments and announced
    # is public still (a write that ends that calls here) with its company and tags as
    # announced; one not announced is read whole.
    announced = _announced({"article": direct | via_comments, "comment": comments})
    direct |= {pk for pk in via_comments if ("article", pk) not in announced}
    via_comments -= direct
    rows: dict[int, dict[str, Any]] = {}
    if direct:
        rows = {
            row["pk"]: dict(row)
            for row in Article.objects.filter(pk__in=sorted(direct)).values(
                "pk", "slug", "status", "published_at", "company_id"
            )
        }

    def is_public(pk: int) -> bool:
        row = rows.get(pk)
        return row is not None and row["status"] == Status.PUBLISHED and row["published_at"] <= now

    tag_ids: dict[int, list[int]] = {pk: [] for pk in direct if is_public(pk)}
    if tag_ids:
        for article_id, tag_id in ArticleTag.objects.filter(
            article_id__in=sorted(tag_ids)
        ).values_list("article_id", "tag_id"):
            tag_ids[article_id].append(tag_id)

    article_now: dict[int, _State | None] = {}
    for pk in sorted(direct):
        row = rows.get(pk)
        if is_public(pk):
            article_now[pk] = _State(
                key=row["slug"],  # type: ignore[index]
                company_id=row["company_id"],  # type: ignore[index]
                tag_ids=tag_ids[pk],
                published_at=row["published_at"],  # type: ignore[index]
            )
        else:
            article_now[pk] = None
            if row is not None and row["status"] == Status.PUBLISHED:
                _schedule(pk, row["published_at"])  # for later
    for pk in via_comments:
        article_now[pk] = announced[("article", pk)]

    turned = set()  # articles that became public or stopped being so
    turned_comments = set()  # articles whose comments changed with them: those, and renamed
    for pk, state in article_now.items():
        before = announced.get(("article", pk))
        if state is None and before is None:
            continue
        if state is None or before is None:
            turned.add(pk)
            turned_comments.add(pk)
            side = state or before
            companies.add(side.company_id)  # type: ignore[union-attr]
            tags.update(side.tag_ids)  # type: ignore[union-attr]
            continue
        if state.key != before.key:
            turned_comments.add(pk)  # each comment shows its article's slug
        if state.company_id != before.company_id or state.published_at != before.published_at:
            companies.update({state.company_id, before.company_id})
        tags.update(set(state.tag_ids) ^ set(before.tag_ids))

    # The companies, the tags, and the comments of the articles that came or went: as
    # announced (one query) and as the public sees them now.
    pairs: dict[str, set[int]] = {"company": companies, "tag": tags}  # (comments: read above)
    query = Q()
    for kind, ids in pairs.items():
        if ids:
            query |= Q(kind=kind, object_id__in=sorted(ids))
    if turned_comments:
        query |= Q(kind="comment", article_id__in=sorted(turned_comments))
    if query:
        for entry in Announced.objects.filter(query):
            announced[(entry.kind, entry.object_id)] = _State(
                key=entry.key,
                article_id=entry.article_id,
                company_id=entry.company_id,
                tag_ids=list(entry.tag_ids),
                published_at=entry.published_at,
            )
            if entry.kind == "comment":
                comments.add(entry.object_id)
    if turned_comments:
        comment_rows.update(
            _comment_rows(
                Q(article_id__in=sorted(turned_comments)) & ~Q(pk__in=sorted(comment_rows)), now
            )
        )
        comments |= set(comment_rows)

    for pk, state in article_now.items():
        before = announced.get(("article", pk))
        batch.compare("article", pk, state, before, _scopes_of(state, before))

    for kind, visible, ids in (
        ("company", _public_companies, companies),
        ("tag", _public_tags, tags),
    ):
        if not ids:
            continue
        public = dict(visible(sorted(ids), now).values_list("pk", "slug"))
        for pk in sorted(ids):
            state = _State(key=public[pk]) if pk in public else None
            batch.compare(kind, pk, state, announced.get((kind, pk)), {(kind, pk)})

    for pk in sorted(comments):
        before = announced.get(("comment", pk))
        crow = comment_rows.get(pk)
        state = None
        if crow is not None and crow["public"]:
            article = article_now.get(crow["article_id"]) or announced.get(
                ("article", crow["article_id"])
            )
            state = _State(
                key=str(pk),
                article_id=crow["article_id"],
                company_id=article.company_id if article else None,
                tag_ids=list(article.tag_ids) if article else [],
            )
        batch.compare("comment", pk, state, before, _scopes_of(state, before))

    return batch.save()


def _public_companies(ids: list[int], now: dt.datetime):
    return Company.objects.visible_to(PUBLIC).filter(pk__in=ids)


def _public_tags(ids: list[int], now: dt.datetime):
    """Tag.objects.visible_to(PUBLIC) for a few tags: those with a public article, one probe
    of the tag's links each (the queryset's NOT IN reads every scheduled article's links,
    which suits a list of all tags, not a write)."""
    links = ArticleTag.objects.filter(tag_id=OuterRef("pk")).filter(published_q("article__", now))
    return Tag.objects.filter(pk__in=ids, published_count__gt=0).filter(Exists(links))


def _scopes_of(state: _State | None, before: _State | None) -> set[tuple[str, int]]:
    scopes = set()
    for side in (state, before):
        if side is None:
            continue
        if side.company_id is not None:
            scopes.add(("company", side.company_id))
        scopes.update(("tag", tag_id) for tag_id in side.tag_ids)
    return scopes


def _schedule(article_id: int, at: dt.datetime) -> None:
    """A scheduled article: announce it when its time comes (changes.tasks)."""
    from changes.tasks import publish_due

    transaction.on_commit(
        lambda: publish_due.using(run_after=at).enqueue(article_id=article_id, at=at.isoformat())
    )
