"""Rate limits, counted in the cache so that they hold across worker processes, and decided
atomically so that they hold under concurrency too.

Each limit is a sliding log, as DRF's SimpleRateThrottle keeps one: the times of the requests it
accepted in the last window; a request is accepted while fewer than the limit are in it (a
refused request is not logged). DRF reads the log, decides, then writes it back, so parallel
requests all read the same log and all pass (30 posts at once went 11 through against 10 a
minute, and with a slower cache, nearly all). Here the read, the decision and the write are one
step: one Lua script on Redis (`LOG_SCRIPT`, timed by Redis's own clock, so that workers on
hosts whose clocks differ agree), a lock around them on the local memory cache (one process:
development and the tests). A cache that cannot be reached lets requests through, logged, as
the rest of the site does without its cache.

The rates are `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (settings, from the environment), read
at each request: DRF's throttles read them once at import, which a test's settings override
would not reach. Every request a limit counts carries `RateLimit-Policy` and `RateLimit`
(draft-ietf-httpapi-ratelimit-headers: `"comment_post";q=10;w=60` and `"comment_post";r=9;t=60`,
the requests left and the seconds until the oldest one counted leaves the window); a refused one
is a 429 problem with `Retry-After`, that same number of seconds (botbeat.errors).
"""

import ipaddress
import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass

from django.core.cache import caches
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int  # requests in the window, this one included when accepted
    reset: float  # seconds until the oldest of them leaves the window


class LocalLog:
    """The log in Django's cache, for the local memory cache of one process: a lock makes the
    read, the decision and the write one step for the threads of the process."""

    _lock = threading.Lock()

    def __init__(self, cache):
        self.cache = cache

    def record(self, key: str, limit: int, window: int) -> Decision:
        with self._lock:
            now = time.time()
            log = [at for at in self.cache.get(key, []) if at > now - window]
            allowed = len(log) < limit
            if allowed:
                log.append(now)
                self.cache.set(key, log, window)
            reset = (log[0] + window - now) if log else window
            return Decision(allowed, len(log), reset)


# KEYS: the log (a sorted set of request ids scored by their time in ms).
# ARGV: the limit, the window in ms, this request's id.
LOG_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  count = count + 1
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], window)
local reset = window
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
return {allowed, count, reset}
"""


class RedisLog:
    """The log on the shared Redis, read, decided and written by LOG_SCRIPT in one step."""

    def __init__(self, cache):
        from django_redis import get_redis_connection

        self.cache = cache
        self.script = get_redis_connection("default").register_script(LOG_SCRIPT)

    def record(self, key: str, limit: int, window: int) -> Decision:
        allowed, count, reset_ms = self.script(
            keys=[self.cache.make_key(key)], args=[limit, window * 1000, uuid.uuid4().hex]
        )
        return Decision(bool(allowed), int(count), int(reset_ms) / 1000)


_logs: dict[int, LocalLog | RedisLog] = {}


def request_log() -> LocalLog | RedisLog:
    """The log for the default cache as it is now (a test may swap it)."""
    from django_redis.cache import RedisCache

    cache = caches["default"]
    log = _logs.get(id(cache))
    if log is None or log.cache is not cache:
        log = RedisLog(cache) if isinstance(cache, RedisCache) else LocalLog(cache)
        _logs.clear()
        _logs[id(cache)] = log
    return log


def add_rate_limit_headers(view, scope: str, limit: int, window: int, decision: Decision):
    """`RateLimit-Policy` and `RateLimit` on the view's answer (APIView.finalize_response copies
    `view.headers` onto it, an error's included), one list member per limit that applies."""
    headers = getattr(view, "headers", None)
    if headers is None:
        return
    members = {
        "RateLimit-Policy": f'"{scope}";q={limit};w={window}',
        "RateLimit": f'"{scope}";r={max(0, limit - decision.count)};t={math.ceil(decision.reset)}',
    }
    for name, member in members.items():
        headers[name] = f"{headers[name]}, {member}" if name in headers else member


class AtomicRateThrottle(BaseThrottle):
    """A limit per `scope`, counted per whatever get_ident() names (None: not counted)."""

    scope: str

    def get_ident(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        self.wait_seconds = None
        ident = self.get_ident(request, view)
        if ident is None:
            return True
        count, _, period = api_settings.DEFAULT_THROTTLE_RATES[self.scope].partition("/")
        limit, window = int(count), PERIODS[period[0]]
        try:
            decision = request_log().record(f"throttle:{self.scope}:{ident}", limit, window)
        except Exception:  # a cache backend's errors vary; the limit fails open
            logger.warning("throttle %s: the cache cannot be reached", self.scope, exc_info=True)
            return True
        add_rate_limit_headers(view, self.scope, limit, window, decision)
        if not decision.allowed:
            self.wait_seconds = max(1, math.ceil(decision.reset))
        return decision.allowed

    def wait(self) -> float | None:
        return self.wait_seconds


class ClientAddressRateThrottle(AtomicRateThrottle):
    """Per client address (REMOTE_ADDR, or X-Forwarded-For as far as NUM_PROXIES trusts it),
    signed in or not: for the requests that sign people up and in."""

    def get_ident(self, request, view) -> str | None:
        return client_address(request) or "unknown"


class RegisterRateThrottle(ClientAddressRateThrottle):
    scope = "register"


class TokenRateThrottle(ClientAddressRateThrottle):
    scope = "token"


class CommentPostRateThrottle(AtomicRateThrottle):
    """Per signed-in user: new comments and replies. Anonymous posts are refused before (401)."""

    scope = "comment_post"

    def get_ident(self, request, view) -> str | None:
        if not request.user.is_authenticated:
            return None
        return str(request.user.pk)


class CommentEditRateThrottle(CommentPostRateThrottle):
    """Per signed-in user: edits and deletions of comments (each one purges cached answers)."""

    scope = "comment_edit"
