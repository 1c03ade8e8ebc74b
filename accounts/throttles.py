"""Rate limits, counted in the cache so that they hold across worker processes.

The rates are `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (settings, from the environment), read
at each request: DRF's throttles read them once at import, which a test's settings override
would not reach. A refused request is a 429 problem with `Retry-After` (botbeat.errors).
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class ClientAddressRateThrottle(SettingsRateThrottle):
    """Per client address (REMOTE_ADDR, or X-Forwarded-For as far as NUM_PROXIES trusts it),
    signed in or not: for the requests that sign people up and in."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RegisterRateThrottle(ClientAddressRateThrottle):
    scope = "register"


class TokenRateThrottle(ClientAddressRateThrottle):
    scope = "token"


class CommentPostRateThrottle(SettingsRateThrottle):
    """Per signed-in user: new comments and replies. Anonymous posts are refused before (401)."""

    scope = "comment_post"

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class CommentEditRateThrottle(CommentPostRateThrottle):
    """Per signed-in user: edits and deletions of comments (each one purges cached answers)."""

    scope = "comment_edit"
