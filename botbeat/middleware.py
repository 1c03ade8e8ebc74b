"""The API's HTTP plumbing: the read limit and its headers, the request body limit and caching
headers."""

from django.conf import settings
from django.middleware.csp import get_nonce
from django.utils.cache import patch_cache_control, patch_vary_headers
from rest_framework.exceptions import Throttled

from botbeat.errors import problem_response
from botbeat.paths import is_everyones
from botbeat.roles import sees_more_than_public
from botbeat.throttles import read_limit


class RateLimitMiddleware:
    """The read limit on every API request, and `RateLimit-Policy` and `RateLimit` on every API
    answer (botbeat.throttles.read_limit); the feeds' and sitemaps' too (botbeat.paths).

    Outside the response cache, which answers its hits before DRF (and DRF's throttles) run:
    a hit, a 304, a 413 and an error are counted and carry the headers like any answer. The
    read limit's members come first, then those of the limit the operation has of its own (a
    comment post's, a sign-in's), which its view added: `"read";q=600;w=60,
    "comment_post";q=10;w=60`. The response cache stores neither header (botbeat.cache keeps a
    list of those it stores), so a hit never carries another client's count.

    Below CorsMiddleware, so that a browser on an allowed origin can read a 429 too; a CORS
    preflight, which the browser sends and reads itself, is answered there, uncounted.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not (request.path.startswith("/api/") or is_everyones(request.path)):
            return self.get_response(request)
        members, wait = read_limit(request)
        response = self.get_response(request) if wait is None else throttled(request, wait)
        for name, member in members.items():
            response[name] = f"{member}, {response[name]}" if name in response else member
        return response


def throttled(request, wait: int):
    """The read limit's refusal: the 429 problem DRF's throttles answer, never stored."""
    return problem_response(
        request,
        429,
        "throttled",
        str(Throttled(wait).detail),
        headers={"Retry-After": str(wait), "Cache-Control": "private, no-store"},
    )


class RequestBodyLimitMiddleware:
    """Refuse an API request body larger than API_MAX_BODY_BYTES (413), before anything reads
    or parses it: the parsers then never hold more than that in memory.

    The check is on `Content-Length`, which the WSGI server bounds the body with: Django reads
    no further than it declares. A body sent without it (`Transfer-Encoding: chunked`) would be
    read as empty, so it is refused with 411 rather than misread.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            refusal = self.refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def refusal(request):
        raw = request.META.get("CONTENT_LENGTH") or ""
        if not raw:
            if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                return problem_response(
                    request, 411, "length_required", "Send the body with a Content-Length."
                )
            return None
        if not (raw.isascii() and raw.isdigit()):
            return problem_response(
                request, 400, "bad_request", "Content-Length is not a byte count."
            )
        if int(raw) > settings.API_MAX_BODY_BYTES:
            return problem_response(
                request,
                413,
                "payload_too_large",
                f"The request body is larger than {settings.API_MAX_BODY_BYTES} bytes.",
            )
        return None


class CacheControlMiddleware:
    """`Cache-Control` for every API answer, and the feeds' and sitemaps' (botbeat.paths), which
    are public for everyone who asks: they show the public's articles whoever asks.

    Successful GETs of the public's answers are the same for every reader, signed in or not
    (API.md), so browsers and a CDN may keep them briefly (and revalidate with the ETag). What
    staff who see more than the public get (drafts, withheld comments) is `private, no-store`,
    and so is what a view marks as personal itself (`/auth/me/`); errors are not kept.

    An answer that may carry this request's CSP nonce or CSRF token (a page such as the docs) is
    `private, no-store` whatever its view said (API.md): a shared cache would hand one nonce and
    one token to every visitor. Its ETag goes too, so that nothing revalidates it. The docs'
    views say so themselves (botbeat/docs.py), which also keeps ConditionalGetMiddleware from
    adding the ETag and answering 304 in the first place.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        everyones = is_everyones(request.path)
        if not (request.path.startswith("/api/") or everyones):
            return response
        if carries_request_secrets(request):
            response["Cache-Control"] = "private, no-store"
            del response["ETag"]
            return response
        if response.has_header("Cache-Control"):
            return response
        public = everyones or not sees_more_than_public(getattr(request, "user", None))
        if request.method in {"GET", "HEAD"} and response.status_code in {200, 304} and public:
            patch_cache_control(
                response,
                public=True,
                max_age=settings.API_CACHE_MAX_AGE,
                s_maxage=settings.API_CACHE_S_MAXAGE,
            )
        else:
            patch_cache_control(response, private=True, no_store=True)
        if not everyones:  # a feed's or a sitemap's answer is the same whoever asks
            patch_vary_headers(response, ("Authorization", "Cookie"))
        return response


def carries_request_secrets(request) -> bool:
    """Whether the answer may show this request's CSP nonce or CSRF token: Django makes each
    only when something asks for it (a template, `get_token()`), and says so."""
    return bool(get_nonce(request)) or bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))
