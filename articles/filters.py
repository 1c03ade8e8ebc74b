import functools
import operator
from collections.abc import Sequence

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django_filters.constants import EMPTY_VALUES

from articles.models import Article, ArticleTag, Category, Tag, Takeaway
from botbeat.params import DateOrDateTimeFilter
from companies.models import Company

SEARCH_CONFIG = "english"
SEARCH_MAX_LENGTH = 200
SEARCH_MAX_TERMS = 10
# `ordering=relevance` ranks the newest this many matches of `q`, not all of them: a common
# word matches nearly every article, and ranking 100,000 of them costs a second; the newest
# 1,000 come from a short scan of the feed's index (see search_ranked).
SEARCH_RANKED_MAX = 1000


# How many values a repeatable tag parameter takes (`tag`, `tag_any`, `exclude_tag`): each is
# a set of links the database reads, and the bound keeps a request's cost bounded.
TAG_FILTER_MAX_ITEMS = 10
# The feed's repeatable tag parameters: all of them, at least one, none.
TAG_PARAMETERS = ("tag", "tag_any", "exclude_tag")


class BoundedModelMultipleChoiceField(django_filters.fields.ModelMultipleChoiceField):
    """Model choices by slug, at most `max_items` values: more is refused (`max_items`) before
    any query."""

    default_error_messages = {"max_items": "Give at most %(max_items)d values."}

    def __init__(self, *args, max_items: int, **kwargs):
        self.max_items = max_items
        super().__init__(*args, **kwargs)

    def clean(self, value):
        if value and len(value) > self.max_items:
            raise forms.ValidationError(
                self.error_messages["max_items"],
                code="max_items",
                params={"max_items": self.max_items},
            )
        return super().clean(value)


class TagsFilter(django_filters.ModelMultipleChoiceFilter):
    """Repeatable tags by slug, at most TAG_FILTER_MAX_ITEMS; subclasses say what they match."""

    field_class = BoundedModelMultipleChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_items", TAG_FILTER_MAX_ITEMS)
        super().__init__(*args, **kwargs)


class AllTagsFilter(TagsFilter):
    """Articles carrying every one of the tags: see all_tags_q (one query more)."""

    def filter(self, qs, value):
        tags = list(value or ())
        return qs.filter(all_tags_q(tags)) if tags else qs


class AnyTagFilter(TagsFilter):
    """Articles carrying at least one of the tags: see any_tag_q (one query more, or none)."""

    def filter(self, qs, value):
        tags = list(value or ())
        return qs.filter(any_tag_q(tags)) if tags else qs


class ExcludeTagFilter(TagsFilter):
    """Articles carrying none of the tags: see no_tag_q (no query of its own)."""

    def filter(self, qs, value):
        tags = list(value or ())
        return qs.filter(no_tag_q(tags)) if tags else qs


# all_tags_q lists the matching articles by id when there are at most this many: fetching
# and sorting 2,000 articles by id costs a few milliseconds. More match 2% of 100,000 articles,
# and a scan of the feed finds a page of them within a few thousand.
TAGGED_LISTED_MAX = 2000


