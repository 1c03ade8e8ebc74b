import re

from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework import serializers as drf_serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from articles.models import Article, published_q
from botbeat.api import (
    PROBLEM_400,
    PROBLEM_404,
    StrictFilterBackend,
    StrictQueryParamsMixin,
    StrictQueryParamsOnWritesMixin,
)
from botbeat.api import problem_response as problem
from botbeat.auth_schema import (
    PROBLEM_401,
    PROBLEM_415,
    PROBLEM_429,
    RETRY_AFTER,
    WWW_AUTHENTICATE,
    throttle_note,
)
from botbeat.cache import article_key, tag_answer, thread_key
from botbeat.conditional import RespondMixin, respond
from botbeat.fields import StrictSerializer
from botbeat.pagination import Keyset, KeysetCursorPagination, StrictPageNumberPagination
from botbeat.redirects import SlugRedirectMixin
from botbeat.renderers import FastJSONRenderer
from botbeat.roles import moderates, sees_unpublished
from botbeat.services import Forbidden
from botbeat.slugs import SLUG_PATTERN, SLUG_SCHEMA
from botbeat.throttles import (
    CommentEditRateThrottle,
    CommentFlagRateThrottle,
    CommentLikeRateThrottle,
    CommentPostRateThrottle,
)
from comments.filters import CommentFilter, CommentOrdering
from comments.models import MAX_DEPTH, THREAD_COLUMNS, Comment, CommentFlag, CommentLike
from comments.pagination import CommentCursorPagination
from comments.serializers import (
    CommentCreateSerializer,
    CommentFlagCreateSerializer,
    CommentFlagSerializer,
    CommentLikeSerializer,
    CommentSerializer,
    CommentUpdateSerializer,
    MyLikesSerializer,
    ReviewItemSerializer,
)
from comments.services import (
    comment_create,
    comment_delete,
    comment_edit,
    comment_flag,
    comment_hide,
    comment_like,
    comment_restore,
    comment_unlike,
)
from comments.threads import ThreadPage, thread_comments

THREAD_DESCRIPTION = (
    "One flat list in thread order: each comment is followed by its replies (depth-first), so a "
    "client renders the thread by indenting each comment by its `depth` "
    f"(0 to {MAX_DEPTH}). `ordering=oldest` (the default) puts the oldest top-level comments "
    "first; `ordering=newest` puts the newest top-level comments first while the replies inside "
    "each thread keep their conversation order (oldest first); `ordering=best` puts the threads "
    "whose top-level comment has the most likes first (ties: the oldest first), replies in "
    "conversation order, and its cursor finishes the thread it stopped in while likes move "
    "(see `ordering`). Each comment carries `like_count`; whether the reader liked it is in "
    "GET /api/v1/auth/me/likes/, never here. Cursor-paginated, 200 comments a "
    "page by default (up to 500), in two queries however many comments and authors.\n\n"
    "A comment withheld (`hidden` by a moderator, `removed` by its author, `pending_review` "
    "after readers' flags) keeps its place "
    "while visible replies hang under it, with `body` and `author` null and `status` saying "
    "why; without any, it is left out. Staff see every comment, withheld ones included, with "
    "their bodies and authors. A draft or scheduled article answers 404 (staff excepted)."
)

SLUG_RE = re.compile(SLUG_PATTERN)

