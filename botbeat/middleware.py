"""HTTP caching headers for the API."""

from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers


class CacheControlMiddleware:
    """`Cache-Control` for every API answer.

    Anonymous, successful GETs are the same for every reader, so browsers and a CDN may keep
    them briefly (and revalidate with the ETag). Anything a signed-in user sees may hold what is
    theirs alone (a staff member sees drafts), so it is `private, no-store`; errors are not kept.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        anonymous = user is None or not user.is_authenticated
        if request.method in {"GET", "HEAD"} and response.status_code in {200, 304} and anonymous:
            patch_cache_control(
                response,
                public=True,
                max_age=settings.API_CACHE_MAX_AGE,
                s_maxage=settings.API_CACHE_S_MAXAGE,
            )
        else:
            patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ("Authorization", "Cookie"))
        return response