def all_tags_q(tags: Sequence[Tag]) -> Q:
    """Articles that carry every one of `tags`, found by one more query of a fixed shape
    whatever their number, which PostgreSQL plans in a millisecond.

    The candidates are the links of the rarest tag (by `published_count`), kept when the
    second rarest's links have the article too (a hash of them) and the article's own links
    carry the others (a probe with `tag_id IN (...)`, HAVING all of them): a pass over the
    rarest tag's run of the (tag, article) index. The CASE fixes that order: a check that
    PostgreSQL can neither estimate nor postpone otherwise runs on every link or article.
    - Up to TAGGED_LISTED_MAX candidates: they are fetched here and the feed asks for those
      ids: an index probe each, then a sort. Scanning the feed for a few matches instead
      reads every article (200 ms at 100,000, with its heap fetch each).
    - More: the feed is scanned against a hash of the candidates, which are dense enough for
      a page to come quickly.
    One EXISTS per tag instead makes planning grow with the tags (5 s for 150), and a GROUP BY
    over all the tags' links reads tens of thousands of links for common ones.
    (Figures: `manage.py generate_fake --articles 100000`, then EXPLAIN ANALYZE.)
    """
    rarest, *others = sorted(tags, key=lambda tag: (tag.published_count, tag.pk))
    if not others:
        # One tag: at least one of them, which any_tag_q finds by a probe per article of the
        # feed when the tag is common (0.6 ms), where the hash below reads all its links first
        # (14 ms for a tag on a fifth of 100,000 articles).
        return any_tag_q(tags)
    links = ArticleTag.objects.filter(tag=rarest).order_by()
    if others:
        second, *rest = others
        in_second = Q(article_id__in=ArticleTag.objects.filter(tag=second).values("article_id"))
        if rest:
            carries_rest = Exists(
                ArticleTag.objects.filter(
                    article_id=OuterRef("article_id"), tag_id__in=[tag.pk for tag in rest]
                )
                .order_by()
                .values("article_id")
                .annotate(n=Count("*"))
                .filter(n=len(rest))
            )
            in_second = Q(
                Case(
                    When(in_second, then=carries_rest),
                    default=Value(False),
                    output_field=BooleanField(),
                )
            )
        links = links.filter(in_second)
    candidates = links.values("article_id")
    listed = list(candidates.values_list("article_id", flat=True)[: TAGGED_LISTED_MAX + 1])
    if len(listed) <= TAGGED_LISTED_MAX:
        return Q(pk__in=listed)
    return Q(
        Case(
            When(Q(pk__in=candidates), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def any_tag_q(tags: Sequence[Tag]) -> Q:
    """Articles that carry at least one of `tags`, from the tags' links, never a join that
    would need a DISTINCT over the articles. How they are found depends on how many there can
    be, which the tags' stored counts bound with no query (a union has at most their sum):
    - Up to TAGGED_LISTED_MAX: the links are read here (their tags' runs of the (tag, article)
      index, article_tag_by_tag), and the feed asks for those ids, as all_tags_q does: an
      index probe each, then a sort (1 ms for 160 of them at 100,000 articles). Left to the
      planner, the EXISTS below walked the feed for them: 100 ms for two rare tags.
    - More: EXISTS a link, checked on each article of the feed's index scan by a probe of
      article_tag_unique (article, tag), which stops at the page (0.6 ms for the two commonest
      tags, on 60% of the articles). An IN over the links instead hashes all of them first
      (65,000 for those two tags: 35 ms).
    (Figures: `manage.py generate_fake --articles 100000`, then EXPLAIN ANALYZE.)
    """
    links = ArticleTag.objects.filter(tag__in=tags).order_by()
    if sum(tag.published_count for tag in tags) <= TAGGED_LISTED_MAX:
        return Q(pk__in=set(links.values_list("article_id", flat=True)))
    return Q(Exists(links.filter(article_id=OuterRef("pk"))))


def no_tag_q(tags: Sequence[Tag]) -> Q:
    """Articles that carry none of `tags`, with no query of its own: NOT EXISTS a link of the
    article to one of them, an index-only probe of article_tag_unique (article, tag) per
    article of the feed's index scan (PostgreSQL's nested-loop anti-join), which stops at the
    page. Most articles pass, so the probes are about a page's worth: 0.3 ms excluding the two
    commonest tags, on 60% of the articles, and 0.6 ms excluding the ten commonest. A NOT IN
    instead hashes every link of the tags first, on every request: 42 ms for those two.
    (Figures: `manage.py generate_fake --articles 100000`, then EXPLAIN ANALYZE.)
    """
    return ~Q(
        Exists(ArticleTag.objects.filter(article_id=OuterRef("pk"), tag__in=tags).values("pk"))
    )


class Ordering:
    NEWEST = "-published_at"
    OLDEST = "published_at"
    RELEVANCE = "relevance"
    choices = [
        (NEWEST, "Newest first (the default without q)"),
        (OLDEST, "Oldest first"),
        (
            RELEVANCE,
            f"Best match first among the newest {SEARCH_RANKED_MAX:,} matches (the default "
            "with q; needs q)",
        ),
    ]


# The refusal of a `company` the caller may not see, naming the value as the tag filters'
# refusals name theirs.
UNKNOWN_COMPANY = 'company "%(value)s" is not a published company'


class CompanyFilter(django_filters.CharFilter):
    """A company by slug, with no query of its own: the page's query finds the company's id
    by its slug (company_slug_unique) in a subquery. That a company the caller may not see
    (unknown, or with drafts only for the public) is a 400 `invalid_choice`, as with a
    ModelChoiceFilter, is checked only when nothing else settles it
    (ArticleFilter.refuse_unknown_company): an article of the company on the page proves it
    visible. The lookup and its queryset were a third of the feed's time with `?company=`
    (tests/miss_costs.py).

    A subquery, not a join on the slug: with the company's id a parameter, the database walks
    article_company_feed in order and stops at the page; joined, it must sort all of a
    company's articles first (120 ms for 20,000 at 100,000 articles).
    """

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.filter(company_id=Subquery(Company.objects.filter(slug=value).values("pk")[:1]))


def tag_filter(kind, what: str):
    """`kind` over the slugs of the tags the caller may see; its help says `what` it keeps."""
    return kind(
        field_name="tags",
        to_field_name="slug",
        queryset=lambda request: Tag.objects.visible_to(request.user),
        help_text=f"A tag's slug; repeat it (up to {TAG_FILTER_MAX_ITEMS} times): {what}.",
    )


class ArticleFilter(django_filters.FilterSet):
    company = CompanyFilter(help_text="A company's slug.")
    tag = tag_filter(AllTagsFilter, "articles with all of these tags (all must match)")
    tag_any = tag_filter(AnyTagFilter, "articles with at least one of these tags")
    exclude_tag = tag_filter(ExcludeTagFilter, "articles with none of these tags")
    category = django_filters.ChoiceFilter(choices=Category.choices)
    published_after = DateOrDateTimeFilter(
        field_name="published_at",
        lookup_expr="gte",
        help_text="Published at or after this date (midnight UTC) or date-time; inclusive.",
    )
    published_before = DateOrDateTimeFilter(
        field_name="published_at",
        lookup_expr="lt",
        help_text="Published before this date (midnight UTC) or date-time; exclusive.",
    )
    q = django_filters.CharFilter(
        method="search",
        max_length=SEARCH_MAX_LENGTH,
        help_text=(
            "Full-text search over title, summary, takeaways and editorial opinion. On "
            "PostgreSQL it is stemmed and ranked (websearch syntax: quotes, `or`, `-word`); "
            "on SQLite every word must appear (the first "
            f"{SEARCH_MAX_TERMS} words), and relevance is the same for all. Ranked by "
            f"relevance (the default with `q`), the answer is the newest {SEARCH_RANKED_MAX:,} "
            "matching articles, best match first (ties newest first); `ordering=-published_at` "
            "or `published_at` lists every match."
        ),
    )
    ordering = django_filters.ChoiceFilter(
        choices=Ordering.choices,
        method="order",
        help_text=(
            "`-published_at` by default; `relevance` when `q` is given, which ranks the newest "
            f"{SEARCH_RANKED_MAX:,} matching articles only (older matches: `-published_at`)."
        ),
    )

    class Meta:
        model = Article
        fields = [
            "company",
            "tag",
            "tag_any",
            "exclude_tag",
            "category",
            "published_after",
            "published_before",
            "q",
        ]

    def is_valid(self):
        valid = super().is_valid()
        data = self.form.cleaned_data
        needs_q = data.get("ordering") == Ordering.RELEVANCE and not data.get("q")
        if (not valid or needs_q) and self.refuse_unknown_company():
            return False  # the errors a ModelChoiceFilter gave, before needs_q is asked
        if valid and needs_q:
            self.form.add_error(
                "ordering",
                forms.ValidationError("Ordering by relevance needs q.", code="needs_q"),
            )
            return False
        return valid

    def refuse_unknown_company(self) -> bool:
        """Whether `company` names a company the caller may not see, added to the form's
        errors (in the order of its fields) as a ModelChoiceFilter's field would: CompanyFilter
        leaves it to here. Asked when another parameter is refused, and by the feed when its
        page comes back empty; one query then."""
        slug = self.form.cleaned_data.get("company")
        if not slug or Company.objects.visible_to(self.request.user).filter(slug=slug).exists():
            return False
        self.form.add_error(
            "company",
            forms.ValidationError(UNKNOWN_COMPANY, code="invalid_choice", params={"value": slug}),
        )
        errors = self.form.errors
        order = [*self.form.fields, NON_FIELD_ERRORS]
        refused = sorted(errors.items(), key=lambda item: order.index(item[0]))
        errors.clear()
        errors.update(refused)
        return True

    @property
    def ordering_name(self) -> str:
        data = self.form.cleaned_data
        return data.get("ordering") or (Ordering.RELEVANCE if data.get("q") else Ordering.NEWEST)

    def order(self, queryset, name, value):
        return queryset  # the paginator orders, by ordering_name

    def search(self, queryset, name, value):
        if self.ordering_name == Ordering.RELEVANCE:
            return queryset  # ranked in filter_queryset, once the other filters are applied
        return search_articles(queryset, value)

    def filter_queryset(self, queryset):
        filtered = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if data.get("q") and self.ordering_name == Ordering.RELEVANCE:
            return search_ranked(
                queryset, filtered=filtered, text=data["q"], index_first=bool(data.get("tag"))
            )
        return filtered


def search_articles(queryset, text: str):
    """Articles matching `text`, annotated with an integer `relevance` (higher is better).

    PostgreSQL: the stored `search_vector` (GIN index) against a websearch query, ranked by
    ts_rank (see rank_query), scaled to an integer so that cursors compare it exactly. SQLite:
    every word must appear somewhere in the article, and relevance is 0 for all, so the order
    is newest first.
    """
    return _matching(queryset, text).annotate(relevance=_relevance(text))


def search_ranked(queryset, *, filtered, text: str, index_first: bool = False):
    """What ordering by relevance ranks: the newest SEARCH_RANKED_MAX articles of `filtered`
    (the feed with its other filters) that match `text`, read again from `queryset` (the feed
    unfiltered), annotated with `relevance`. On both databases.

    The bound is what keeps ranking cheap: ts_rank reads each candidate's vector, and sorting
    by it needs every candidate ranked, so ranking all the matches of a common word costs a
    second at 100,000 articles. The newest matches come from the feed's own order (the
    article_feed index, the match checked on each row, until there are enough) or, for a rare
    query, from the GIN index then a sort: a few milliseconds either way. The set is the same
    on every page, so keyset pagination over (relevance, published_at, id) neither skips nor
    repeats. The filters are not repeated around it: PostgreSQL would then scan the whole
    table for them rather than read the 1,000 articles by id.

    `index_first` (a tag filter): the match is checked on a second reading of the article, by
    id, so that the tags are checked on the feed's index alone and only the tagged articles are
    read: a tag on 2% of the articles otherwise reads 45,000 of them to find 1,000 matches
    (175 ms at 100,000 articles; 20 this way). Without one, reading each article once is less.
    """
    if index_first:
        each = Article.objects.filter(pk=OuterRef("pk"))
        matching = filtered.filter(Exists(_matching(each, text)))
    else:
        matching = _matching(filtered, text)
    newest = matching.newest_first().values("pk")[:SEARCH_RANKED_MAX]
    return queryset.filter(pk__in=newest).annotate(relevance=_relevance(text))


def _matching(queryset, text: str):
    if connection.vendor == "postgresql":
        return queryset.filter(search_vector=_websearch(text))
    return _every_word(queryset, text)


def _websearch(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def _relevance(text: str):
    if connection.vendor != "postgresql":
        return Value(0, output_field=BigIntegerField())
    rank = SearchRank(F("search_vector"), rank_query(text) or _websearch(text))
    return Cast(rank * 1_000_000, BigIntegerField())


def rank_query(text: str) -> SearchQuery | None:
    """What relevance weighs: any of the first SEARCH_MAX_TERMS words of `text` that it asks
    for (not those it excludes with `-`, nor `or`), each by where it appears (title A, summary
    and takeaways B, opinion C) and how often.

    Not the websearch query itself: ts_rank scores an AND of several words by their proximity,
    at a cost that grows with the square of their number (45 ms for 1,000 articles and 10
    words, where this costs 2), and gives most matches of common words the same top score.
    """
    words = [
        word.strip('"')
        for word in text.split()
        if word.lower() != "or" and not word.startswith("-") and word.strip('"')
    ][:SEARCH_MAX_TERMS]
    if not words:
        return None
    queries = [SearchQuery(word, search_type="plain", config=SEARCH_CONFIG) for word in words]
    return functools.reduce(operator.or_, queries)


def _every_word(queryset, text: str):
    """SQLite's search: each of the first SEARCH_MAX_TERMS words somewhere in the article."""
    for word in text.split()[:SEARCH_MAX_TERMS]:
        in_takeaways = Takeaway.objects.filter(article=OuterRef("pk"), text__icontains=word)
        queryset = queryset.filter(
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(editorial_opinion__icontains=word)
            | Exists(in_takeaways)
        )
    return queryset
