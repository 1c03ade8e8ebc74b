"""A server-side cache of public API answers, purged by exactly what each answer shows.

Every answer records, while it is computed, the *keys* of what it shows (`tag_answer`): an
article's `article-<id>` (its fields, its tags' names, its comment count, its comments), its
company's `company-<id>`, its tags' `tag-<id>`, and `feed` for the lists whose membership or
counts any publication can change (the feed and its filters, both panels, the tag and company
lists). A write purges the keys it touched once its transaction commits (botbeat/signals.py and
the services, through botbeat.purge): the answers that show one of them are deleted, in this
cache and at the edge (the same keys go out in `Surrogate-Key` and `Cache-Tag`), and every other
answer stays cached. A comment on one article leaves every answer that does not show that
article where it was.

A hit skips the whole stack below this middleware (sessions, DRF, the database) and answers
`If-None-Match` with the stored ETag, without rendering anything, in one cache round trip (a
get_many of the entry and the few counters below).

Never stale, even under races: an answer is stored only if none of its keys was purged since
its computation began. A purge increments a sequence number and marks each key with it; an
answer computed from an older sequence number whose keys carry a newer mark is not stored. With
Redis, the check and the store (and the purge) are each one Lua script, atomic.

Time changes content too: a scheduled article becomes public when its `published_at` passes.
The cache knows the earliest future `published_at`; the first request after it drops every entry
at once (a new *generation*), and no answer tells a shared cache to keep it past that moment.
An answer that time alone changes otherwise says when (`response.changes_at`, epoch seconds: the
news sitemap, whose articles leave it two days after their publication): it is not replayed
after that moment, nor kept past it by any cache its Cache-Control reaches.

The feeds and the sitemaps (botbeat.paths) are cached too, for everyone who asks: nobody sees
more than the public there.

Who is served from the cache: the public, and every signed-in reader who sees what the public
sees (API.md: a reader's own state never makes a public answer private). Only staff who see more
(drafts, withheld comments) are computed. A request with credentials is classified once by a
cheap check (one indexed query for a token or a session) and the class is remembered under a
hash of its credentials, so a bogus `Cookie: sessionid=x` or `Authorization: Basic ...` is served
from the cache like the public, and costs one cheap check the first time. A change of roles bumps
the classes' generation.

The cache must be shared by every worker process, or one worker's purge would not reach another's
cache, so the response cache is on only with Redis (`REDIS_URL`) unless `RESPONSE_CACHE` says
otherwise (the tests use one process and the local memory cache). When the cache is unreachable
the middleware steps aside and every request is computed.
"""

import hashlib
import logging
import pickle
import re
import threading
import time
from collections.abc import Collection
from contextvars import ContextVar
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.http import http_date, parse_etags, parse_http_date_safe

from articles.models import Article
from botbeat import conditional
from botbeat.paths import answer_parameters, is_everyones
from botbeat.roles import sees_more_than_public

logger = logging.getLogger(__name__)

GENERATION_KEY = "content:generation"  # bumped to drop every entry at once
NEXT_PUBLISH_KEY = "content:next-publish"  # epoch seconds of the earliest scheduled article
PURGE_SEQUENCE_KEY = "content:purge-sequence"
AUTH_GENERATION_KEY = "auth:generation"  # bumped when anyone's roles change
# An entry lives this long unless purged; a key's purge mark must outlive any computation in
# flight (the statement timeout bounds a request to seconds).
ENTRY_TIMEOUT = 600
PURGE_MARK_TIMEOUT = 3600
AUTH_CLASS_TIMEOUT = 300
# What a hit replays. Never `RateLimit-Policy` or `RateLimit`: they are each request's own,
# added outside this middleware to hits and misses alike (botbeat.middleware.RateLimitMiddleware).
STORED_HEADERS = (
    "Content-Type",
    "ETag",
    "Cache-Control",
    "Vary",
    "X-Frame-Options",
    "Surrogate-Key",
    "Cache-Tag",
    "X-Robots-Tag",  # the sitemaps' (Django's sitemap views)
)

