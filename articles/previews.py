"""Preview links: a signed, expiring link that shows a draft or scheduled article to whoever
holds it, before it goes out.

An Editor asks for one (`POST /api/v1/articles/{slug}/preview/`, or "Preview link" on the
article's admin page); anyone holding it then reads the article's detail and page
(`GET .../{slug}/?preview=<token>`, `.../{slug}/page/?preview=<token>`) until the link expires
(PREVIEW_TTL, 24 hours by default) or the article changes.

The token is the link's whole state: django.core.signing's TimestampSigner, with a salt of its
own (PREVIEW_SALT: no other signed value of the project is ever a preview token), signs what it
grants (the article's id, slug and `updated_at`) and when it was made. No table: there is
nothing to store, to clean up or to look up before the signature says whether the token is
ours. Revoking every link of an article is editing it; revoking every link at once is rotating
SECRET_KEY (which signs sessions too). A table would buy revoking one link alone, which nobody
asked for, at the cost of a write per link and a query per preview.

Why `updated_at`, not a digest of the content: it moves on every editorial write, and only on
those (the admin's form, takeaways or tags changed alone included; publication; the import's
upsert when anything changed; a tag merge that relinks the article: articles/services.py), so
it says "the article changed" as editors mean it. A digest would have to be of the whole
answer, which differs between the detail and the page, and would also move with what is not
the article (a company renamed, a comment counted).

What a refusal says is decided by the token alone wherever it can be, so that nobody without a
genuine link learns anything of the drafts (all three are in the schema):
- 403 `preview_invalid`: not a token signed here (malformed, forged, another salt's), or a
  genuine one for another article (its slug is not the path's);
- 403 `preview_expired`: older than PREVIEW_TTL; or genuine, for this slug, but the article has
  changed since (or another article took the slug): only a genuine link's holder, who was shown
  that article, can learn this;
- 404 (as for the public): a genuine link whose article no longer exists at all.
A refusal never falls back to the public answer: `?preview=x` on a published article is a 403
too, so that the answer never depends on whether the article behind a slug is a draft.

Never kept anywhere, never listed, never counted: the answer is `private, no-store`, without
`ETag` or `Last-Modified` (ArticleViewSet.finalize_response), rendered without the conditional
memory (botbeat.conditional.answer_privately); the response cache (botbeat/cache.py) and
Varnish (deploy/varnish/botbeat.vcl) pass every URL with `preview=`; the lists and panels take
no `preview` and keep the visibility rules; a preview writes nothing.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from articles.models import Article
from botbeat.cache import PREVIEW_QUERY  # the name the response cache passes
from botbeat.conditional import answer_privately
from botbeat.services import Forbidden, Invalid

PREVIEW_SALT = "botbeat.articles.preview"
# The ArticleViewSet actions that take it: the detail, and the page (one article, its panels
# and its thread), both looking the article up through get_object().
PREVIEW_ACTIONS = frozenset({"retrieve", "page"})

# What the signer writes: URL-safe base64 (with a leading "." when compressed), ":", the
# base62 time, ":", the base64 signature. A long slug makes about 400 characters.
TOKEN_PATTERN = r"[-A-Za-z0-9_.:]+"
TOKEN_MAX_LENGTH = 1000
_TOKEN = re.compile(TOKEN_PATTERN)

PREVIEW_PARAMETER = OpenApiParameter(
    PREVIEW_QUERY,
    {
        "type": "string",
        "minLength": 1,
        "maxLength": TOKEN_MAX_LENGTH,
        "pattern": f"^{TOKEN_PATTERN}$",
    },
    description=(
        "A preview token (`POST /api/v1/articles/{slug}/preview/`): shows the article, draft or "
        "scheduled, to whoever holds it, until the link expires (`PREVIEW_TTL_HOURS`, 24 by "
        "default) or the article changes. The answer is then `private, no-store`, without "
        "`ETag` or `Last-Modified`: no cache keeps it and no 304 answers it. A token that is not "
        "valid for this article is a 403 (`preview_invalid`, `preview_expired`), also on a "
        "published article."
    ),
)

ALREADY_PUBLIC = "This article is public already: its address needs no preview link."
INVALID = "This preview link is not valid: ask an editor for a new one."
OTHER_ARTICLE = "This preview link is for another article."
EXPIRED = "This preview link has expired: ask an editor for a new one."
CHANGED = "The article has changed since this preview link was made: ask an editor for a new one."


@dataclass(frozen=True)
class PreviewLink:
    """What an Editor gets: the token, and when it stops working."""

    token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class PreviewGrant:
    """What a genuine, unexpired token shows: this version of this article."""

    article_id: int
    slug: str
    updated_at: dt.datetime

    def narrow(self, articles: QuerySet) -> QuerySet:
        """`articles` (any visibility) cut down to the version the token was signed for: the
        detail's lookup by slug then finds it, or nothing when it has changed."""
        return articles.filter(pk=self.article_id, slug=self.slug, updated_at=self.updated_at)


