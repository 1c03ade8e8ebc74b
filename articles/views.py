from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from articles.filters import TAG_FILTER_MAX_ITEMS, ArticleFilter, Ordering
from articles.models import (
    Article,
    Tag,
    article_detail_rows,
    article_list_rows,
    takeaways_of,
    with_tags,
)
from articles.selectors import article_more_from_company, article_suggested
from articles.serializers import (
    ArticleDetailSerializer,
    ArticleListSerializer,
    SuggestedArticleSerializer,
    TagSerializer,
    detail_item,
    item_keys,
    list_item,
    suggested_item,
)
from botbeat.api import (
    PROBLEM_400,
    PROBLEM_404,
    StrictFilterBackend,
    StrictQueryParamsMixin,
    form_errors,
)
from botbeat.cache import FEED_KEY, article_key, tag_answer
from botbeat.conditional import RespondMixin, respond
from botbeat.pagination import Keyset, KeysetCursorPagination, StrictPageNumberPagination
from botbeat.params import integer_schema, query_integer
from botbeat.redirects import SlugRedirectMixin
from botbeat.renderers import FastJSONRenderer
from botbeat.slugs import SLUG_PATTERN, SLUG_SCHEMA
from companies.models import Company

KEYSETS = {
    Ordering.NEWEST: Keyset(
        Ordering.NEWEST, ("published_at", True, "datetime"), ("id", True, "int")
    ),
    Ordering.OLDEST: Keyset(
        Ordering.OLDEST, ("published_at", False, "datetime"), ("id", False, "int")
    ),
    Ordering.RELEVANCE: Keyset(
        Ordering.RELEVANCE,
        ("relevance", True, "int"),
        ("published_at", True, "datetime"),
        ("id", True, "int"),
    ),
}

PANEL_LIMIT_DEFAULT = 3
PANEL_LIMIT_MAX = 20
FEED_PARAMETERS = [
    OpenApiParameter("company", SLUG_SCHEMA, description="A company's slug."),
    OpenApiParameter(
        "tag",
        {"type": "array", "items": SLUG_SCHEMA, "maxItems": TAG_FILTER_MAX_ITEMS},
        style="form",
        explode=True,
        description=ArticleFilter.base_filters["tag"].extra["help_text"],
    ),
    OpenApiParameter(
        "q",
        {"type": "string", "minLength": 1, "maxLength": 200},
        description=ArticleFilter.base_filters["q"].extra["help_text"],
    ),
]
# The feed's parameters that take slugs: an old one answers 301 (botbeat.redirects).
SLUG_FILTERS = {"company": Company, "tag": Tag, "tag_any": Tag, "exclude_tag": Tag}
LIMIT_PARAMETER = OpenApiParameter(
    "limit",
    integer_schema(default=PANEL_LIMIT_DEFAULT, maximum=PANEL_LIMIT_MAX),
    description="How many articles, at most.",
)


def panel(name: str, item):
    return inline_serializer(name, {"results": item(many=True)})