# The keys of what the answer being computed shows (None: nobody is collecting them).
_answer_keys: ContextVar[set[str] | None] = ContextVar("answer_keys", default=None)

# Lists whose membership any publication, unpublication or article edit may change: the feed
# and its filters, both panels, the tag and company lists and their counts.
FEED_KEY = "feed"
# On every cached answer, so that the edge can drop everything at once.
ALL_KEY = "botbeat"
# The query parameter of a preview link's token (articles/previews.py): an answer for its
# holder alone, which this cache passes.
PREVIEW_QUERY = "preview"


def article_key(pk: int) -> str:
    return f"article-{pk}"


def thread_key(article_id: int) -> str:
    """The answers that show an article's comments one by one (its thread, each comment's own
    GET, its page) carry this besides `article-<id>`: a like changes those alone."""
    return f"comments-{article_id}"


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
    upcoming = (
        Article.objects.scheduled()
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return upcoming.timestamp() if upcoming else float("inf")


class CacheStore:
    """The entries, the keys' member sets and the counters, through Django's cache API.

    For one process (development, the tests): a lock makes a store and a purge atomic. Every
    worker needs the same Redis, where RedisStore below does the same in Lua.
    """

    _lock = threading.Lock()

    def read(self, names: list[str]) -> list:
        values = cache.get_many(names)
        return [values.get(name) for name in names]

    def set(self, name: str, value, timeout: int | None) -> None:
        cache.set(name, value, timeout=timeout)

    def new_generation(self) -> int | None:
        return self.increment(GENERATION_KEY)

    def increment(self, name: str) -> int | None:
        """Add one to a counter; a missing one (first use, or evicted) starts from the clock in
        microseconds, above any value it had before, so that no old entry or mark comes back."""
        try:
            return cache.incr(name)
        except ValueError:
            if cache.add(name, int(time.time() * 1_000_000), timeout=None):
                return cache.get(name)
            return cache.incr(name)  # another process created it meanwhile

    def store(self, name: str, entry: tuple, keys: Collection[str], sequence: int) -> bool:
        with self._lock:
            marks = cache.get_many([f"purged:{key}" for key in keys])
            if any(mark > sequence for mark in marks.values()):
                return False
            cache.set(name, entry, timeout=ENTRY_TIMEOUT)
            for key in keys:
                members = cache.get(f"members:{key}") or set()
                members.add(name)
                cache.set(f"members:{key}", members, timeout=ENTRY_TIMEOUT)
            return True

    def store_many(
        self, entries: list[tuple[str, tuple, Collection[str]]], sequence: int
    ) -> list[bool]:
        """store() of each (name, entry, keys): whether it was stored."""
        return [self.store(name, entry, keys, sequence) for name, entry, keys in entries]

    def purge(self, keys: Collection[str]) -> None:
        with self._lock:
            sequence = self.increment(PURGE_SEQUENCE_KEY)
            cache.set_many({f"purged:{key}": sequence for key in keys}, timeout=PURGE_MARK_TIMEOUT)
            for key in keys:
                members = cache.get(f"members:{key}") or set()
                cache.delete_many([*members, f"members:{key}"])


# KEYS: the entry, then each key's member set, then each key's purge mark.
# ARGV: the number of keys, the sequence number read before computing, the entry, its timeout.
STORE_SCRIPT = """
local n = tonumber(ARGV[1])
local sequence = tonumber(ARGV[2])
for i = 1, n do
  local mark = redis.call('GET', KEYS[1 + n + i])
  if mark and tonumber(mark) > sequence then return 0 end
end
redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
for i = 1, n do
  redis.call('SADD', KEYS[1 + i], KEYS[1])
  redis.call('EXPIRE', KEYS[1 + i], ARGV[4])
end
return 1
"""
# KEYS: the sequence counter, then each key's member set, then each key's purge mark.
# ARGV: the marks' timeout.
PURGE_SCRIPT = """
local sequence = redis.call('INCR', KEYS[1])
local n = (#KEYS - 1) / 2
for i = 1, n do
  redis.call('SET', KEYS[1 + n + i], sequence, 'EX', ARGV[1])
  local entries = redis.call('SMEMBERS', KEYS[1 + i])
  for j = 1, #entries, 1000 do
    redis.call('DEL', unpack(entries, j, math.min(j + 999, #entries)))
  end
  redis.call('DEL', KEYS[1 + i])
end
return sequence
"""


class RedisStore(CacheStore):
    """The same on the shared Redis: raw keys, the counters as plain integers (INCR), the
    rest pickled, and the store and the purge as Lua scripts."""

    PREFIX = "botbeat:response-cache:"
    COUNTERS = frozenset({GENERATION_KEY, PURGE_SEQUENCE_KEY})

    def __init__(self):
        from django_redis import get_redis_connection

        self.redis = get_redis_connection("default")
        self.store_script = self.redis.register_script(STORE_SCRIPT)
        self.purge_script = self.redis.register_script(PURGE_SCRIPT)

    def read(self, names: list[str]) -> list:
        raw = self.redis.mget([self.PREFIX + name for name in names])
        return [
            None if value is None else int(value) if name in self.COUNTERS else pickle.loads(value)
            for name, value in zip(names, raw, strict=True)
        ]

    def set(self, name: str, value, timeout: int | None) -> None:
        self.redis.set(self.PREFIX + name, pickle.dumps(value), ex=timeout)

    def increment(self, name: str) -> int | None:
        self.redis.set(self.PREFIX + name, int(time.time() * 1_000_000), nx=True)
        return self.redis.incr(self.PREFIX + name)

    def store(self, name: str, entry: tuple, keys: Collection[str], sequence: int) -> bool:
        return self.store_many([(name, entry, keys)], sequence)[0]

    def store_many(
        self, entries: list[tuple[str, tuple, Collection[str]]], sequence: int
    ) -> list[bool]:
        """store() of each, in one round trip (a pipeline of the script's calls)."""
        pipeline = self.redis.pipeline(transaction=False)
        for name, entry, keys in entries:
            keys = list(keys)
            self.store_script(
                keys=[
                    self.PREFIX + name,
                    *[f"{self.PREFIX}members:{key}" for key in keys],
                    *[f"{self.PREFIX}purged:{key}" for key in keys],
                ],
                args=[len(keys), sequence, pickle.dumps(entry), ENTRY_TIMEOUT],
                client=pipeline,
            )
        return [bool(stored) for stored in pipeline.execute()]

    def purge(self, keys: Collection[str]) -> None:
        keys = list(keys)
        self.increment(PURGE_SEQUENCE_KEY)  # creates the counter from the clock when missing
        members = [f"{self.PREFIX}members:{key}" for key in keys]
        marks = [f"{self.PREFIX}purged:{key}" for key in keys]
        self.purge_script(
            keys=[f"{self.PREFIX}{PURGE_SEQUENCE_KEY}", *members, *marks],
            args=[PURGE_MARK_TIMEOUT],
        )


_redis_store: RedisStore | None = None


def store() -> CacheStore:
    """The store of the default cache: Redis's scripts when it is django-redis."""
    global _redis_store
    try:
        from django_redis.cache import RedisCache
    except ImportError:  # pragma: no cover - django-redis is a dependency
        return CacheStore()
    if isinstance(caches["default"], RedisCache):
        if _redis_store is None:
            _redis_store = RedisStore()
        return _redis_store
    return CacheStore()


def purge_keys(keys: Collection[str]) -> None:
    """Delete every stored answer that shows one of `keys` (botbeat.purge calls this)."""
    if not keys:
        return
    try:
        store().purge(keys)
    except Exception:  # a cache backend's errors vary; the entries expire by themselves
        logger.warning("response cache: cannot purge %s", sorted(keys), exc_info=True)


def new_generation() -> tuple[int | None, float]:
    """Drop every stored answer and record the next scheduled publication; the new generation
    (None if the cache is down) and that publication's time (epoch seconds, or infinity)."""
    try:
        store_ = store()
        generation = store_.new_generation()
        if generation is None:  # django-redis ignoring a connection error: the cache is down
            return None, float("inf")
        next_publish = _next_publish_epoch()
        store_.set(NEXT_PUBLISH_KEY, next_publish, timeout=None)
        return generation, next_publish
    except Exception:  # a cache backend's errors vary; degrade to no caching
        logger.warning("response cache: cannot start a new generation", exc_info=True)
        return None, float("inf")


def read_current(store_: CacheStore, names: list[str]) -> tuple[int | None, float, int, list]:
    """The generation, the next scheduled publication, the purge sequence and the values of
    `names`, in one round trip; a new generation (and no value of `names` with it) when the
    store has none or a scheduled article has gone live since it began."""
    generation, next_publish, sequence, *values = store_.read(
        [GENERATION_KEY, NEXT_PUBLISH_KEY, PURGE_SEQUENCE_KEY, *names]
    )
    if (
        generation is None
        or next_publish is None
        or timezone.now().timestamp() >= next_publish  # a scheduled article went live
    ):
        (generation, next_publish), values = new_generation(), [None] * len(names)
    return generation, next_publish, sequence or 0, values


class Fragments:
    """Parts of answers kept as whole answers are: each under the keys of what it shows, so
    that the purge of any of them drops it, in the same generation, and not past the next
    scheduled publication (ResponseCacheMiddleware's rules). For an answer made of many
    resources that are each cheap to keep and dear to compute again (the change feed's `data`,
    changes.data), which the whole answer's entry cannot serve: its key is purged by every
    write.

    `Fragments(names).found` holds each name's value, or None: read in one round trip, with
    the purge sequence before anything is computed, so that a value computed from a state that
    a purge has since left behind is not kept (CacheStore.store). `keep()` stores the values
    computed. With the response cache off, or the cache down, nothing is found or kept."""

    def __init__(self, names: list[str]):
        self.found: list = [None] * len(names)
        self.generation = self.sequence = None
        if not settings.RESPONSE_CACHE or not names:
            return
        try:
            self.store = store()
            generation, _, sequence, entries = read_current(self.store, names)
        except Exception:
            logger.warning("response cache: unavailable", exc_info=True)
            return
        if generation is None:
            return
        self.generation, self.sequence = generation, sequence
        self.found = [
            entry[1] if entry is not None and entry[0] == generation else None for entry in entries
        ]

    def keep(self, values: list[tuple[str, object, Collection[str]]]) -> None:
        """Store each (name, value, keys): `value` shows what `keys` name."""
        if self.generation is None or not values:
            return
        try:
            self.store.store_many(
                [(name, (self.generation, value), keys) for name, value, keys in values],
                self.sequence,  # type: ignore[arg-type]
            )
        except Exception:
            logger.warning("response cache: cannot store fragments", exc_info=True)


def until_change(until_publish: float, changes_at: float | None, now: float) -> float:
    """Seconds until the answer may change by time alone: when a scheduled article goes live,
    or sooner when the answer says so itself (`response.changes_at`, epoch seconds: the news
    sitemap's window, articles/sitemaps.py)."""
    return until_publish if changes_at is None else min(until_publish, changes_at - now)


MAX_AGE = re.compile(r"\b(max-age|s-maxage)=(\d+)")


def bounded_cache_control(value: str, seconds: float) -> str:
    """`value` with no max-age or s-maxage past `seconds` from now: no cache, here or at the
    edge, keeps an answer past the moment a scheduled article goes live."""
    if seconds == float("inf"):
        return value
    bound = max(0, int(seconds))
    return MAX_AGE.sub(lambda m: f"{m[1]}={min(int(m[2]), bound)}", value)


def bump_auth_generation() -> None:
    """Forget how every credential was classified: someone's roles changed."""
    try:
        store_ = store()
        generation = int(timezone.now().timestamp() * 1_000_000)
        store_.set(AUTH_GENERATION_KEY, generation, timeout=None)
    except Exception:
        logger.warning("response cache: cannot reset the credentials' classes", exc_info=True)


def is_anonymous(request) -> bool:
    return (
        "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def credentials_user(request):
    """The user the request's credentials name, by the cheap check the API's own
    authentication makes (a token: one indexed query; a session: its row and its user), or None
    when they name nobody valid."""
    from django.contrib.auth import get_user
    from django.utils.module_loading import import_string
    from rest_framework.exceptions import AuthenticationFailed

    from accounts.authentication import BearerTokenAuthentication

    if "HTTP_AUTHORIZATION" in request.META:
        try:
            found = BearerTokenAuthentication().authenticate(request)
        except AuthenticationFailed:
            found = None
        if found is not None:
            return found[0]
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session_key:
        engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
        session_request = HttpRequest()  # all that get_user() reads of it is the session
        session_request.session = engine(session_key)
        user = get_user(session_request)
        if user.is_authenticated:
            return user
    return None


def credentials_name(request) -> str:
    credentials = "\0".join(
        (
            request.META.get("HTTP_AUTHORIZATION", ""),
            request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""),
        )
    )
    return "auth:" + hashlib.sha256(credentials.encode("utf-8", "surrogateescape")).hexdigest()


def normalized_url(request, kept: frozenset[str] | None = None) -> str:
    """The request's URL with its query parameters in one order: equivalent URLs, one entry.
    With `kept`, only those parameters: the others do not change the answer (botbeat.paths).

    The host is part of the answer (absolute `next` links) and must be an allowed one;
    get_host() raises DisallowedHost (400) otherwise, as CommonMiddleware would.
    """
    pairs = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    if kept is not None:
        pairs = [pair for pair in pairs if pair[0] in kept]
    query = urlencode(sorted(pairs))
    return f"{request.scheme}://{request.get_host()}{request.path}" + (f"?{query}" if query else "")


def accepts_json(request) -> bool:
    """Whether the answer's JSON is acceptable (else the API answers 406, computed)."""
    accept = request.META.get("HTTP_ACCEPT", "")
    if not accept.strip():
        return True
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() not in {"*/*", "application/*", "application/json"}:
            continue
        quality = next((p[2:] for p in params if p.replace(" ", "").startswith("q=")), "1")
        try:
            if float(quality) > 0:
                return True
        except ValueError:
            continue
    return False


def etag_matches(etag: str | None, if_none_match: str | None) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2), as Django's ConditionalGet does it."""
    if not etag or not if_none_match:
        return False
    etags = parse_etags(if_none_match)
    if etags == ["*"]:
        return True
    strip = lambda tag: tag.removeprefix("W/")  # noqa: E731
    return strip(etag) in {strip(tag) for tag in etags}


