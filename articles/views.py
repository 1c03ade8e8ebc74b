from functools import cached_property

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from articles.filters import TAG_FILTER_MAX_ITEMS, TAG_PARAMETERS, ArticleFilter, Ordering
from articles.models import Article, Tag, article_detail_rows, article_list_rows
from articles.previews import (
    PREVIEW_ACTIONS,
    PREVIEW_PARAMETER,
    PreviewGrant,
    PreviewLinkSerializer,
    preview_answer_private,
    preview_grant_of,
    preview_lapsed,
    preview_link_issue,
    preview_url,
)
from articles.representation import (
    DETAIL,
    EXPAND_PARAMETER,
    LIST,
    SUGGESTED,
    Shape,
    fields_parameter,
    shape_of,
)
from articles.selectors import article_more_from_company, article_suggested
from articles.serializers import (
    MORE_FROM_COMPANY,
    ArticleDetailSerializer,
    ArticleListSerializer,
    ArticlePageSerializer,
    SuggestedArticleSerializer,
    TagSerializer,
    item_keys,
    list_item,
    suggested_item,
)
from articles.serializers import SUGGESTED as SUGGESTED_PANEL
from botbeat.api import (
    PROBLEM_400,
    PROBLEM_404,
    ProblemSerializer,
    StrictFilterBackend,
    StrictQueryParamsMixin,
    StrictQueryParamsOnWritesMixin,
    form_errors,
    problem_response,
)
from botbeat.auth_schema import PROBLEM_401, PROBLEM_415, WWW_AUTHENTICATE
from botbeat.cache import FEED_KEY, PREVIEW_QUERY, article_key, tag_answer
from botbeat.conditional import RespondMixin, respond
from botbeat.fields import StrictSerializer
from botbeat.pagination import Keyset, KeysetCursorPagination, StrictPageNumberPagination
from botbeat.params import integer_schema, query_integer
from botbeat.redirects import SlugRedirectMixin
from botbeat.renderers import FastJSONRenderer
from botbeat.roles import moderates, sees_unpublished
from botbeat.slugs import SLUG_PATTERN, SLUG_SCHEMA
from comments.pagination import CommentCursorPagination
from comments.threads import ORDERINGS, thread_first_page
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
TAG_PARAMETER_SCHEMA = {"type": "array", "items": SLUG_SCHEMA, "maxItems": TAG_FILTER_MAX_ITEMS}
FEED_PARAMETERS = [
    OpenApiParameter("company", SLUG_SCHEMA, description="A company's slug."),
    *[
        OpenApiParameter(
            name,
            TAG_PARAMETER_SCHEMA,
            style="form",
            explode=True,
            description=ArticleFilter.base_filters[name].extra["help_text"],
        )
        for name in TAG_PARAMETERS
    ],
    OpenApiParameter(
        "q",
        {"type": "string", "minLength": 1, "maxLength": 200},
        description=ArticleFilter.base_filters["q"].extra["help_text"],
    ),
]
# The feed's parameters that take slugs: an old one answers 301 (botbeat.redirects).
SLUG_FILTERS = {"company": Company, "tag": Tag, "tag_any": Tag, "exclude_tag": Tag}
FEED_PROBLEM_400 = OpenApiResponse(
    ProblemSerializer,
    description=(
        f"{PROBLEM_400.description} For the filters: `company` that names no published company "
        f"(`invalid_choice`, naming the value); `tag`, `tag_any` or `exclude_tag` given more "
        f"than {TAG_FILTER_MAX_ITEMS} times (`max_items`) or with a slug that names no "
        "published tag (`invalid_choice`, naming the value); `ordering=relevance` without `q` "
        "(`needs_q`)."
    ),
    examples=PROBLEM_400.examples,
)
LIMIT_PARAMETER = OpenApiParameter(
    "limit",
    integer_schema(default=PANEL_LIMIT_DEFAULT, maximum=PANEL_LIMIT_MAX),
    description="How many articles, at most.",
)
LAST_MODIFIED_PARAMETERS = [
    OpenApiParameter(
        "If-Modified-Since",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description=(
            "A `Last-Modified` from an earlier answer: 304 when the answer has not changed "
            "since. Ignored when `If-None-Match` is given (RFC 9110), which decides alone."
        ),
    ),
    OpenApiParameter(
        "Last-Modified",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200],
        description=(
            "When this server first served what the answer shows (an HTTP date, whole "
            "seconds): it moves whenever the answer may have changed, and never comes "
            "before the change. Absent during the second that date falls in."
        ),
    ),
]
# The page's own parameters: its panels' `limit` and its thread's `page_size` and `ordering`,
# under names of their own.
THREAD_PAGE_SIZE = CommentCursorPagination.page_size
THREAD_MAX_PAGE_SIZE = CommentCursorPagination.max_page_size
PAGE_PARAMETERS = [
    OpenApiParameter(
        "more_limit",
        integer_schema(default=PANEL_LIMIT_DEFAULT, maximum=PANEL_LIMIT_MAX),
        description="How many articles `more_from_company` lists, at most (its `limit`).",
    ),
    OpenApiParameter(
        "suggested_limit",
        integer_schema(default=PANEL_LIMIT_DEFAULT, maximum=PANEL_LIMIT_MAX),
        description="How many articles `suggested` lists, at most (its `limit`).",
    ),
    OpenApiParameter(
        "comments_page_size",
        integer_schema(default=THREAD_PAGE_SIZE, maximum=THREAD_MAX_PAGE_SIZE),
        description="Comments on the thread's first page (the comments path's `page_size`).",
    ),
    OpenApiParameter(
        "comments_ordering",
        {"type": "string", "enum": ORDERINGS, "default": ORDERINGS[0]},
        description="The thread's order (the comments path's `ordering`).",
    ),
]
SHAPE_PARAMETERS = frozenset({"fields", "expand"})
PAGE_QUERY_PARAMETERS = frozenset(
    {"more_limit", "suggested_limit", "comments_page_size", "comments_ordering"}
)
# The representation each action shows its articles in.
REPRESENTATIONS = {
    "list": LIST,
    "retrieve": DETAIL,
    "page": DETAIL,
    "more_from_company": LIST,
    "suggested": SUGGESTED,
}