@extend_schema_view(
    list=extend_schema(
        operation_id="articles_list",
        summary="The feed: published articles, newest first",
        description=(
            "Cursor-paginated. Filters combine (all must hold). Staff also see drafts and "
            "scheduled articles."
        ),
        parameters=FEED_PARAMETERS,
        responses={200: ArticleListSerializer(many=True), 400: PROBLEM_400},
    ),
    retrieve=extend_schema(
        operation_id="articles_retrieve",
        summary="One article in detail",
        description="A draft or scheduled article answers 404 to anyone but staff.",
        responses={200: ArticleDetailSerializer, 400: PROBLEM_400, 404: PROBLEM_404},
    ),
)
class ArticleViewSet(
    SlugRedirectMixin, RespondMixin, StrictQueryParamsMixin, viewsets.ReadOnlyModelViewSet
):
    renderer_classes = [FastJSONRenderer]  # DRF's JSON, byte for byte, faster
    slug_model = Article  # an old slug in the path, any action's, answers 301
    slug_filters = SLUG_FILTERS
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    filter_backends = [StrictFilterBackend]
    filterset_class = ArticleFilter
    pagination_class = KeysetCursorPagination
    multi_valued_params = ("tag",)
    filterset = None

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            # Rows (.values()) from the start, built once: the filters add to them.
            return article_list_rows().visible_to(user)
        if self.action == "retrieve":
            return article_detail_rows().visible_to(user)
        return Article.objects.visible_to(user).only(
            "id", "slug", "company_id", "category", "status", "published_at"
        )

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ArticleDetailSerializer
        if self.action == "suggested":
            return SuggestedArticleSerializer
        return ArticleListSerializer

    def filter_queryset(self, queryset):
        # Filters belong to the feed; get_object() must not apply them to a detail lookup.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def allowed_query_params(self) -> set[str]:
        if self.action == "list":
            return super().allowed_query_params()
        if self.action in {"more_from_company", "suggested"}:
            return {"limit"}
        return set()

    def get_keyset(self) -> Keyset:
        return KEYSETS[self.filterset.ordering_name if self.filterset else Ordering.NEWEST]

    def list(self, request, *args, **kwargs):
        tag_answer(FEED_KEY)  # which articles it lists changes with any publication
        articles = self.filter_queryset(self.get_queryset())
        if any(a.contains_aggregate for a in articles.query.annotations.values()):
            # The filters run on rows (.values()), where an aggregate groups by the columns.
            raise ImproperlyConfigured("A feed filter annotated an aggregate: use a subquery.")
        rows = with_tags(self.paginate_queryset(articles))
        if not rows and self.filterset is not None and self.filterset.refuse_unknown_company():
            raise ValidationError(form_errors(self.filterset.form))
        for row in rows:
            tag_answer(*item_keys(row))
        paginator = self.paginator
        return respond(
            request,
            [rows, paginator.has_next, paginator.has_previous],
            lambda: self.get_paginated_response([list_item(row) for row in rows]),
        )

    def retrieve(self, request, *args, **kwargs):
        row = self.get_object()
        row["takeaways"] = takeaways_of(row)
        row = with_tags([row])[0]
        tag_answer(*item_keys(row))
        return respond(request, row, lambda: Response(detail_item(row)))

    def panel_limit(self) -> int:
        return query_integer(
            self.request, "limit", default=PANEL_LIMIT_DEFAULT, maximum=PANEL_LIMIT_MAX
        )

    @extend_schema(
        operation_id="articles_more_from_company",
        summary="More from the article's company",
        description=(
            "The same company's other published articles, newest first; never the article itself."
        ),
        parameters=[LIMIT_PARAMETER],
        responses={
            200: panel("MoreFromCompany", ArticleListSerializer),
            400: PROBLEM_400,
            404: PROBLEM_404,
        },
    )
    @action(detail=True, url_path="more-from-company", pagination_class=None)
    def more_from_company(self, request, slug=None):
        limit = self.panel_limit()
        article = self.get_object()
        tag_answer(FEED_KEY, article_key(article.pk))
        rows = article_more_from_company(article=article, limit=limit)
        for row in rows:
            tag_answer(*item_keys(row))
        return respond(
            request, rows, lambda: Response({"results": [list_item(row) for row in rows]})
        )

    @extend_schema(
        operation_id="articles_suggested",
        summary="Suggested articles from other companies",
        description=(
            "Published articles of other companies, best first. Each shared tag adds "
            "1/(articles carrying it), so a rare tag counts more than a common one; "
            "the same category breaks ties, then recency. When fewer are related, the most "
            "recent articles of other companies fill the list (the same category first). "
            "Deterministic; never empty while another company has a published article."
        ),
        parameters=[LIMIT_PARAMETER],
        responses={
            200: panel("Suggested", SuggestedArticleSerializer),
            400: PROBLEM_400,
            404: PROBLEM_404,
        },
    )
    @action(detail=True, pagination_class=None)
    def suggested(self, request, slug=None):
        limit = self.panel_limit()
        article = self.get_object()
        tag_answer(FEED_KEY, article_key(article.pk))
        rows = article_suggested(article=article, limit=limit)
        for row in rows:
            tag_answer(*item_keys(row))
        return respond(
            request, rows, lambda: Response({"results": [suggested_item(row) for row in rows]})
        )


@extend_schema_view(
    list=extend_schema(
        operation_id="tags_list",
        summary="Tags, by name",
        responses={200: TagSerializer(many=True), 400: PROBLEM_400, 404: PROBLEM_404},
    ),
    retrieve=extend_schema(
        operation_id="tags_retrieve",
        summary="One tag",
        description="A tag carried by no published article answers 404 to the public.",
        responses={200: TagSerializer, 400: PROBLEM_400, 404: PROBLEM_404},
    ),
)
class TagViewSet(SlugRedirectMixin, StrictQueryParamsMixin, viewsets.ReadOnlyModelViewSet):
    slug_model = Tag  # an old slug answers 301
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    serializer_class = TagSerializer
    pagination_class = StrictPageNumberPagination

    def get_queryset(self):
        return (
            Tag.objects.visible_to(self.request.user).with_article_count().order_by("name", "slug")
        )

    def allowed_query_params(self) -> set[str]:
        return super().allowed_query_params() if self.action == "list" else set()