def not_modified_since(modified: int | None, request) -> bool:
    """If-Modified-Since's test (RFC 9110 13.1.3), for a request without If-None-Match: the
    answer dated `modified` (epoch seconds) is no later than the client's date."""
    since = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE") or "")
    return modified is not None and since is not None and modified <= since


def surrogate_headers(keys: Collection[str]) -> dict[str, str]:
    ordered = sorted(keys)
    return {"Surrogate-Key": " ".join(ordered), "Cache-Tag": ",".join(ordered)}


class ResponseCacheMiddleware:
    """Serve public GETs under /api/v1/ from the cache; store the public 200s computed below,
    each under the keys of what it shows, which it also names in `Surrogate-Key`.

    The feeds and the sitemaps too (botbeat.paths): their answers are the same for everyone,
    so no credentials are classified, their media types are their own (no JSON to accept), and
    an entry is named by the query parameters the answer depends on alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not (
            request.method == "GET"
            and (request.path.startswith("/api/v1/") or is_everyones(request.path))
        ):
            return self.get_response(request)
        if PREVIEW_QUERY in request.GET:
            # A preview link's answer is for its holder alone (articles/previews.py): never
            # served from here, never stored, whatever the view answers.
            return self.get_response(request)
        keys: set[str] = set()
        token = _answer_keys.set(keys)
        try:
            if settings.RESPONSE_CACHE:
                return self.cached_or_computed(request, keys)
            return self.computed(request, keys)
        finally:
            _answer_keys.reset(token)

    def computed(self, request, keys: set[str]):
        """The answer from the views, with its keys named if it is public."""
        response = self.get_response(request)
        if (
            response.status_code in {200, 304}
            and not response.streaming
            and "public" in response.get("Cache-Control", "")
        ):
            keys.add(ALL_KEY)
            for header, value in surrogate_headers(keys).items():
                response[header] = value
        return response

    def cached_or_computed(self, request, keys: set[str]):
        everyones = is_everyones(request.path)
        url = normalized_url(request, answer_parameters(request.path) if everyones else None)
        name = "response:" + hashlib.sha256(url.encode()).hexdigest()
        credentials = None if everyones or is_anonymous(request) else credentials_name(request)
        try:
            store_ = store()
            generation, next_publish, sequence, values = read_current(
                store_, [AUTH_GENERATION_KEY, name, *([credentials] if credentials else [])]
            )
            auth_generation, entry, *known = values
        except Exception:
            logger.warning("response cache: unavailable", exc_info=True)
            generation = None
        if generation is None:
            return self.computed(request, keys)

        if credentials is not None and not self.public_credentials(
            request, store_, credentials, auth_generation, known[0]
        ):
            return self.get_response(request)  # staff who see more than the public

        if not everyones and not accepts_json(request):
            return self.get_response(request)  # the views' 406
        now = timezone.now().timestamp()
        until_publish = next_publish - now
        if entry is not None and entry[0] == generation:
            changes_at = entry[4] if len(entry) > 4 else None  # entries stored before: 3 or 4
            if changes_at is None or now < changes_at:
                return self.replay(request, entry, until_change(until_publish, changes_at, now))
        response = self.computed(request, keys)
        changes_at = getattr(response, "changes_at", None)
        if "Cache-Control" in response:
            response["Cache-Control"] = bounded_cache_control(
                response["Cache-Control"], until_change(until_publish, changes_at, now)
            )
        if response.status_code == 200 and "Surrogate-Key" in response:
            headers = {header: response[header] for header in STORED_HEADERS if header in response}
            # When its content was first seen (botbeat.conditional): replays date it from that.
            since = getattr(response, "modified_since", None)
            entry = (generation, response.content, headers, since, changes_at)
            try:
                store_.store(name, entry, keys, sequence)
            except Exception:
                logger.warning("response cache: cannot store", exc_info=True)
        return response

    @staticmethod
    def public_credentials(request, store_, credentials: str, auth_generation, known) -> bool:
        """Whether these credentials see what the public sees: remembered, or checked now."""
        if known is not None and known[0] == auth_generation:
            return known[1]
        public = not sees_more_than_public(credentials_user(request))
        try:
            store_.set(credentials, (auth_generation, public), AUTH_CLASS_TIMEOUT)
        except Exception:
            logger.warning("response cache: cannot remember a credential's class", exc_info=True)
        return public

    @staticmethod
    def replay(request, entry, until_publish: float) -> HttpResponse:
        _generation, content, stored, *dated = entry  # entries stored before dates: 3 items
        since = dated[0] if dated else None
        headers = {**stored}
        if "Cache-Control" in headers:
            headers["Cache-Control"] = bounded_cache_control(
                headers["Cache-Control"], until_publish
            )
        modified = None if since is None else conditional.last_modified(since, conditional.clock())
        if modified is not None:
            headers["Last-Modified"] = http_date(modified)
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
        if etag_matches(headers.get("ETag"), if_none_match) or (
            not if_none_match and not_modified_since(modified, request)
        ):
            response: HttpResponse = HttpResponseNotModified()
            for name in (
                "ETag",
                "Last-Modified",
                "Cache-Control",
                "Vary",
                "Surrogate-Key",
                "Cache-Tag",
            ):
                if name in headers:
                    response[name] = headers[name]
            return response
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
        return response
