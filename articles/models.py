import functools
import itertools

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import (
    Aggregate,
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
)
from django.db.models.functions import JSONArray, Substr
from django.db.models.query import ModelIterable
from django.utils import timezone

from botbeat.counters import save_leaving
from botbeat.prebuilt import prebuilt
from botbeat.redirects import SlugRedirect
from botbeat.replicas import reading
from botbeat.roles import sees_unpublished

# How many characters of the summary a list item's excerpt is cut from.
EXCERPT_SOURCE_LENGTH = 300


class Category(models.TextChoices):
    RESEARCH = "research", "Research"
    PRODUCT_LAUNCH = "product_launch", "Product Launch"
    PARTNERSHIP = "partnership", "Partnership"
    FUNDING = "funding", "Funding"
    POLICY = "policy", "Policy"
    OPINION = "opinion", "Opinion"
    ACQUISITION = "acquisition", "Acquisition"
    INDUSTRY = "industry", "Industry"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class StoredCountsModel(models.Model):
    """A model whose `published_count` only its counting service writes: a save of the whole
    row (the admin's form, a rename) leaves the column alone, so a count loaded before another
    transaction changed it is never written back over it."""

    STORED_COUNTS = frozenset({"published_count"})

    class Meta:
        abstract = True

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is None and not self._state.adding:
            update_fields = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.STORED_COUNTS
            ]
        super().save(*args, update_fields=update_fields, **kwargs)


class JSONList(Aggregate):
    """The values as one JSON array, in no order (SQLite before 3.44 takes no ORDER BY in an
    aggregate): jsonb_agg on PostgreSQL, json_group_array elsewhere."""

    function = "JSON_GROUP_ARRAY"
    output_field = models.JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


class TagQuerySet(models.QuerySet):
    def visible_to(self, user) -> "TagQuerySet":
        """Tags of no published article stay hidden from the public: they would announce drafts.

        A tag is public when its `published_count` exceeds its scheduled articles. Those are
        few (the future end of the article_feed index), so the tags that only scheduled
        articles carry are found in one pass over them (a NOT IN that PostgreSQL hashes once
        per query), whatever the number of tags: an EXISTS per tag costs that per tag.
        """
        if sees_unpublished(user):
            return self.all()
        only_scheduled = (
            ArticleTag.objects.filter(scheduled_q("article__"))
            .values("tag_id", "tag__published_count")
            .annotate(n=Count("*"))
            .filter(n__gte=F("tag__published_count"))
            .values("tag_id")
        )
        return self.filter(published_count__gt=0).exclude(pk__in=only_scheduled)

    def with_article_count(self) -> "TagQuerySet":
        """Each tag fetched gets `article_count`: its public articles, exact.

        That is `published_count` less the tag's scheduled articles, counted in one more query
        once the tags are fetched (as prefetch_related does): a pass over the scheduled articles'
        links, whatever the page size. A count per tag in SQL costs each tag's links or all the
        scheduled articles, per tag.
        """
        clone = self.all()
        clone._iterable_class = TagWithArticleCountIterable
        return clone


class TagWithArticleCountIterable(ModelIterable):
    """The tags of TagQuerySet.with_article_count()."""

    def __iter__(self):
        tags = super().__iter__()
        first = next(tags, None)
        if first is None:
            return
        # Every tag's, not only those fetched: filtered by tag, PostgreSQL reads the tags'
        # links (tens of thousands for a common one) rather than the scheduled articles'.
        scheduled = dict(
            ArticleTag.objects.using(self.queryset.db)
            .filter(scheduled_q("article__"))
            .order_by()
            .values("tag_id")
            .annotate(n=Count("*"))
            .values_list("tag_id", "n")
        )
        for tag in itertools.chain([first], tags):
            tag.article_count = tag.published_count - scheduled.get(tag.pk, 0)
            yield tag


