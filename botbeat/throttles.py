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

Besides the writes' limits, a read limit counts every API request per client address, as a
fixed window rather than a log (READ_SCOPE, below, says why).

The rates are `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (settings, from the environment), read
at each request: DRF's throttles read them once at import, which a test's settings override
would not reach. Every request a limit counts carries `RateLimit-Policy` and `RateLimit`
(draft-ietf-httpapi-ratelimit-headers: `"comment_post";q=10;w=60` and `"comment_post";r=9;t=60`,
the requests left and the seconds until the oldest one counted leaves the window); a refused one
is a 429 problem with `Retry-After`, that same number of seconds (botbeat.errors). Every API
answer carries the read limit's, first: `"read";q=600;w=60, "comment_post";q=10;w=60`.
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


# The read limit: every API request, per client address, counted by RateLimitMiddleware
# (botbeat/middleware.py) before anything else may answer it: the response cache's hits, 304s,
# errors and writes count too. Per address rather than per user: the address is known before
# anything runs (telling who a token or session names costs a query, which a hit must not
# make), and it cannot be forged (NUM_PROXIES), whereas a bucket per credential would let a
# client mint buckets with made-up tokens. Readers behind one address (an office, a carrier's
# NAT) share it: hence a generous default (settings.py).
#
# Not a log like the writes' limits: a log keeps an entry per request for a whole window (600
# per busy address at 600/minute), a fixed window one counter per address, from its first
# request for `window` seconds, which is what RateLimit's `t` says (seconds until the quota
# resets). The price: a client may spend one window's quota at its end and the next one's at
# its start. Refused requests count (the window still ends when it ends).
READ_SCOPE = "read"


class LocalWindow:
    """A fixed window's counter in Django's cache, for one process (a lock, as LocalLog)."""

    _lock = threading.Lock()

    def __init__(self, cache):
        self.cache = cache

    def count(self, key: str, window: int) -> tuple[int, float]:
        """Count one request: the requests in the window, this one included, and the seconds
        until the window ends."""
        with self._lock:
            now = time.time()
            count, ends = self.cache.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + window
            count += 1
            self.cache.set(key, (count, ends), math.ceil(ends - now))
            return count, ends - now


# KEYS: the counter. ARGV: the window in ms. Returns the count, this request included, and the
# ms left in the window (which starts at the counter's first request: INCR creates it).
WINDOW_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RedisWindow:
    """The counter on the shared Redis: WINDOW_SCRIPT, one round trip (EVALSHA)."""

    def __init__(self, cache):
        from django_redis import get_redis_connection

        self.cache = cache
        self.script = get_redis_connection("default").register_script(WINDOW_SCRIPT)

    def count(self, key: str, window: int) -> tuple[int, float]:
        count, left_ms = self.script(keys=[self.cache.make_key(key)], args=[window * 1000])
        return int(count), int(left_ms) / 1000


_windows: dict[int, LocalWindow | RedisWindow] = {}


def request_window() -> LocalWindow | RedisWindow:
    """The read limit's counter for the default cache as it is now (a test may swap it)."""
    from django_redis.cache import RedisCache

    cache = caches["default"]
    counter = _windows.get(id(cache))
    if counter is None or counter.cache is not cache:
        counter = RedisWindow(cache) if isinstance(cache, RedisCache) else LocalWindow(cache)
        _windows.clear()
        _windows[id(cache)] = counter
    return counter


def read_limit(request) -> tuple[dict[str, str], int | None]:
    """Count this API request against the read limit: its members of the two headers, and the
    seconds to wait when it is refused (None: it goes through). A cache that cannot be reached
    lets it through, logged, with the policy but no `RateLimit`: what is left is unknown.

    A request without a client address (a Unix socket and no proxy to name the client) is not
    counted either: unlike the sign-ins' tiny limits, one bucket for all of them would be the
    read limit of the whole site.
    """
    limit, window = rate(READ_SCOPE)
    ident = client_address(request)
    if ident is None:
        return rate_limit_members(READ_SCOPE, limit, window, None), None
    try:
        count, reset = request_window().count(f"throttle:{READ_SCOPE}:{ident}", window)
    except Exception:  # a cache backend's errors vary; the limit fails open
        logger.warning("throttle read: the cache cannot be reached", exc_info=True)
        return rate_limit_members(READ_SCOPE, limit, window, None), None
    decision = Decision(allowed=count <= limit, count=count, reset=reset)
    members = rate_limit_members(READ_SCOPE, limit, window, decision)
    return members, None if decision.allowed else max(1, math.ceil(reset))


def rate(scope: str) -> tuple[int, int]:
    """The scope's limit and window in seconds, from its rate (`10/minute`: 10, 60)."""
    count, _, period = api_settings.DEFAULT_THROTTLE_RATES[scope].partition("/")
    return int(count), PERIODS[period[0]]


def rate_limit_members(
    scope: str, limit: int, window: int, decision: Decision | None
) -> dict[str, str]:
    """This limit's member of `RateLimit-Policy` and of `RateLimit` (none when it could not be
    counted: the policy holds, what is left of it is unknown)."""
    members = {"RateLimit-Policy": f'"{scope}";q={limit};w={window}'}
    if decision is not None:
        left = max(0, limit - decision.count)
        members["RateLimit"] = f'"{scope}";r={left};t={math.ceil(decision.reset)}'
    return members


def add_rate_limit_headers(view, scope: str, limit: int, window: int, decision: Decision):
    """`RateLimit-Policy` and `RateLimit` on the view's answer (APIView.finalize_response copies
    `view.headers` onto it, an error's included), one list member per limit that applies.
    RateLimitMiddleware puts the read limit's in front of them."""
    headers = getattr(view, "headers", None)
    if headers is None:
        return
    for name, member in rate_limit_members(scope, limit, window, decision).items():
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
        limit, window = rate(self.scope)
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


class CommentLikeRateThrottle(CommentPostRateThrottle):
    """Per signed-in user: likes and unlikes (each one purges the thread's cached answers)."""

    scope = "comment_like"


class CommentFlagRateThrottle(CommentPostRateThrottle):
    """Per signed-in user: flags (each one may withhold a comment)."""

    scope = "comment_flag"
