"""Rate limits, counted in the cache so that they hold across worker processes.

The rates are `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (settings, from the environment), read
at each request: DRF's throttles read them once at import, which a test's settings override
would not reach. A refused request is a 429 problem with `Retry-After` (botbeat.errors).
"""

import ipaddress

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def client_address(request) -> str | None:
    """The client's address, for the throttles and the sign-in lockout alike: REMOTE_ADDR, or,
    behind NUM_PROXIES reverse proxies, the address the outermost of them saw (DRF's rule: the
    NUM_PROXIES-th entry of X-Forwarded-For from the right; what a client wrote to the left of
    it is ignored). A forwarded value that is no IP address (a proxy that does not append, a
    request that went around it) counts as the peer, which cannot be forged."""
    for candidate in (BaseThrottle().get_ident(request), request.META.get("REMOTE_ADDR")):
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if not getattr(address, "scope_id", None):  # fe80::1%eth0 names no client
            return str(address)
    return None


class SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class ClientAddressRateThrottle(SettingsRateThrottle):
    """Per client address (REMOTE_ADDR, or X-Forwarded-For as far as NUM_PROXIES trusts it),
    signed in or not: for the requests that sign people up and in."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


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