PROBLEM_403_PREVIEW = problem_response(
    "The `preview` token grants nothing here: not a preview token, or one for another article "
    "(`preview_invalid`); or its link has expired, or the article has changed since it was "
    "made (`preview_expired`). Decided by the token, whatever the article is: a published "
    "article is refused too."
)
PROBLEM_400_PREVIEW_POST = problem_response(
    "The article is public already (`already_public`): its address needs no preview link; a "
    "query parameter (this operation takes none); a body with fields (`unknown_field`: it takes "
    "none) or that is not JSON (`parse_error`)."
)
PROBLEM_403_PREVIEW_POST = problem_response(
    "Signed in, but not an Editor (`permission_denied`): readers, Moderators and staff without a "
    "role alike, whatever the article; or signed in with the session cookie but without the "
    "CSRF token (`X-CSRFToken` header)."
)


class SeesUnpublished(BasePermission):
    """Editors only (botbeat.roles); the anonymous are asked to sign in (401)."""

    def has_permission(self, request, view):
        return sees_unpublished(request.user)


@extend_schema_view(
    list=extend_schema(
        operation_id="articles_list",
        summary="The feed: published articles, newest first",
        description=(
            "Cursor-paginated. Filters combine (all must hold). Staff also see drafts and "
            "scheduled articles."
        ),
        parameters=[*FEED_PARAMETERS, fields_parameter(LIST), EXPAND_PARAMETER],
        responses={200: ArticleListSerializer(many=True), 400: FEED_PROBLEM_400},
    ),
    retrieve=extend_schema(
        operation_id="articles_retrieve",
        summary="One article in detail",
        description=(
            "A draft or scheduled article answers 404 to anyone but Editors, unless `preview` "
            "carries its preview link: then whoever holds it sees it, `private, no-store`."
        ),
        parameters=[
            fields_parameter(DETAIL),
            EXPAND_PARAMETER,
            PREVIEW_PARAMETER,
            *LAST_MODIFIED_PARAMETERS,
        ],
        responses={
            200: ArticleDetailSerializer,
            400: PROBLEM_400,
            403: PROBLEM_403_PREVIEW,
            404: PROBLEM_404,
        },
    ),
)
class ArticleViewSet(
    SlugRedirectMixin, RespondMixin, StrictQueryParamsOnWritesMixin, viewsets.ReadOnlyModelViewSet
):
    renderer_classes = [FastJSONRenderer]  # DRF's JSON, byte for byte, faster
    slug_model = Article  # an old slug in the path, any action's, answers 301
    slug_filters = SLUG_FILTERS
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    filter_backends = [StrictFilterBackend]
    filterset_class = ArticleFilter
    pagination_class = KeysetCursorPagination
    multi_valued_params = TAG_PARAMETERS
    filterset = None
    _shape: Shape | None = None

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            # Rows (.values()) from the start, built once: the filters add to them. With
            # `fields`, the articles: list() selects the rows' columns once filtered.
            return self.shape().base(article_list_rows).visible_to(user)
        if self.action in PREVIEW_ACTIONS:
            # The page finds its article as the detail does, and shows it as the detail would.
            shape = self.shape()
            return shape.narrow(self.readable(shape.base(article_detail_rows)))
        if self.action == "preview":
            return Article.objects.visible_to(user).only(
                "id", "slug", "status", "published_at", "updated_at"
            )
        return Article.objects.visible_to(user).only(
            "id", "slug", "company_id", "category", "status", "published_at"
        )

    def readable(self, articles):
        """The articles this request may read one of: its user's, or the version of one that
        its preview token grants (articles/previews.py), whatever the user."""
        grant = self.preview_grant
        return articles.visible_to(self.request.user) if grant is None else grant.narrow(articles)

    @cached_property
    def preview_grant(self) -> PreviewGrant | None:
        """What the request's `?preview=` token grants (None without one); a token that grants
        nothing here raises its 403."""
        if self.action not in PREVIEW_ACTIONS or getattr(self, "swagger_fake_view", False):
            return None
        return preview_grant_of(self.request, slug=self.kwargs[self.lookup_field])

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            if self.preview_grant is not None:
                preview_lapsed(self.preview_grant)  # the article changed: 403, not 404
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.action in PREVIEW_ACTIONS and PREVIEW_QUERY in request.query_params:
            preview_answer_private(response)
        return response

    def shape(self) -> Shape:
        """What the request's `fields` and `expand` ask of each article (a 400 for a name the
        action's representation does not know), read once."""
        if self._shape is None:
            self._shape = shape_of(self.request, REPRESENTATIONS[self.action])
        return self._shape

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
            return super().allowed_query_params() | SHAPE_PARAMETERS
        if self.action in {"more_from_company", "suggested"}:
            return {"limit", *SHAPE_PARAMETERS}
        if self.action == "page":
            return {*PAGE_QUERY_PARAMETERS, *SHAPE_PARAMETERS, PREVIEW_QUERY}
        if self.action == "retrieve":
            return {*SHAPE_PARAMETERS, PREVIEW_QUERY}
        return set()

    def get_keyset(self) -> Keyset:
        return KEYSETS[self.filterset.ordering_name if self.filterset else Ordering.NEWEST]

    def list(self, request, *args, **kwargs):
        shape = self.shape()
        tag_answer(FEED_KEY)  # which articles it lists changes with any publication
        articles = shape.narrow(self.filter_queryset(self.get_queryset()))
        if any(a.contains_aggregate for a in articles.query.annotations.values()):
            # The filters run on rows (.values()), where an aggregate groups by the columns.
            raise ImproperlyConfigured("A feed filter annotated an aggregate: use a subquery.")
        rows = shape.complete(self.paginate_queryset(articles))
        if not rows and self.filterset is not None and self.filterset.refuse_unknown_company():
            raise ValidationError(form_errors(self.filterset.form))
        for row in rows:
            tag_answer(*shape.keys_of(row))
        paginator = self.paginator
        return respond(
            request,
            [rows, paginator.has_next, paginator.has_previous],
            lambda: self.get_paginated_response([shape.write(row) for row in rows]),
        )

    def retrieve(self, request, *args, **kwargs):
        shape = self.shape()
        row = shape.complete([self.get_object()])[0]
        tag_answer(*shape.keys_of(row))
        return respond(request, row, lambda: Response(shape.write(row)), dated=True)

    @extend_schema(
        operation_id="articles_preview",
        summary="A preview link for a draft or scheduled article",
        description=(
            "Editors only. `url` (the article's API address with `?preview=<token>`) shows the "
            "article to anyone who holds it, on its detail and its page, until `expires_at` "
            "(`PREVIEW_TTL_HOURS`, 24 by default) or until the article changes (any edit after "
            "the link was made). Nothing is stored (the token is signed), hence 200: each call "
            "makes another link, and editing the article ends them all. Takes no body: none, "
            "or `{}`."
        ),
        request=None,
        parameters=[WWW_AUTHENTICATE],
        responses={
            200: PreviewLinkSerializer,
            400: PROBLEM_400_PREVIEW_POST,
            401: PROBLEM_401,
            403: PROBLEM_403_PREVIEW_POST,
            404: PROBLEM_404,
            415: PROBLEM_415,
        },
    )
    @action(
        detail=True, methods=["post"], permission_classes=[SeesUnpublished], pagination_class=None
    )
    def preview(self, request, slug=None):
        # A body is read only to be refused if it says anything (`{"ttl": 60}` must not look
        # taken).
        StrictSerializer(data=request.data).is_valid(raise_exception=True)
        article = self.get_object()
        link = preview_link_issue(article=article)
        url = preview_url(request, slug=article.slug, token=link.token)
        return Response(
            PreviewLinkSerializer(
                {"url": url, "token": link.token, "expires_at": link.expires_at}
            ).data
        )

    def panel_limit(self, name: str = "limit") -> int:
        return query_integer(
            self.request, name, default=PANEL_LIMIT_DEFAULT, maximum=PANEL_LIMIT_MAX
        )

    def panel_rows(self, select, article, limit: int, shape: Shape) -> "list[dict]":
        """A panel's rows (`select`: its selector) with what `shape` shows: only its columns,
        and its tags only when it shows a tag."""
        if shape.default:
            return select(article=article, limit=limit)
        rows = select(
            article=article,
            limit=limit,
            rows=shape.narrow(Article.objects.newest_first()),
            tags=shape.reads_tags,
        )
        return shape.complete(rows, tags_read=True)

    @extend_schema(
        operation_id="articles_more_from_company",
        summary="More from the article's company",
        description=(
            "The same company's other published articles, newest first; never the article itself."
        ),
        parameters=[LIMIT_PARAMETER, fields_parameter(LIST), EXPAND_PARAMETER],
        responses={200: MORE_FROM_COMPANY, 400: PROBLEM_400, 404: PROBLEM_404},
    )
    @action(detail=True, url_path="more-from-company", pagination_class=None)
    def more_from_company(self, request, slug=None):
        limit = self.panel_limit()
        shape = self.shape()
        article = self.get_object()
        tag_answer(FEED_KEY, article_key(article.pk))
        rows = self.panel_rows(article_more_from_company, article, limit, shape)
        for row in rows:
            tag_answer(*shape.keys_of(row))
        return respond(
            request, rows, lambda: Response({"results": [shape.write(row) for row in rows]})
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
        parameters=[LIMIT_PARAMETER, fields_parameter(SUGGESTED), EXPAND_PARAMETER],
        responses={200: SUGGESTED_PANEL, 400: PROBLEM_400, 404: PROBLEM_404},
    )
    @action(detail=True, pagination_class=None)
    def suggested(self, request, slug=None):
        limit = self.panel_limit()
        shape = self.shape()
        article = self.get_object()
        tag_answer(FEED_KEY, article_key(article.pk))
        rows = self.panel_rows(article_suggested, article, limit, shape)
        for row in rows:
            tag_answer(*shape.keys_of(row))
        return respond(
            request, rows, lambda: Response({"results": [shape.write(row) for row in rows]})
        )

    @extend_schema(
        operation_id="articles_page",
        summary="Everything the article's page shows, in one answer",
        description=(
            "`article` is GET /articles/{slug}/ (with `fields` and `expand`, which apply to it "
            "alone), `more_from_company` and `suggested` are their paths' answers (with "
            "`more_limit` and `suggested_limit` as their `limit`), and `comments` is the "
            "thread's first page as GET /articles/{slug}/comments/ answers it (with "
            "`comments_page_size` and `comments_ordering` as its `page_size` and `ordering`; "
            "its `next` link continues on that path). One ETag for the whole, in fewer "
            "queries than the four requests. A draft or scheduled article answers 404 to "
            "anyone but Editors, unless `preview` carries its preview link (as on the detail)."
        ),
        parameters=[
            fields_parameter(DETAIL),
            EXPAND_PARAMETER,
            *PAGE_PARAMETERS,
            PREVIEW_PARAMETER,
            *LAST_MODIFIED_PARAMETERS,
        ],
        responses={
            200: ArticlePageSerializer,
            400: PROBLEM_400,
            403: PROBLEM_403_PREVIEW,
            404: PROBLEM_404,
        },
    )
    @action(detail=True, pagination_class=None)
    def page(self, request, slug=None):
        shape = self.shape()
        more_limit = self.panel_limit("more_limit")
        suggested_limit = self.panel_limit("suggested_limit")
        page_size, ordering = self.thread_parameters()
        row = shape.complete([self.get_object()])[0]
        # What the panels' selectors read of the article; the detail's row has it.
        article = Article.from_db(
            self.get_queryset().db,
            ["id", "company_id", "category"],
            [row["id"], row["company_id"], row["category"]],
        )
        more = article_more_from_company(article=article, limit=more_limit)
        suggested = article_suggested(article=article, limit=suggested_limit)
        thread = thread_first_page(
            request,
            article_id=row["id"],
            slug=row["slug"],
            page_size=page_size,
            ordering=ordering,
            show_withheld=moderates(request.user),
        )
        # The four answers' keys: the thread's are its article's, the panels' the feed's.
        tag_answer(*shape.keys_of(row), FEED_KEY)
        for item in [*more, *suggested]:
            tag_answer(*item_keys(item))
        return respond(
            request,
            [row, more, suggested, thread.inputs()],
            lambda: Response(
                {
                    "article": shape.write(row),
                    "more_from_company": {"results": [list_item(item) for item in more]},
                    "suggested": {"results": [suggested_item(item) for item in suggested]},
                    "comments": thread.body(),
                }
            ),
            dated=True,
        )

    def thread_parameters(self) -> tuple[str | None, str | None]:
        """`comments_page_size` and `comments_ordering`, as given (None when absent), checked
        as the comments path checks its `page_size` and `ordering`, each 400 naming its
        parameter."""
        params = self.request.query_params
        page_size, ordering = params.get("comments_page_size"), params.get("comments_ordering")
        if page_size is not None:
            query_integer(
                self.request,
                "comments_page_size",
                default=THREAD_PAGE_SIZE,
                maximum=THREAD_MAX_PAGE_SIZE,
            )
        if ordering is not None and ordering not in ORDERINGS:
            message = f"Select a valid choice. {ordering} is not one of the available choices."
            raise ValidationError(
                {"comments_ordering": [ErrorDetail(message, code="invalid_choice")]}
            )
        return page_size, ordering


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
