"""`GET /api/v1/changes/`: the change feed (API.md, "The change feed").

What changed in public content after the point `since` marks, oldest first. A client stores
`next_since` and asks again with it: it never misses a change and never sees one twice,
because change ids are given in commit order (changes.outbox) and the page is read below the
head it measured first. `next_since` is given on every answer, an empty one too: it moves to
the head of the feed when the page is not full, so a filtered client does not rescan what it
has seen.

Filters: `type` (repeatable: a type, or a kind such as `article` for all of its types),
`company` and `tag` (a slug): the changes of that company or tag itself, and those of the
articles filed under it (when the change was recorded, or when the article was last announced
before it: an article that leaves a tag is seen leaving) and of their comments.
"""

import base64
import binascii
import re

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from articles.models import Tag
from botbeat.api import PROBLEM_400, ProblemSerializer, StrictQueryParamsMixin, problem_example
from botbeat.cache import company_key, tag_answer, tag_key
from botbeat.conditional import RespondMixin, respond
from botbeat.params import integer_schema, query_integer
from botbeat.redirects import UNKNOWN_VALUE_CODE, SlugRedirectMixin
from botbeat.renderers import FastJSONRenderer, iso_datetime
from botbeat.replicas import reading
from botbeat.slugs import SLUG_SCHEMA
from changes.data import raw_data_of
from changes.models import KINDS, Change, ChangeScope, ChangeType, Pruned
from changes.outbox import CHANGES_KEY, PUBLIC
from companies.models import Company

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
TYPE_CHOICES = [*KINDS, *ChangeType.values]
# A since token: "c" and the id in base 36, base64url without padding.
SINCE_PATTERN = r"^[A-Za-z0-9_-]{1,24}$"
SINCE = re.compile(SINCE_PATTERN.removeprefix("^").removesuffix("$"))
INVALID_SINCE = "Invalid since: give the `next_since` of an earlier answer, or nothing."


def since_token(change_id: int) -> str:
    return base64.urlsafe_b64encode(f"c{change_id:x}".encode()).decode().rstrip("=")


def since_id(token: str) -> int:
    """The change id a token marks; ValueError when it is not one this API gave."""
    if not SINCE.fullmatch(token):
        raise ValueError("not a token")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("not base64") from None
    if not re.fullmatch(r"c(0|[1-9a-f][0-9a-f]{0,15})", raw):
        raise ValueError("not a token")
    change_id = int(raw[1:], 16)
    if change_id > 2**63 - 1 or since_token(change_id) != token:
        raise ValueError("not canonical")
    return change_id


class SinceExpired(exceptions.APIException):
    status_code = 410
    default_code = "since_expired"
    default_detail = (
        "This since token is older than what the change feed keeps "
        "(CHANGES_RETENTION_DAYS): start again without it, from a full read."
    )


class ChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The change's id: increasing, in commit order.")
    type = serializers.ChoiceField(choices=ChangeType.choices)
    at = serializers.DateTimeField(help_text="When it was recorded.")
    key = serializers.CharField(
        help_text="The resource's public key when the change was recorded: an article's, "
        "company's or tag's slug, a comment's id (as a string). A mirror stores by "
        "(kind, key): a `*.removed` drops that key."
    )
    # anyOf, not oneOf: every property of an article's detail is optional (`fields` may leave
    # any out), so a company or a tag is also a valid detail; the `type`'s kind says which.
    data = extend_schema_field(
        {
            "anyOf": [
                {"$ref": f"#/components/schemas/{name}"}
                for name in ("ArticleDetail", "Company", "Tag", "Comment")
            ],
            "nullable": True,
        }
    )(serializers.JSONField)(
        allow_null=True,
        help_text="The resource as its own GET shows it now (an article's detail, a company, "
        "a tag, a comment: the `type`'s kind says which); null for a `*.removed`, and for a "
        "resource the public no longer sees (a later change in the feed says so).",
    )


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next_since = serializers.RegexField(
        SINCE_PATTERN,
        help_text="Where the next read starts: store it and send it as `since`. Given on "
        "every answer, an empty one too.",
    )
    has_more = serializers.BooleanField(help_text="Whether more changes follow right away.")


PROBLEM_410 = OpenApiResponse(
    ProblemSerializer,
    description="`since_expired`: the token is older than the changes kept "
    "(CHANGES_RETENTION_DAYS, 90 days by default). Read everything again, then follow "
    "the feed from this answer's `next_since`... of a read without `since`.",
    examples=[
        problem_example(410, "since_expired", SinceExpired.default_detail, "/api/v1/changes/")
    ],
)


def head_and_horizon() -> tuple[int, int]:
    """The feed's highest change id and the highest the pruning deleted (changes.models.Pruned),
    in one query."""
    with reading(Change).cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {Change._meta.db_table}), "
            f"(SELECT through_id FROM {Pruned._meta.db_table} WHERE id = 1)"
        )
        head, horizon = cursor.fetchone()
    return head or 0, horizon or 0