class Tag(StoredCountsModel):
    slug = models.SlugField(max_length=100)
    name = models.CharField(max_length=100)
    # Links to articles of status published, scheduled ones included: kept exact, in the
    # writing transaction, by articles.services.tag_counts_refresh. The public count subtracts
    # the scheduled ones when read (TagQuerySet.with_article_count).
    published_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="tag_slug_unique"),
            models.CheckConstraint(condition=~Q(slug=""), name="tag_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


def published_q(prefix: str = "", now=None) -> Q:
    """The public visibility rule, for `Article` itself or through a relation (`prefix`)."""
    return Q(
        **{
            f"{prefix}status": Status.PUBLISHED,
            f"{prefix}published_at__lte": now or timezone.now(),
        }
    )


def scheduled_q(prefix: str = "", now=None) -> Q:
    """Published, but for later: counted in `published_count`, not yet public."""
    return Q(
        **{
            f"{prefix}status": Status.PUBLISHED,
            f"{prefix}published_at__gt": now or timezone.now(),
        }
    )


# An article's tags in the editors' order: by the link's position, then (for links that
# share one) by name. From the article (`article.tags`, a prefetch of them; an expression,
# which is resolved when the query is compiled, after the models are loaded) or from its links.
TAG_ORDER = (F("article_tags__position").asc(), "name", "slug")
LINK_ORDER = ("position", "tag__name", "tag__slug")

# The prefetch of for_list() and for_detail(): `article.tags_in_order`, a list. Its ordering
# reads the link the prefetch joins already (one join, not two).
TAGS_IN_ORDER = Prefetch("tags", queryset=Tag.objects.order_by(*TAG_ORDER), to_attr="tags_in_order")


# A list item's columns, as .values() names them (list_rows(); articles.serializers writes
# them out). The company's too: one join, no instance.
LIST_COLUMNS = (
    "id",
    "slug",
    "title",
    "category",
    "published_at",
    "comment_count",
    "company_id",
    "company__slug",
    "company__name",
    "company__logo_url",
)
# A feed item's columns beyond a list item's (feed_rows(): articles/feeds.py): the whole
# summary is its content, the excerpt cut from it, and `updated_at` its date of change.
FEED_COLUMNS = ("summary", "updated_at")
# A detail's columns beyond a list item's (detail_rows()).
DETAIL_COLUMNS = (
    "status",
    "summary",
    "editorial_opinion",
    "source_name",
    "source_url",
    "authors",
    "comments_open",
    "updated_at",
)


TagRow = tuple[int, str, str]  # a tag as the rows carry it: id, slug, name


def with_tags(rows: list[dict]) -> list[dict]:
    """Give each article row its "tags", `TagRow`s in the editors' order (LINK_ORDER): one
    query for a page of articles (the article_tag_in_order index alone, then each tag by its
    key), no instance."""
    by_id: dict[int, list[TagRow]] = {}
    for row in rows:
        row["tags"] = by_id[row["id"]] = []
    if by_id:
        ids = list(by_id)
        database = reading(ArticleTag)
        with database.cursor() as cursor:
            cursor.execute(_tag_links_sql(database.vendor, len(ids)), ids)
            for article_id, *tag in cursor.fetchall():
                by_id[article_id].append(tuple(tag))
    return rows


@functools.cache
def _tag_links_sql(vendor: str, count: int) -> str:
    """The statement of with_tags() for `count` articles, as the ORM compiles it: once per page
    size and process, since building and compiling it again took half the query's 0.8 ms. Its
    parameters are the articles' ids, in order (checked here); its columns are integers and
    strings, which need no conversion from any database."""
    ids = list(range(1, count + 1))
    links = ArticleTag.objects.filter(article_id__in=ids).order_by(*LINK_ORDER)
    sql, params = links.values_list(
        "article_id", "tag_id", "tag__slug", "tag__name"
    ).query.sql_with_params()
    if list(params) != ids:
        raise AssertionError(f"with_tags: unexpected parameters {params!r}")
    return sql


@prebuilt
def article_detail_rows() -> "ArticleQuerySet":
    """Article.objects.detail_rows(), for the detail's lookup (botbeat.prebuilt)."""
    return Article.objects.detail_rows()


@prebuilt
def article_list_rows() -> "ArticleQuerySet":
    """Article.objects.list_rows(): the feed's page, its filters added (botbeat.prebuilt)."""
    return Article.objects.list_rows()


@prebuilt
def article_list_rows_newest() -> "ArticleQuerySet":
    """Article.objects.list_rows(), newest first: the panels' pages (botbeat.prebuilt)."""
    return Article.objects.list_rows().newest_first()


@prebuilt
def article_feed_rows_newest() -> "ArticleQuerySet":
    """Article.objects.feed_rows(), newest first: the RSS, Atom and JSON feeds' items
    (articles/feeds.py; botbeat.prebuilt)."""
    return Article.objects.feed_rows().newest_first()


# Newest first, ties broken by id so that the order is total: the feed's, the panels', the
# admin's, and that of the indexes that serve them (article_feed and the others below).
NEWEST_FIRST = ("-published_at", "-id")


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None) -> "ArticleQuerySet":
        """Articles the public may see: published, and not scheduled for later."""
        return self.filter(published_q(now=now))

    def scheduled(self, now=None) -> "ArticleQuerySet":
        """Articles published for later: in the stored published counts, not yet public."""
        return self.filter(scheduled_q(now=now))

    def newest_first(self) -> "ArticleQuerySet":
        """Newest first, ties by id (NEWEST_FIRST): the order the feed's indexes keep."""
        return self.order_by(*NEWEST_FIRST)

    def visible_to(self, user) -> "ArticleQuerySet":
        """Editors see drafts and scheduled articles; everyone else only published ones."""
        if sees_unpublished(user):
            return self.all()
        return self.published()

    def for_list(self) -> "ArticleQuerySet":
        """Everything a list item renders, in a fixed number of queries whatever the page size.

        The tags land in a list, `tags_in_order`: a prefetch into the `tags` manager instead
        builds a manager and a queryset per article, which cost 4 ms of the feed's 14 here.
        """
        return (
            self.select_related("company")
            .prefetch_related(TAGS_IN_ORDER)
            .defer("summary", "editorial_opinion", "search_vector", "authors")
            .annotate(excerpt_source=Substr("summary", 1, EXCERPT_SOURCE_LENGTH))
        )

    def list_rows(self) -> "ArticleQuerySet":
        """What a list item shows, as plain rows (`.values()`) with the company's columns
        joined in; the tags come apart (with_tags). Rows, not instances: building an
        article and a company per item, and prefetching the tags into them, was most of a
        feed page's time (tests/miss_costs.py measures it). Annotations made before (a
        search's `relevance`) stay in the rows, for the cursor."""
        # values() keeps the queryset's class (Django clones it); django-stubs says QuerySet.
        return self.annotate(  # type: ignore[return-value]
            excerpt_source=Substr("summary", 1, EXCERPT_SOURCE_LENGTH)
        ).values(*LIST_COLUMNS, *self.query.annotations, "excerpt_source")

    def feed_rows(self) -> "ArticleQuerySet":
        """What a feed item shows (articles/feeds.py), as plain rows: a list item's columns
        and FEED_COLUMNS; the tags come apart (with_tags)."""
        # values() keeps the queryset's class (Django clones it); django-stubs says QuerySet.
        return self.values(*LIST_COLUMNS, *FEED_COLUMNS)  # type: ignore[return-value]

    def with_takeaway_items(self) -> "ArticleQuerySet":
        """Each article's takeaways as `takeaway_items`, `[position, text]` pairs in no order
        (takeaways_of() orders them). A subquery of the same statement, rather than a query of
        its own, costs the database 0.1 ms more and saves a round trip."""
        items = (
            Takeaway.objects.filter(article=OuterRef("pk"))
            .order_by()
            .values("article")
            .annotate(items=JSONList(JSONArray("position", "text")))
            .values("items")
        )
        return self.annotate(takeaway_items=Subquery(items))

    def detail_rows(self) -> "ArticleQuerySet":
        """What the detail shows, as plain rows, its takeaways in the row as `takeaway_items`
        (with_takeaway_items()); the tags come apart (with_tags)."""
        # values() keeps the queryset's class (Django clones it); django-stubs says QuerySet.
        return self.with_takeaway_items().values(  # type: ignore[return-value]
            *LIST_COLUMNS, *DETAIL_COLUMNS, "takeaway_items"
        )

    def for_detail(self) -> "ArticleQuerySet":
        return (
            self.select_related("company")
            .prefetch_related(
                TAGS_IN_ORDER,
                Prefetch(
                    "takeaways",
                    queryset=Takeaway.objects.order_by("position"),
                    to_attr="takeaways_in_order",
                ),
            )
            .defer("search_vector")
        )


