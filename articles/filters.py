import datetime as dt

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import connection
from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.utils import extend_schema_field

from articles.models import Article, ArticleTag, Category, Tag, Takeaway
from companies.models import Company

SEARCH_CONFIG = "english"
SEARCH_MAX_LENGTH = 200
SEARCH_MAX_TERMS = 10


class DateOrDateTimeField(forms.Field):
    """`2026-06-18` (midnight UTC) or an ISO 8601 date-time; naive times are UTC."""

    default_error_messages = {
        "invalid": "Enter a date (YYYY-MM-DD) or an ISO 8601 date-time.",
        "out_of_range": "This date is out of range.",
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip()
        try:
            if len(value) == 10:
                parsed = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
            else:
                parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        try:
            if timezone.is_naive(parsed):
                parsed = parsed.replace(tzinfo=dt.UTC)
            # Normalising to UTC can leave the year range (0001-01-01T00:00+01:00).
            parsed = parsed.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None
        return parsed


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "date"},
            {"type": "string", "format": "date-time"},
        ]
    }
)
class DateOrDateTimeFilter(django_filters.Filter):
    field_class = DateOrDateTimeField


class AllTagsFilter(django_filters.ModelMultipleChoiceFilter):
    """Tags by slug, every one required: an EXISTS on the article-tag index per tag.

    Not django-filter's joins: those need SELECT DISTINCT, which sorts every tagged article
    before the page's LIMIT (seconds at 100,000 articles); a semi-join keeps the feed's index
    order.
    """

    def filter(self, qs, value):
        for tag in value or ():
            qs = qs.filter(Exists(ArticleTag.objects.filter(article=OuterRef("pk"), tag=tag)))
        return qs


class Ordering:
    NEWEST = "-published_at"
    OLDEST = "published_at"
    RELEVANCE = "relevance"
    choices = [
        (NEWEST, "Newest first (the default without q)"),
        (OLDEST, "Oldest first"),
        (RELEVANCE, "Best match first (the default with q; needs q)"),
    ]


# ModelChoiceField's message for a value that is not a choice.
INVALID_CHOICE = "Select a valid choice. That choice is not one of the available choices."


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


class ArticleFilter(django_filters.FilterSet):
    company = CompanyFilter(help_text="A company's slug.")
    tag = AllTagsFilter(
        field_name="tags",
        to_field_name="slug",
        queryset=lambda request: Tag.objects.visible_to(request.user),
        conjoined=True,
        help_text="A tag's slug; repeat it to require several tags (all must match).",
    )
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
            "on SQLite every word must appear, and results stay newest first."
        ),
    )
    ordering = django_filters.ChoiceFilter(
        choices=Ordering.choices,
        method="order",
        help_text="`-published_at` by default; `relevance` when `q` is given.",
    )

    class Meta:
        model = Article
        fields = ["company", "tag", "category", "published_after", "published_before", "q"]

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
        self.form.add_error("company", forms.ValidationError(INVALID_CHOICE, code="invalid_choice"))
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
        return search_articles(queryset, value)


def search_articles(queryset, text: str):
    """Articles matching `text`, annotated with an integer `relevance` (higher is better).

    PostgreSQL: the stored `search_vector` (GIN index) against a websearch query, ranked by
    ts_rank, scaled to an integer so that cursors compare it exactly. SQLite: every word must
    appear somewhere in the article, and relevance is 0 for all, so the order is newest first.
    """
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        return queryset.filter(search_vector=query).annotate(
            relevance=Cast(SearchRank(F("search_vector"), query) * 1_000_000, BigIntegerField())
        )
    for word in text.split()[:SEARCH_MAX_TERMS]:
        in_takeaways = Takeaway.objects.filter(article=OuterRef("pk"), text__icontains=word)
        queryset = queryset.filter(
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(editorial_opinion__icontains=word)
            | Exists(in_takeaways)
        )
    return queryset.annotate(relevance=Value(0, output_field=BigIntegerField()))