PROBLEM_400_QUERY = problem("A query parameter: this operation takes none.")
PROBLEM_400_POST = problem(
    "A query parameter (posting takes none); malformed JSON (`parse_error`); a key given twice "
    "(`duplicate_key`) or a field it does not take (`unknown_field`); a field of the "
    "wrong type (`invalid`); a body that is blank, too long or carries control characters "
    "(`blank`, `max_length`, `control_characters`); a `parent` that does not exist "
    "(`does_not_exist`), belongs to another article (`other_article`) or is withheld "
    "(`withheld`); a word the newsroom does not allow (`banned_word`: the word is not named); "
    "the same body posted by the same reader on the article within the last "
    "`COMMENT_DUPLICATE_MINUTES` (10 by default: `duplicate`). Nothing is written."
)
PROBLEM_400_PATCH = problem(
    "A query parameter (editing takes none); malformed JSON (`parse_error`); a key given twice "
    "(`duplicate_key`) or a field other than `body` and `status` (`unknown_field`); neither "
    "`body` nor "
    "`status` given (`required`); a field of the wrong type or an unknown status (`invalid`, "
    "`invalid_choice`); a blank or too long body; a word the newsroom does not allow "
    "(`banned_word`). Nothing is written."
)
PROBLEM_403_POST = problem(
    "The article's comments are closed (`comments_closed`); or signed in with the session "
    "cookie but without the CSRF token."
)
PROBLEM_403_PATCH = problem(
    "Another reader's comment (`not_author`: only its author edits the body); `status` without "
    "being staff (`not_moderator`); editing a withheld comment (`comment_withheld`); moderating "
    "a comment its author removed (`comment_removed`); or a session without the CSRF token."
)
PROBLEM_403_DELETE = problem(
    "Another reader's comment (`not_author`; staff too: they hide comments instead); or a "
    "session without the CSRF token."
)
PROBLEM_404_COMMENT = OpenApiResponse(
    PROBLEM_404.response,
    description=(
        "No such comment, or one the caller may not see: on a draft or scheduled article, or "
        "withheld without visible replies (staff see those)."
    ),
)


ARTICLE_SLUG = OpenApiParameter(
    "slug",
    SLUG_SCHEMA,
    OpenApiParameter.PATH,
    description="The article's slug.",
)
COMMENT_ID = OpenApiParameter(
    "id",
    {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    OpenApiParameter.PATH,
    description="The comment's id.",
)

LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.URI,
    OpenApiParameter.HEADER,
    description="The new comment's address.",
    response=[201],
)


def thread_context(request) -> dict:
    return {"request": request, "show_withheld": moderates(request.user)}