class Article(models.Model):
    slug = models.SlugField(max_length=200)
    title = models.CharField(max_length=300)
    company = models.ForeignKey(
        "companies.Company", on_delete=models.PROTECT, related_name="articles"
    )
    category = models.CharField(max_length=32, choices=Category.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Never null: a draft carries the time it is planned for, so every order and cursor over
    # it is total. A published article with a future time is scheduled.
    published_at = models.DateTimeField(default=timezone.now)
    summary = models.TextField(blank=True)
    editorial_opinion = models.TextField(blank=True)
    source_name = models.CharField(max_length=200, blank=True)
    source_url = models.URLField(max_length=1000, blank=True)
    authors = models.JSONField(default=list, blank=True)
    tags = models.ManyToManyField(Tag, through="ArticleTag", related_name="articles", blank=True)
    comments_open = models.BooleanField(default=True)
    # The visible comments: what the public sees counted. Maintained exactly by the comment
    # services (comments.services.comment_count_visible), in each comment write's transaction
    # and under this row's lock, so that a list reads it instead of counting comments.
    comment_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # Maintained by articles.services.article_refresh_search_vector (PostgreSQL only).
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = list(NEWEST_FIRST)
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="article_slug_unique"),
            models.CheckConstraint(condition=~Q(slug=""), name="article_slug_not_empty"),
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="article_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="article_status_valid"
            ),
        ]
        indexes = [
            # the public feed: newest published first, keyset-paginated on (published_at, id)
            models.Index(
                fields=["-published_at", "-id"],
                name="article_feed",
                condition=Q(status=Status.PUBLISHED),
            ),
            # more-from-company and the feed filtered by company
            models.Index(
                fields=["company", "-published_at", "-id"],
                name="article_company_feed",
                condition=Q(status=Status.PUBLISHED),
            ),
            # the feed filtered by category
            models.Index(
                fields=["category", "-published_at", "-id"],
                name="article_category_feed",
                condition=Q(status=Status.PUBLISHED),
            ),
            # the admin's article list and the staff's feed, drafts and scheduled included
            models.Index(fields=["-published_at", "-id"], name="article_admin_newest"),
            # q: ranked full-text search (PostgreSQL; skipped on SQLite by the migration)
            GinIndex(fields=["search_vector"], name="article_search_gin"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        save_leaving(self, ("comment_count",), args, kwargs)

    @property
    def is_public(self) -> bool:
        return self.status == Status.PUBLISHED and self.published_at <= timezone.now()

    @property
    def is_scheduled(self) -> bool:
        return self.status == Status.PUBLISHED and self.published_at > timezone.now()

    @functools.cached_property
    def tags_in_order(self) -> list["Tag"]:
        """The tags in the editors' order: what for_list() and for_detail() prefetch (the
        prefetch fills this in), else one query."""
        return list(self.tags.order_by(*TAG_ORDER))


class ArticleTag(models.Model):
    """The article-tag link, explicit so that its indexes are named and serve our queries, and
    so that it carries the tag's place in the article's editorial order (`position`)."""

    # No single-column indexes: article_tag_unique (article, tag) and article_tag_by_tag
    # (tag, article) serve both directions.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="article_tags", db_index=False
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="article_tags", db_index=False
    )
    # Where the tag stands among the article's tags, the lowest first (TAG_ORDER). Written
    # 0, 1, 2... by articles.services; not unique: a merge leaves a gap, and a link made
    # without one (tags.add(), a bulk load that names no position) is 0 and sorts by name among
    # its ties, so a reorder never has to step rows aside as the takeaways' unique positions do.
    position = models.PositiveSmallIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "tag"], name="article_tag_unique"),
        ]
        indexes = [
            # the tag filter, tag counts and suggested: from a tag to its articles
            models.Index(fields=["tag", "article"], name="article_tag_by_tag"),
            # with_tags(): a page's articles to their tags in order, from the index alone
            models.Index(fields=["article", "position", "tag"], name="article_tag_in_order"),
        ]

    def __str__(self) -> str:
        # As the admin's tags inline and its log show a link: its tag (loaded with it there).
        return str(self.tag)


def takeaways_of(row: dict) -> list[str]:
    """The takeaways' texts of a detail_rows() row, in order."""
    return [text for _, text in sorted(row["takeaway_items"] or ())]


class Takeaway(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="takeaways")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "position"], name="takeaway_article_position_unique"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="takeaway_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


# Old slugs (botbeat.redirects): GETs of an address an article or a tag had answer 301 to it.


class ArticleSlugRedirect(SlugRedirect):
    """A slug the article had: written by articles.services.article_rename."""

    target = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="slug_redirects", db_index=False
    )

    class Meta(SlugRedirect.Meta):
        indexes = [
            # an article's old slugs: repointed by a rename, listed by the admin, cascaded
            models.Index(fields=["target"], name="articleslugredirect_target"),
        ]


class TagSlugRedirect(SlugRedirect):
    """A slug of a tag merged into this one, or this tag's own before a rename."""

    target = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="slug_redirects", db_index=False
    )

    class Meta(SlugRedirect.Meta):
        indexes = [
            # a tag's old slugs: moved by a merge, listed by the admin, cascaded
            models.Index(fields=["target"], name="tagslugredirect_target"),
        ]