def feed_page(changes, after: int, page_size: int, *, expiring: bool = False) -> dict:
    """The answer's body: the first `page_size` of `changes` after the id `after`, with their
    `data`. `expiring`: `after` came from a client's token (SinceExpired below retention)."""
    # The head first, the page below it: every change up to the head is committed (ids are in
    # commit order), so a page that is not full has seen all of them.
    head, horizon = head_and_horizon()
    if expiring and after < horizon:
        raise SinceExpired()
    # Rows, not instances: building a hundred Change objects was a tenth of a page's time.
    page = list(
        changes.filter(id__gt=after, id__lte=head)
        .order_by("id")
        .values_list("id", "type", "key", "object_id", "at")[: page_size + 1]
    )
    has_more = len(page) > page_size
    page = page[:page_size]
    data = raw_data_of([(type_, object_id) for _, type_, _, object_id, _ in page])
    next_since = page[-1][0] if has_more else max(head, after, horizon)
    results = [
        {"id": id_, "type": type_, "at": iso_datetime(at), "key": key, "data": item}
        for (id_, type_, key, _, at), item in zip(page, data, strict=True)
    ]
    return {"results": results, "next_since": since_token(next_since), "has_more": has_more}


def _unknown(name: str, value: str, what: str) -> ValidationError:
    return ValidationError(
        {
            name: [
                serializers.ErrorDetail(f'{name} "{value}" is not {what}.', code=UNKNOWN_VALUE_CODE)
            ]
        }
    )


class ChangeFeedView(SlugRedirectMixin, RespondMixin, StrictQueryParamsMixin, APIView):
    extra_query_params = ("since", "type", "company", "tag", "page_size")
    # An old slug of a company or a tag answers 301 to the feed with the slug now, as the
    # API's filters do (botbeat.redirects).
    slug_filters = {"company": Company, "tag": Tag}
    # DRF's JSON, byte for byte, through orjson, which writes the kept data as it is.
    renderer_classes = [FastJSONRenderer]
    multi_valued_params = ("type",)

    @extend_schema(
        operation_id="changes_list",
        summary="The change feed: what changed in public content, oldest first",
        description=(
            "Resumable by `since` (store `next_since`, send it back); deletions included as "
            "`*.removed`. Types: `article.published` (it became public: published, or its "
            "scheduled time came), `article.updated`, `article.removed` (unpublished, "
            "scheduled again, deleted; `data` null), `company.updated`, `company.removed`, "
            "`tag.updated`, `tag.removed` (they appear with their first public article and go "
            "with their last, or by a merge), `comment.created`, `comment.updated`, "
            "`comment.removed` (hidden, deleted, or its article gone). A rename gives the old "
            "key's `*.removed` and the new key's `*.updated`. Drafts never appear, whoever "
            "asks. Without `since` the feed starts at the oldest change kept."
        ),
        tags=["changes"],
        parameters=[
            OpenApiParameter(
                "since",
                {"type": "string", "pattern": SINCE_PATTERN},
                description="A `next_since` of an earlier answer (opaque).",
            ),
            OpenApiParameter(
                "type",
                {"type": "array", "items": {"type": "string", "enum": TYPE_CHOICES}},
                explode=True,
                description="Only these types; a kind (`article`, `company`, `tag`, `comment`) "
                "means all of its types. Repeatable: any of them.",
            ),
            OpenApiParameter(
                "company",
                SLUG_SCHEMA,
                description="A public company's slug: its own changes, its articles' and their "
                "comments'.",
            ),
            OpenApiParameter(
                "tag",
                SLUG_SCHEMA,
                description="A public tag's slug: its own changes, its articles' and their "
                "comments'.",
            ),
            OpenApiParameter(
                "page_size",
                integer_schema(default=PAGE_SIZE_DEFAULT, maximum=PAGE_SIZE_MAX),
                description="Changes per answer.",
            ),
        ],
        responses={200: ChangePageSerializer, 400: PROBLEM_400, 410: PROBLEM_410},
    )
    def get(self, request):
        page_size = query_integer(
            request, "page_size", default=PAGE_SIZE_DEFAULT, maximum=PAGE_SIZE_MAX
        )
        changes = Change.objects.all()
        types = request.query_params.getlist("type")
        if types:
            unknown = [value for value in types if value not in TYPE_CHOICES]
            if unknown:
                raise _unknown("type", unknown[0], f"one of {', '.join(TYPE_CHOICES)}")
            wanted = {t for t in ChangeType.values if t in types or t.partition(".")[0] in types}
            changes = changes.filter(type__in=sorted(wanted))
        for name, model, key in (("company", Company, company_key), ("tag", Tag, tag_key)):
            slug = request.query_params.get(name)
            if slug is None:
                continue
            pk = model.objects.visible_to(PUBLIC).filter(slug=slug).values_list("pk", flat=True)
            pk = pk.first()
            if pk is None:
                raise _unknown(name, slug, f"a public {name}")
            tag_answer(key(pk))
            changes = changes.filter(
                pk__in=ChangeScope.objects.filter(scope=name, ref_id=pk).values("change_id")
            )
        after = 0
        token = request.query_params.get("since")
        if token is not None:
            try:
                after = since_id(token)
            except ValueError:
                raise ValidationError(
                    {"since": [serializers.ErrorDetail(INVALID_SINCE, code="invalid_since")]}
                ) from None
        tag_answer(CHANGES_KEY)
        body = feed_page(changes, after, page_size, expiring=token is not None)
        # Written as ChangePageSerializer documents it, without it: its fields, per item, were
        # most of a page's time (tests/changes/test_feed.py holds the two to the same output).
        return respond(request, body, lambda: Response(body))