@extend_schema_view(
    get=extend_schema(
        operation_id="articles_comments_list",
        summary="An article's comments, threaded",
        description=THREAD_DESCRIPTION,
        parameters=[ARTICLE_SLUG],
        responses={200: CommentSerializer(many=True), 400: PROBLEM_400, 404: PROBLEM_404},
    ),
    post=extend_schema(
        operation_id="articles_comments_create",
        summary="Post a comment or a reply",
        description=(
            "Signed-in readers only. `parent` makes it a reply. A published article whose "
            "comments are open only: a draft or scheduled article answers 404, closed comments "
            "403 `comments_closed`. The answer is the new comment, and `Location` its address. "
            "It is `pending` (not in the public thread until a Moderator approves it; its "
            "author finds it in GET /api/v1/auth/me/comments/) when it holds a suspect word of "
            "the newsroom's lists, or while its author is pre-moderated "
            "(`COMMENT_PREMODERATION=N`: until N of their comments were approved; 0, the "
            "default, is off); `visible` otherwise."
            + throttle_note("THROTTLE_COMMENT_POST", "user")
        ),
        request=CommentCreateSerializer,
        parameters=[ARTICLE_SLUG, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE],
        responses={
            201: CommentSerializer,
            400: PROBLEM_400_POST,
            401: PROBLEM_401,
            403: PROBLEM_403_POST,
            404: PROBLEM_404,
            415: PROBLEM_415,
            429: PROBLEM_429,
        },
    ),
)
class ArticleCommentsView(
    SlugRedirectMixin, RespondMixin, StrictQueryParamsOnWritesMixin, generics.ListCreateAPIView
):
    renderer_classes = [FastJSONRenderer]  # DRF's JSON, byte for byte, faster
    slug_model = Article  # a GET of an old slug's thread answers 301
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = CommentSerializer
    pagination_class = CommentCursorPagination
    filter_backends = [StrictFilterBackend]
    filterset_class = CommentFilter
    filterset = None

    def get_throttles(self):
        # Reading is free; posting is limited per user.
        return [CommentPostRateThrottle()] if self.request.method == "POST" else []

    def get_article(self, queryset) -> Article:
        return get_object_or_404(
            queryset.only("id", "slug", "status", "published_at", "comments_open"),
            slug=self.kwargs["slug"],
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, with no URL kwargs
            return Comment.objects.none()
        article = self.get_article(Article.objects.visible_to(self.request.user))
        tag_answer(article_key(article.pk))  # every comment write purges its article's key
        return thread_comments(article_id=article.pk, user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **thread_context(self.request)}

    def list(self, request, *args, **kwargs):
        page = ThreadPage(
            self.filter_queryset(self.get_queryset()),
            request,
            ordering=self.filterset.ordering_name if self.filterset else CommentOrdering.OLDEST,
            show_withheld=thread_context(request)["show_withheld"],
        )
        return respond(request, page.inputs(), lambda: Response(page.body()))

    def create(self, request, *args, **kwargs):
        article = self.get_article(Article.objects.published())
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = comment_create(
            article=article,
            author=request.user,
            body=serializer.validated_data["body"],
            parent=serializer.validated_data.get("parent"),
        )
        comment = Comment.objects.for_thread().get(pk=comment.pk)
        location = request.build_absolute_uri(reverse("comment-detail", args=[comment.pk]))
        # Its author's own answer: a pending comment shows them what they wrote.
        context = {**self.get_serializer_context(), "show_pending": True}
        return Response(
            CommentSerializer(comment, context=context).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="comments_retrieve",
        summary="One comment",
        description=(
            "The public sees a visible comment, or a withheld one that has visible replies (with "
            "`body` and `author` null). Staff see every comment."
        ),
        parameters=[COMMENT_ID],
        responses={200: CommentSerializer, 400: PROBLEM_400, 404: PROBLEM_404_COMMENT},
    ),
    patch=extend_schema(
        operation_id="comments_partial_update",
        summary="Edit a comment, or moderate it",
        description=(
            "`body`: the author edits their visible comment (sets `edited_at`; a suspect word "
            "sends it back to `pending`). `status`: Moderators hide any comment (`hidden`), "
            "restore a hidden one or one withheld for review, or approve a pending one "
            "(`visible`); a comment its author removed stays removed. Both may be given at "
            "once (a Moderator, on their own comment); either all is applied or nothing."
            + throttle_note("THROTTLE_COMMENT_EDIT", "user, edits and deletions together")
        ),
        request=CommentUpdateSerializer,
        parameters=[COMMENT_ID, RETRY_AFTER, WWW_AUTHENTICATE],
        responses={
            200: CommentSerializer,
            400: PROBLEM_400_PATCH,
            401: PROBLEM_401,
            403: PROBLEM_403_PATCH,
            404: PROBLEM_404_COMMENT,
            415: PROBLEM_415,
            429: PROBLEM_429,
        },
    ),
    delete=extend_schema(
        operation_id="comments_destroy",
        summary="Delete one's own comment",
        description=(
            "The author only. The comment becomes `removed`, for good: while visible replies "
            "hang under it, it keeps its place in the thread with `body` and `author` null; "
            "otherwise it is gone (404). Deleting it again answers 204 too."
            + throttle_note("THROTTLE_COMMENT_EDIT", "user, edits and deletions together")
        ),
        parameters=[COMMENT_ID, RETRY_AFTER, WWW_AUTHENTICATE],
        responses={
            204: OpenApiResponse(description="Removed."),
            400: PROBLEM_400_QUERY,
            401: PROBLEM_401,
            403: PROBLEM_403_DELETE,
            404: PROBLEM_404_COMMENT,
            429: PROBLEM_429,
        },
    ),
)
class CommentDetailView(StrictQueryParamsOnWritesMixin, generics.RetrieveUpdateDestroyAPIView):
    http_method_names = ["get", "patch", "delete", "head", "options"]
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = CommentSerializer

    def get_throttles(self):
        # Reading is free; every edit and deletion purges the article's cached answers.
        return [CommentEditRateThrottle()] if self.request.method in {"PATCH", "DELETE"} else []

    def get_queryset(self):
        comments = Comment.objects.for_thread()
        user = self.request.user
        if self.request.method in {"PATCH", "DELETE"} and user.is_authenticated:
            # An author finds their own pending comment to delete it (or to learn that it is
            # not editable yet); reading it stays the public's answer, a 404 (it is in
            # /auth/me/comments/).
            seen = comments.visible_to(user).values("pk")
            own_pending = Q(author=user, status=Comment.Status.PENDING)
            return comments.filter(Q(pk__in=seen) | own_pending)
        return comments.visible_to(user)

    def get_object(self):
        comment = super().get_object()
        tag_answer(article_key(comment.article_id), thread_key(comment.article_id))
        return comment

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **thread_context(self.request)}

    def partial_update(self, request, *args, **kwargs):
        comment = self.get_object()
        serializer = CommentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            if "body" in data:
                comment_edit(comment=comment, editor=request.user, body=data["body"])
            wanted = data.get("status")
            if wanted == Comment.Status.HIDDEN:
                comment = comment_hide(comment=comment, moderator=request.user)
            elif wanted == Comment.Status.VISIBLE:
                comment = comment_restore(comment=comment, moderator=request.user)
        comment = Comment.objects.for_thread().get(pk=comment.pk)
        context = self.get_serializer_context()
        if comment.author_id == request.user.pk:  # a write's answer, to its author alone
            context["show_pending"] = True
        return Response(CommentSerializer(comment, context=context).data)

    def destroy(self, request, *args, **kwargs):
        comment_delete(comment=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


PROBLEM_400_LIKE = problem(
    "A query parameter (this operation takes none); a body that says anything (it takes none: "
    "`unknown_field`), or malformed JSON (`parse_error`). Nothing is written."
)
PROBLEM_403_LIKE = problem(
    "One's own comment (`own_comment`); a withheld comment (`comment_withheld`: hidden, removed "
    "or awaiting review takes no like); or a session without the CSRF token."
)
PROBLEM_403_UNLIKE = problem("A session without the CSRF token.")
PROBLEM_404_LIKE = OpenApiResponse(
    PROBLEM_404.response,
    description=(
        "No such comment, or one the caller may not see, or one on an article that is not "
        "published (Editors included: nobody likes what the public cannot see)."
    ),
)
LIKE_THROTTLE = throttle_note("THROTTLE_COMMENT_LIKE", "user, likes and unlikes together")


@extend_schema_view(
    put=extend_schema(
        operation_id="comments_like",
        summary="Like a comment",
        description=(
            "Signed-in readers, on a visible comment of a published article that is not their "
            "own. Idempotent: liking it again answers 200 and changes nothing. The thread's "
            "answers change (`like_count`); whether a reader liked a comment is never in them "
            "(GET /api/v1/auth/me/likes/ says it). Takes no body." + LIKE_THROTTLE
        ),
        request=None,
        parameters=[COMMENT_ID, RETRY_AFTER, WWW_AUTHENTICATE],
        responses={
            200: CommentLikeSerializer,
            400: PROBLEM_400_LIKE,
            401: PROBLEM_401,
            403: PROBLEM_403_LIKE,
            404: PROBLEM_404_LIKE,
            415: PROBLEM_415,
            429: PROBLEM_429,
        },
    ),
    delete=extend_schema(
        operation_id="comments_unlike",
        summary="Take back one's like of a comment",
        description=(
            "Idempotent: unliking a comment one does not like answers 200 and changes nothing. "
            "Whatever the comment's status now." + LIKE_THROTTLE
        ),
        parameters=[COMMENT_ID, RETRY_AFTER, WWW_AUTHENTICATE],
        responses={
            200: CommentLikeSerializer,
            400: PROBLEM_400_LIKE,
            401: PROBLEM_401,
            403: PROBLEM_403_UNLIKE,
            404: PROBLEM_404_LIKE,
            429: PROBLEM_429,
        },
    ),
)
class CommentLikeView(StrictQueryParamsOnWritesMixin, APIView):
    http_method_names = ["put", "delete", "options"]
    permission_classes = [IsAuthenticated]
    throttle_classes = [CommentLikeRateThrottle]

    def get_comment(self) -> Comment:
        return get_object_or_404(
            Comment.objects.visible_to(self.request.user).only("pk"), pk=self.kwargs["pk"]
        )

    def answer(self, comment: Comment, liked: bool) -> Response:
        count = Comment.objects.values_list("like_count", flat=True).get(pk=comment.pk)
        data = {"id": comment.pk, "liked": liked, "like_count": count}
        return Response(CommentLikeSerializer(data).data)

    def put(self, request, *args, **kwargs):
        StrictSerializer(data=request.data).is_valid(raise_exception=True)
        comment = self.get_comment()
        comment_like(comment=comment, user=request.user)
        return self.answer(comment, True)

    def delete(self, request, *args, **kwargs):
        StrictSerializer(data=request.data).is_valid(raise_exception=True)
        comment = self.get_comment()
        comment_unlike(comment=comment, user=request.user)
        return self.answer(comment, False)


ARTICLE_QUERY = OpenApiParameter(
    "article",
    SLUG_SCHEMA,
    OpenApiParameter.QUERY,
    required=True,
    description="The article's slug.",
)
PROBLEM_400_MY_LIKES = problem(
    "`article` missing (`required`), malformed (`invalid`), empty, repeated; or another query "
    "parameter."
)
PROBLEM_404_MY_LIKES = OpenApiResponse(
    PROBLEM_404.response, description="No article the caller may see has this slug."
)


class MyLikesView(StrictQueryParamsMixin, APIView):
    """The one answer that says whom a like is from: the caller's, private."""

    permission_classes = [IsAuthenticated]
    bad_token_is_401 = True  # accounts.authentication
    extra_query_params = ("article",)

    @extend_schema(
        operation_id="auth_me_likes",
        summary="The comments I like on an article",
        description=(
            "The ids of the article's comments the caller likes, for a client to mark them in "
            "the (public) thread. Personal: `Cache-Control: private, no-store`."
        ),
        parameters=[ARTICLE_QUERY, WWW_AUTHENTICATE],
        responses={
            200: MyLikesSerializer,
            400: PROBLEM_400_MY_LIKES,
            401: PROBLEM_401,
            404: PROBLEM_404_MY_LIKES,
        },
    )
    def get(self, request):
        slug = request.query_params.get("article")
        if slug is None:
            required = drf_serializers.ErrorDetail("This parameter is required.", "required")
            raise ValidationError({"article": [required]})
        if not SLUG_RE.fullmatch(slug) or len(slug) > SLUG_SCHEMA["maxLength"]:
            raise ValidationError(
                {"article": [drf_serializers.ErrorDetail("Not a valid slug.", "invalid")]}
            )
        article = get_object_or_404(
            Article.objects.visible_to(request.user).only("id", "slug"), slug=slug
        )
        ids = list(
            CommentLike.objects.filter(user=request.user, comment__article=article)
            .order_by("comment_id")
            .values_list("comment_id", flat=True)
        )
        return Response(
            MyLikesSerializer({"article": article.slug, "comment_ids": ids}).data,
            headers={"Cache-Control": "private, no-store"},
        )


PROBLEM_400_FLAG = problem(
    "A query parameter (flagging takes none); malformed JSON (`parse_error`); a key given twice "
    "(`duplicate_key`) or a field it does not take (`unknown_field`); `reason` missing "
    "(`required`) or not one of the reasons (`invalid_choice`); a `note` too long "
    "(`max_length`) or carrying control characters (`control_characters`). Nothing is "
    "written."
)
PROBLEM_403_FLAG = problem(
    "One's own comment (`own_comment`); a comment withheld otherwise than for review "
    "(`comment_withheld`); or a session without the CSRF token."
)


@extend_schema_view(
    post=extend_schema(
        operation_id="comments_flag",
        summary="Report a comment",
        description=(
            "Signed-in readers, on another reader's comment: `reason` and an optional `note` for "
            "the Moderators. One flag per reader and comment: flagging it again answers 200 with "
            "the first flag, and changes nothing. When the flags of distinct readers reach "
            "`COMMENT_FLAG_THRESHOLD` (3 by default) the comment is withheld as `pending_review` "
            "until a Moderator restores or hides it (PATCH `status`); the answer does not say so."
            + throttle_note("THROTTLE_COMMENT_FLAG", "user")
        ),
        request=CommentFlagCreateSerializer,
        parameters=[COMMENT_ID, RETRY_AFTER, WWW_AUTHENTICATE],
        responses={
            201: OpenApiResponse(CommentFlagSerializer, description="Flagged."),
            200: OpenApiResponse(
                CommentFlagSerializer, description="Flagged already: the first flag, unchanged."
            ),
            400: PROBLEM_400_FLAG,
            401: PROBLEM_401,
            403: PROBLEM_403_FLAG,
            404: PROBLEM_404_LIKE,
            415: PROBLEM_415,
            429: PROBLEM_429,
        },
    )
)
class CommentFlagView(StrictQueryParamsOnWritesMixin, APIView):
    http_method_names = ["post", "options"]
    permission_classes = [IsAuthenticated]
    throttle_classes = [CommentFlagRateThrottle]

    def post(self, request, *args, **kwargs):
        serializer = CommentFlagCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = get_object_or_404(
            Comment.objects.visible_to(request.user).only("pk", "article_id"),
            pk=self.kwargs["pk"],
        )
        flag, created = comment_flag(
            comment=comment,
            user=request.user,
            reason=serializer.validated_data["reason"],
            note=serializer.validated_data.get("note", ""),
        )
        return Response(
            CommentFlagSerializer(flag).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def review_queue(user):
    """The comments awaiting a Moderator's decision, on the articles `user` may see: withheld
    for review, or visible with open flags; the most flagged first, then the oldest."""
    withheld = Q(status__in=[Comment.Status.PENDING_REVIEW, Comment.Status.PENDING])
    flagged = Q(status=Comment.Status.VISIBLE, flag_count__gt=0)
    # Open flags first, each kind oldest first.
    flags = CommentFlag.objects.select_related("user").order_by(
        F("reviewed_at").asc(nulls_first=True), "created_at", "pk"
    )
    return (
        Comment.objects.for_thread()
        .only(*THREAD_COLUMNS, "flag_count")
        .visible_to(user)
        .filter(withheld | flagged)
        .prefetch_related(Prefetch("flags", queryset=flags, to_attr="review_flags"))
        .order_by("-flag_count", "created_at", "pk")
    )


class ReviewQueuePagination(StrictPageNumberPagination):
    page_size = 50


@extend_schema_view(
    get=extend_schema(
        operation_id="comments_review_queue",
        summary="The review queue (Moderators)",
        description=(
            "Moderators only: the comments awaiting a decision, withheld for review "
            "(`pending_review`) or visible with open flags, the most flagged first (then the "
            "oldest), each with every flag: who, why, the note, and whether it was decided on. A "
            "Moderator decides with PATCH /api/v1/comments/{id}/ (`status`), which closes the "
            "comment's open flags. Personal: `Cache-Control: private, no-store`."
        ),
        parameters=[WWW_AUTHENTICATE],
        responses={
            200: ReviewItemSerializer(many=True),
            400: PROBLEM_400,
            401: PROBLEM_401,
            403: problem("Not a Moderator (`not_moderator`)."),
            404: OpenApiResponse(PROBLEM_404.response, description="A page past the last one."),
        },
    )
)
class ReviewQueueView(StrictQueryParamsMixin, generics.ListAPIView):
    # A bad token reads as no credential here (as on every read outside /auth/): a 401
    # `not_authenticated` all the same.
    permission_classes = [IsAuthenticated]
    serializer_class = ReviewItemSerializer
    pagination_class = ReviewQueuePagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Comment.objects.none()
        if not moderates(self.request.user):
            raise Forbidden("Only moderators see the review queue.", code="not_moderator")
        return review_queue(self.request.user)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response


MY_COMMENTS = Keyset("mine", ("id", True, "int"))  # newest first: ids grow


@extend_schema_view(
    get=extend_schema(
        operation_id="auth_me_comments",
        summary="My comments",
        description=(
            "The caller's own comments on every article, newest first, whatever their status: "
            "`pending` ones (awaiting approval) with their bodies, and withheld ones (hidden, "
            "removed, awaiting review) with `body` and `author` null, `status` saying why. "
            "Cursor-paginated. Personal: `Cache-Control: private, no-store`."
        ),
        parameters=[WWW_AUTHENTICATE],
        responses={200: CommentSerializer(many=True), 400: PROBLEM_400, 401: PROBLEM_401},
    )
)
class MyCommentsView(StrictQueryParamsMixin, generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    bad_token_is_401 = True  # accounts.authentication
    serializer_class = CommentSerializer
    pagination_class = KeysetCursorPagination

    def get_keyset(self) -> Keyset:
        return MY_COMMENTS

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Comment.objects.none()
        user = self.request.user
        comments = Comment.objects.for_thread().filter(author=user)
        if not sees_unpublished(user):  # not those of an article unpublished since
            comments = comments.filter(published_q("article__"))
        return comments

    def get_serializer_context(self):
        # Their pending comments' bodies; what a Moderator or the flags withheld stays null
        # (with `status` saying why), as for everyone but Moderators.
        return {**super().get_serializer_context(), "show_pending": True}

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response