class PreviewLinkSerializer(serializers.Serializer):
    url = serializers.URLField(
        help_text="The article's API address with `?preview=<token>`: hand it out as it is."
    )
    token = serializers.CharField(
        help_text="The token alone, for `?preview=` on the detail or the page."
    )
    expires_at = serializers.DateTimeField(
        help_text="When the link stops working, unless the article changes first."
    )


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=PREVIEW_SALT)


def preview_link_issue(*, article: Article) -> PreviewLink:
    """A preview link for `article` as it is now (read it from the database: the token binds
    its stored `updated_at`). Who may ask is the caller's rule (Editors: botbeat.roles).

    Writes nothing. A public article is refused (`already_public`): its link is its address.
    """
    if article.is_public:
        raise Invalid(ALREADY_PUBLIC, code="already_public")
    claims = {"id": article.pk, "slug": article.slug, "at": article.updated_at.isoformat()}
    token = _signer().sign_object(claims, compress=True)
    # The signer's own clock, as it wrote it (the token's second field from the end): the
    # expiry is exactly when unsign(max_age=PREVIEW_TTL) starts refusing it.
    issued = signing.b62_decode(token.rsplit(":", 2)[1])
    expires_at = dt.datetime.fromtimestamp(issued, dt.UTC) + settings.PREVIEW_TTL
    return PreviewLink(token=token, expires_at=expires_at)


def preview_grant_check(token: str, *, slug: str) -> PreviewGrant:
    """What `token` grants at the path of `slug`, decided from the token alone; Forbidden
    (`preview_invalid`, `preview_expired`) when it grants nothing there."""
    if len(token) > TOKEN_MAX_LENGTH or not _TOKEN.fullmatch(token):
        raise Forbidden(INVALID, code="preview_invalid")
    try:
        claims = _signer().unsign_object(token, max_age=settings.PREVIEW_TTL)
    except signing.SignatureExpired:
        raise Forbidden(EXPIRED, code="preview_expired") from None
    except (signing.BadSignature, ValueError):
        raise Forbidden(INVALID, code="preview_invalid") from None
    grant = _grant_of(claims)
    if grant.slug != slug:
        raise Forbidden(OTHER_ARTICLE, code="preview_invalid")
    return grant


def _grant_of(claims) -> PreviewGrant:
    """The claims preview_link_issue signed. Only this module signs with PREVIEW_SALT, so any
    other shape means a change of format: refused like a forgery, never a 500."""
    try:
        grant = PreviewGrant(
            article_id=claims["id"],
            slug=claims["slug"],
            updated_at=dt.datetime.fromisoformat(claims["at"]),
        )
    except (KeyError, TypeError, ValueError):
        raise Forbidden(INVALID, code="preview_invalid") from None
    if not isinstance(grant.article_id, int) or not isinstance(grant.slug, str):
        raise Forbidden(INVALID, code="preview_invalid")
    return grant


def preview_grant_of(request, *, slug: str) -> PreviewGrant | None:
    """The grant of the request's `?preview=` token at the path of `slug`; None without one.
    A request that carries one is answered privately (botbeat.conditional), granted or not."""
    token = request.query_params.get(PREVIEW_QUERY)
    if token is None:
        return None
    answer_privately(request)
    return preview_grant_check(token, slug=slug)


def preview_lapsed(grant: PreviewGrant) -> None:
    """After the granted version was not found: Forbidden (`preview_expired`) when an article
    still has the slug (it changed, or another took the slug), nothing when it is gone (the
    caller's 404)."""
    if Article.objects.filter(slug=grant.slug).exists():
        raise Forbidden(CHANGED, code="preview_expired")


def preview_url(request, *, slug: str, token: str) -> str:
    """The article's API address with the token: what an Editor hands out."""
    path = reverse("article-detail", kwargs={"slug": slug})
    return request.build_absolute_uri(f"{path}?{urlencode({PREVIEW_QUERY: token})}")


def preview_answer_private(response) -> None:
    """A preview's answer (or refusal) kept by no cache, a browser's included: `private,
    no-store`, and no validator that a conditional request could be answered 304 from."""
    response["Cache-Control"] = "private, no-store"
    for header in ("ETag", "Last-Modified"):
        if header in response:
            del response[header]
