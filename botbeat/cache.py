"""A server-side cache of anonymous API answers, invalidated exactly.

Every public answer depends on one thing that changes: the site's content. So the cache keys
every stored answer by a *content version*, one shared counter in the cache, and any write that
can change what the public sees bumps it (`bump_content_version`, after the transaction
commits, from the signals in botbeat/signals.py). The next request after a write misses and
recomputes; nothing stale is ever served, and nothing needs to know which pages a write touched.

Time changes content too: a scheduled article becomes public when its `published_at` passes. The
version therefore carries the earliest future `published_at`; a request that comes after it
bumps the version.

A hit skips the whole stack below this middleware (sessions, DRF, the database) and answers
`If-None-Match` with the stored ETag, without rendering anything. It costs one cache round
trip: an entry is stored under its URL with the version it was computed at, and one MGET reads
the version and the entry together; an entry of another version is a miss. An entry is stored
with the version read *before* computing it, so a write that lands meanwhile makes it stale at
once.

Only anonymous requests are cached (no `Authorization` header and no session cookie): staff see
drafts and users see their own state. The cache must be shared by every worker process, or one
worker's write would not reach another's cache, so the response cache is on only with Redis
(`REDIS_URL`) unless `RESPONSE_CACHE` says otherwise. When the cache is unreachable the
middleware steps aside and every request is computed.
"""

import hashlib
import logging
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.http import parse_etags

logger = logging.getLogger(__name__)

VERSION_KEY = "content:version"
NEXT_PUBLISH_KEY = "content:next-publish"  # epoch seconds of the earliest scheduled article
# An entry of an old version is replaced by the next request for its URL, or expires.
ENTRY_TIMEOUT = 600
STORED_HEADERS = ("Content-Type", "ETag", "Cache-Control", "Vary", "X-Frame-Options")


# The keys of what the answer being computed shows (None: nobody is collecting them).
_answer_keys: ContextVar[set[str] | None] = ContextVar("answer_keys", default=None)

# Lists whose membership any publication, unpublication or article edit may change: the feed
# and its filters, both panels, the tag and company lists and their counts.
FEED_KEY = "feed"


def article_key(pk: int) -> str:
    return f"article-{pk}"


def company_key(pk: int) -> str:
    return f"company-{pk}"


def tag_key(pk: int) -> str:
    return f"tag-{pk}"


def tag_answer(*keys: str) -> None:
    """Record that the answer being computed shows these keys: a write that purges one of them
    purges the answer, in the response cache and at the edge (`Surrogate-Key`)."""
    collected = _answer_keys.get()
    if collected is not None:
        collected.update(keys)


def _next_publish_epoch() -> float:
    from articles.models import Article, Status

    upcoming = (
        Article.objects.filter(status=Status.PUBLISHED, published_at__gt=timezone.now())
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return upcoming.timestamp() if upcoming else float("inf")


def _new_version() -> int | None:
    """Bump the counter and record the next scheduled publication; None if the cache is down."""
    try:
        try:
            version = cache.incr(VERSION_KEY)
        except ValueError:  # no counter yet (first use, or evicted)
            version = int(timezone.now().timestamp() * 1000)
            if not cache.add(VERSION_KEY, version, timeout=None):
                version = cache.incr(VERSION_KEY)  # another process created it meanwhile
        if version is None:  # django-redis ignoring a connection error: the cache is down
            return None
        cache.set(NEXT_PUBLISH_KEY, _next_publish_epoch(), timeout=None)
        return version
    except Exception:  # a cache backend's errors vary; degrade to no caching
        logger.warning("response cache: cannot bump the content version", exc_info=True)
        return None


def bump_content_version() -> None:
    """Invalidate every cached answer, once the current transaction (if any) commits."""
    transaction.on_commit(_new_version)


def current_version(values: dict) -> int | None:
    """The content version, from a get_many() of VERSION_KEY and NEXT_PUBLISH_KEY (and more)."""
    version = values.get(VERSION_KEY)
    next_publish = values.get(NEXT_PUBLISH_KEY)
    if version is None or next_publish is None:
        return _new_version()
    if timezone.now().timestamp() >= next_publish:
        return _new_version()  # a scheduled article has just become public
    return version


def is_anonymous(request) -> bool:
    return (
        "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def etag_matches(etag: str | None, if_none_match: str | None) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2), as Django's ConditionalGet does it."""
    if not etag or not if_none_match:
        return False
    etags = parse_etags(if_none_match)
    if etags == ["*"]:
        return True
    strip = lambda tag: tag.removeprefix("W/")  # noqa: E731
    return strip(etag) in {strip(tag) for tag in etags}


class ResponseCacheMiddleware:
    """Serve anonymous GETs under /api/v1/ from the cache; store the 200s computed below."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not (
            settings.RESPONSE_CACHE
            and request.method == "GET"
            and request.path.startswith("/api/v1/")
            and is_anonymous(request)
        ):
            return self.get_response(request)
        # The host is part of the answer (absolute `next` links) and must be an allowed one;
        # get_host() raises DisallowedHost (400) otherwise, as CommonMiddleware would.
        url = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
        key = "response:" + hashlib.sha256(url.encode()).hexdigest()
        try:
            values = cache.get_many([VERSION_KEY, NEXT_PUBLISH_KEY, key])
            version = current_version(values)
        except Exception:
            logger.warning("response cache: unavailable", exc_info=True)
            version = None
        if version is None:
            return self.get_response(request)
        entry = values.get(key)
        if entry is not None and entry[0] == version:
            return self.replay(request, entry)
        response = self.get_response(request)
        if response.status_code == 200 and not response.streaming and response.has_header("ETag"):
            headers = {name: response[name] for name in STORED_HEADERS if response.has_header(name)}
            try:
                cache.set(key, (version, response.content, headers), timeout=ENTRY_TIMEOUT)
            except Exception:
                logger.warning("response cache: cannot store", exc_info=True)
        return response

    @staticmethod
    def replay(request, entry) -> HttpResponse:
        _version, content, headers = entry
        if etag_matches(headers.get("ETag"), request.META.get("HTTP_IF_NONE_MATCH")):
            response = HttpResponseNotModified()
            for name in ("ETag", "Cache-Control", "Vary"):
                if name in headers:
                    response[name] = headers[name]
            return response
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
        return response
