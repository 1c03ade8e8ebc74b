"""BotBeat settings, read from the environment.

Every value has a safe default so that a fresh clone runs on a local SQLite file with nothing
configured. Production is the same code with other environment values: `DATABASE_URL` for
PostgreSQL, `SECRET_KEY`, `ALLOWED_HOSTS`, and so on (README, "Environment").
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """`true`/`false` (also 1/0, yes/no, on/off); anything else is an error, not a silent False."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None


RATE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


def env_rate(name: str, default: str) -> str:
    """A throttle rate as DRF reads it: `<count>/<period>`, the period one of second, minute,
    hour or day (or its first letter), e.g. `10/minute`."""
    raw = os.environ.get(name) or default
    count, _, period = raw.strip().partition("/")
    if not (count.isascii() and count.isdigit()) or int(count) < 1 or period not in RATE_PERIODS:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate: use <count>/<second|minute|hour|day>, e.g. 10/minute."
        )
    return f"{int(count)}/{period}"


def env_url_template(name: str, default: str) -> str:
    """An absolute http(s) URL with `{slug}` where the slug goes, e.g.
    `https://botbeat.example/articles/{slug}/`; no other braces, so that a mistyped
    placeholder (`{id}`) fails here rather than in every link."""
    raw = os.environ.get(name) or default
    filled = raw.replace("{slug}", "a-slug")
    try:
        parts = urlsplit(filled)
        absolute = parts.scheme in {"http", "https"} and bool(parts.hostname)
    except ValueError:  # an unclosed IPv6 bracket
        absolute = False
    if (
        not absolute
        or "{slug}" not in raw
        or "{" in filled
        or "}" in filled
        or any(character.isspace() for character in raw)
    ):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a URL template: use an absolute http(s) URL with {{slug}}, "
            "e.g. https://botbeat.example/articles/{slug}/."
        )
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


ORIGIN_PATTERN = re.compile(r"https?://[^/\s?#]+")


def env_origins(name: str) -> list[str]:
    """Comma-separated origins (`https://botbeat.example,https://m.botbeat.example`): a scheme and
    a host (and port), no path and no trailing slash, which browsers would never match."""
    origins = env_list(name, [])
    for origin in origins:
        if not ORIGIN_PATTERN.fullmatch(origin):
            raise ImproperlyConfigured(
                f"{name}: {origin!r} is not an origin (use https://host[:port], no path)."
            )
    return origins


DEBUG = env_bool("DEBUG", default=False)

# A development key so that a fresh clone runs; the production entry points (wsgi.py, asgi.py)
# refuse to start with it (botbeat.security.check_production_settings).
INSECURE_DEV_SECRET_KEY = "django-insecure-botbeat-development-key-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY") or INSECURE_DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",  # its templates, for the sitemap index (articles/sitemaps.py)
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "knox",
    "botbeat",
    "accounts",
    "companies",
    "articles",
    "comments",
    "changes",
    "webhooks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # Security headers (HSTS, nosniff, Referrer-Policy, COOP, X-Frame-Options, CSP) and the
    # HTTPS redirect, on every answer, the ones the middleware below produce included.
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Above everything that may answer by itself (the body limit, the response cache), so that a
    # browser on an allowed origin can read those answers too.
    "corsheaders.middleware.CorsMiddleware",
    # The read limit and the RateLimit headers, on every API answer: outside everything that
    # may answer by itself (botbeat/middleware.py).
    "botbeat.middleware.RateLimitMiddleware",
    # Refuses oversized API bodies (413) before anything reads them (botbeat/middleware.py).
    "botbeat.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and DRF: a hit costs one cache round trip (botbeat/cache.py).
    "botbeat.cache.ResponseCacheMiddleware",
    # Inside the response cache: only a miss reads, from a replica when one is up to date.
    "botbeat.replicas.ReplicaMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Outermost of the two: sees the final response, after the ETag is set.
    "botbeat.middleware.CacheControlMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
]

ROOT_URLCONF = "botbeat.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps' templates: botbeat's versions of drf-spectacular's Swagger UI and ReDoc
        # pages, which carry the CSP nonce and load nothing from a CDN.
        "DIRS": [BASE_DIR / "botbeat" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.csp",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "botbeat.wsgi.application"


def database(url: str) -> dict:
    return dj_database_url.parse(
        url,
        # Persistent connections: opening a PostgreSQL connection costs more than most queries.
        # The health check (one `SELECT 1` at a request's first query) drops a connection the
        # database closed meanwhile (a restart, a failover), so workers recover by themselves.
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )


DATABASES = {"default": database(env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Streaming replicas of the primary for the reads of GET requests (botbeat/replicas.py): the
# aliases replica1, replica2, ... A replica further behind than the lag below is skipped.
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    DATABASES[f"replica{_number}"] = database(_url)
DATABASE_REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG_SECONDS", 5)
if DATABASE_REPLICA_MAX_LAG_SECONDS < 0:
    raise ImproperlyConfigured("DATABASE_REPLICA_MAX_LAG_SECONDS must be 0 or more.")
if len(DATABASES) > 1:
    if any(db["ENGINE"] != "django.db.backends.postgresql" for db in DATABASES.values()):
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs PostgreSQL, as DATABASE_URL.")
    if not env_str("REDIS_URL"):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS needs REDIS_URL: the app servers share the position of the "
            "last write there, so that no read misses it."
        )
    DATABASE_ROUTERS = ["botbeat.replicas.ReplicaRouter"]
# Outages must cost a request seconds, not a worker: while PostgreSQL is unreachable a request
# fails after DATABASE_CONNECT_TIMEOUT seconds and answers 503 (botbeat/errors.py); a statement
# running longer than DATABASE_STATEMENT_TIMEOUT_MS (waiting for a lock included) is cancelled
# by the server and answers 503 too. 0 turns the statement timeout off: manage.py makes that the
# default for management commands (migrate, import_articles, generate_fake), whose long
# statements are intended.
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 3)
DATABASE_STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 5000)
if DATABASE_CONNECT_TIMEOUT < 1 or DATABASE_STATEMENT_TIMEOUT_MS < 0:
    raise ImproperlyConfigured(
        "DATABASE_CONNECT_TIMEOUT must be 1 or more and DATABASE_STATEMENT_TIMEOUT_MS 0 or more."
    )
for _database in DATABASES.values():
    if _database["ENGINE"] != "django.db.backends.postgresql":
        continue
    _options = _database.setdefault("OPTIONS", {})
    _options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    if DATABASE_STATEMENT_TIMEOUT_MS:
        # libpq's `options`: sent with the connection, so it costs no query.
        _timeout = f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}"
        _options["options"] = f"{_options.get('options', '')} {_timeout}".strip()

# ---- Connection pooling (DATABASE_POOLER) --------------------------------------------------
# Where the PostgreSQL connections come from, for every PostgreSQL database above (README, "The
# deployment guide", a connection pooler):
# - `none` (the default): each worker thread keeps its own connection for CONN_MAX_AGE seconds.
# - `pgbouncer`: DATABASE_URL names a PgBouncer in transaction mode, which lends a server
#   connection to a client for one transaction only. Nothing may outlive a transaction there:
#   - no server-side prepared statements: psycopg's `prepare_threshold` None (Django's default,
#     pinned here because PgBouncer before 1.21 cannot route them to their server connection);
#   - no server-side cursors: `.iterator()` outside a transaction (dumpdata does it) declares a
#     WITH HOLD cursor on one server connection and fetches from it on another;
#   - no startup `options`: PgBouncer refuses the connection ("unsupported startup parameter:
#     options"), so the statement timeout cannot travel with it. It is the role's instead:
#     `ALTER ROLE <web role> IN DATABASE <db> SET statement_timeout = '5s'`, which every server
#     connection PgBouncer opens starts with. A `SET statement_timeout` per client connection
#     would land on one server connection, and stay there for whichever client gets it next.
#     DATABASE_STATEMENT_TIMEOUT_MS is refused then, rather than silently not applied; and
#     management commands through PgBouncer get the role's timeout too, so migrations and
#     imports connect to PostgreSQL directly (README).
#   CONN_MAX_AGE stays persistent: a client connection to PgBouncer holds no server connection
#   between transactions, and keeping it saves a connection's setup (a round trip through
#   PgBouncer, Django's SET TIME ZONE, which PgBouncer tracks per client) on every request.
# - `psycopg`: psycopg's pool in each process, DATABASE_POOL_MIN_SIZE to DATABASE_POOL_MAX_SIZE
#   connections shared by its threads. A request holds one from its first query to its end
#   (Django gives it back then, which is why it requires CONN_MAX_AGE 0), so a pool smaller
#   than the threads makes them queue: a request waits DATABASE_POOL_TIMEOUT seconds at most
#   (by default DATABASE_CONNECT_TIMEOUT, which is what an outage costs then too), then 503.
DATABASE_POOLER = env_str("DATABASE_POOLER", "none")
if DATABASE_POOLER not in {"none", "pgbouncer", "psycopg"}:
    raise ImproperlyConfigured("DATABASE_POOLER must be none, pgbouncer or psycopg.")
DATABASE_POOL_MIN_SIZE = env_int("DATABASE_POOL_MIN_SIZE", 1)
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 4)
DATABASE_POOL_TIMEOUT = env_int("DATABASE_POOL_TIMEOUT", DATABASE_CONNECT_TIMEOUT)
if (
    DATABASE_POOL_MAX_SIZE < 1
    or not 0 <= DATABASE_POOL_MIN_SIZE <= DATABASE_POOL_MAX_SIZE
    or DATABASE_POOL_TIMEOUT < 1
):
    raise ImproperlyConfigured(
        "DATABASE_POOL_MAX_SIZE must be 1 or more, DATABASE_POOL_MIN_SIZE 0 to that, and "
        "DATABASE_POOL_TIMEOUT 1 or more."
    )
if DATABASE_POOLER != "none":
    if any(db["ENGINE"] != "django.db.backends.postgresql" for db in DATABASES.values()):
        raise ImproperlyConfigured(f"DATABASE_POOLER={DATABASE_POOLER} needs PostgreSQL.")
    _explicit = {"pgbouncer": "DATABASE_STATEMENT_TIMEOUT_MS", "psycopg": "CONN_MAX_AGE"}
    if env_int(_explicit[DATABASE_POOLER], 0):
        raise ImproperlyConfigured(
            f"{_explicit[DATABASE_POOLER]} must be 0 or unset with "
            f"DATABASE_POOLER={DATABASE_POOLER} (settings.py says why)."
        )
    for _database in DATABASES.values():
        _options = _database.setdefault("OPTIONS", {})
        if DATABASE_POOLER == "pgbouncer":
            _options.pop("options", None)  # the statement timeout, above
            _options["prepare_threshold"] = None
            _database["DISABLE_SERVER_SIDE_CURSORS"] = True
        else:
            _database["CONN_MAX_AGE"] = 0
            _options["pool"] = {
                "min_size": DATABASE_POOL_MIN_SIZE,
                "max_size": DATABASE_POOL_MAX_SIZE,
                "timeout": DATABASE_POOL_TIMEOUT,
            }
# ---- end of connection pooling -------------------------------------------------------------

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds the throttles' counters, so it must be shared by every worker process: Redis
# when REDIS_URL is set. A Redis outage must not take the site down: its errors are ignored
# (and logged), so the throttles fail open until it is back. Without REDIS_URL (development,
# tests) each process has its own local memory cache.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "botbeat",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "IGNORE_EXCEPTIONS": True,
                # Seconds: a Redis that hangs costs a request this long, not a worker.
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# Background tasks (django.tasks): scheduled publications, the outbox's retention, webhook
# deliveries. The default backend keeps them in the database (django-tasks-db), so nothing but
# the database is needed: run `manage.py db_worker` beside the web processes. TASKS_BACKEND
# names another backend (a broker-based one, past one machine).
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "webhooks"],
    }
}
# Webhooks (webhooks/): a target whose address is private, loopback, link-local, multicast,
# reserved or unspecified is refused, at registration and at each delivery, unless this allows
# it (the tests, for their loopback receivers).
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
# A delivery that has no answer within this many seconds failed (API.md says 10).
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 10)
# How often the worker looks for endpoints whose delivery task died with its worker (SIGKILL,
# a lost machine) and drives them again.
WEBHOOKS_REDRIVE_SECONDS = env_int("WEBHOOKS_REDRIVE_SECONDS", 30)
# On PostgreSQL a change's id is taken before its transaction commits, so a lower id can still
# be in flight when a higher one is visible: a hole in the ids is waited for this long (then
# taken for a rolled-back write) before the deliveries pass it.
WEBHOOKS_GAP_GRACE_SECONDS = env_int("WEBHOOKS_GAP_GRACE_SECONDS", 10)
# How long the change feed keeps its changes (a `since` older than that is a 410).
CHANGES_RETENTION_DAYS = env_int("CHANGES_RETENTION_DAYS", 90)
# How often the change feed's maintenance runs (changes.tasks.maintain: announcing what a lost
# task left out, pruning past the retention), in seconds.
CHANGES_MAINTENANCE_SECONDS = env_int("CHANGES_MAINTENANCE_SECONDS", 300)

# Comments a newsroom can leave open (API.md, "Comments: readers and moderators"): flags from
# this many distinct readers withhold a comment for review; with COMMENT_PREMODERATION=N, a
# reader's comments wait for a Moderator until N of them were approved (0: off).
COMMENT_FLAG_THRESHOLD = env_int("COMMENT_FLAG_THRESHOLD", 3)
if COMMENT_FLAG_THRESHOLD < 1:
    raise ImproperlyConfigured("COMMENT_FLAG_THRESHOLD must be 1 or more.")
COMMENT_PREMODERATION = env_int("COMMENT_PREMODERATION", 0)
if COMMENT_PREMODERATION < 0:
    raise ImproperlyConfigured("COMMENT_PREMODERATION must be 0 (off) or more.")
# The same body from the same reader on the same article within this many minutes is refused
# (400 `duplicate`).
COMMENT_DUPLICATE_MINUTES = env_int("COMMENT_DUPLICATE_MINUTES", 10)

# The server-side cache of public API answers (botbeat/cache.py). Its invalidation needs a
# cache every worker shares, so it is on by default only with Redis.
RESPONSE_CACHE = env_bool("RESPONSE_CACHE", default=bool(REDIS_URL))
# Who is told what a write changed (botbeat/purge.py): the response cache, and with
# EDGE_PURGER=varnish every Varnish in VARNISH_PURGE_URLS (deploy/varnish/botbeat.vcl).
EDGE_PURGER = env_str("EDGE_PURGER")
if EDGE_PURGER not in {"", "varnish"}:
    raise ImproperlyConfigured("EDGE_PURGER must be empty or varnish.")
VARNISH_PURGE_URLS = env_list("VARNISH_PURGE_URLS", [])
if EDGE_PURGER == "varnish" and not VARNISH_PURGE_URLS:
    raise ImproperlyConfigured("EDGE_PURGER=varnish needs VARNISH_PURGE_URLS.")
CACHE_PURGERS = [
    "botbeat.purge.ResponseCachePurger",
    *(["botbeat.purge.VarnishPurger"] if EDGE_PURGER == "varnish" else []),
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Only for `collectstatic` in a deployment; unset, assets are served from the apps (below).
STATIC_ROOT = env_str("STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve the admin's and the docs' assets straight from the installed apps, so that the demo
# and the tests need no collectstatic step. A deployment may run collectstatic and turn it off.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", default=True)

# The largest request body the API reads, in bytes: anything bigger is refused with 413 before it
# is read (botbeat.middleware.RequestBodyLimitMiddleware). A comment is at most 5,000 characters,
# 20 KB of UTF-8 at worst. Outside the API (the admin's forms) Django's own limit applies.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)

# Anonymous public GETs may be cached this long by browsers (max-age) and by a CDN (s-maxage).
API_CACHE_MAX_AGE = env_int("API_CACHE_MAX_AGE", 30)
API_CACHE_S_MAXAGE = env_int("API_CACHE_S_MAXAGE", 60)

# Where the website shows an article: every article representation's `url` is this with its
# slug in place of `{slug}` (articles.representation.article_url).
ARTICLE_URL_TEMPLATE_DEFAULT = "https://botbeat.example/articles/{slug}/"
ARTICLE_URL_TEMPLATE = env_url_template("ARTICLE_URL_TEMPLATE", ARTICLE_URL_TEMPLATE_DEFAULT)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["botbeat.parsers.StrictJSONParser"],
    # The bearer token first: its scheme is the `WWW-Authenticate` challenge of every 401. The
    # session (with CSRF on unsafe methods) serves the browser frontend.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per scope, read at each request (botbeat.throttles), so tests may override them.
    "DEFAULT_THROTTLE_RATES": {
        # Every API request, per client address (botbeat.throttles.READ_SCOPE). A reader's page
        # view costs a handful of requests and a feed scrolled fast one a second: 10 a second,
        # sustained for a minute, is a script, or many readers behind one address, which is
        # why it is this generous. It keeps one address from taking the capacity of the whole
        # site (`manage.py benchmark` measures it), not a reader from reading.
        "read": env_rate("THROTTLE_READ", "600/minute"),
        "comment_post": env_rate("THROTTLE_COMMENT_POST", "10/minute"),  # per user
        "comment_edit": env_rate("THROTTLE_COMMENT_EDIT", "30/minute"),  # per user
        "comment_like": env_rate("THROTTLE_COMMENT_LIKE", "60/minute"),  # per user
        "comment_flag": env_rate("THROTTLE_COMMENT_FLAG", "20/minute"),  # per user
        "register": env_rate("THROTTLE_REGISTER", "20/hour"),  # per client address
        "token": env_rate("THROTTLE_TOKEN", "10/minute"),  # per client address
    },
    # How many reverse proxies in front of the app append to X-Forwarded-For: the client address
    # the throttles key on is the one the outermost of them saw. 0 (the default) trusts no
    # X-Forwarded-For at all and uses REMOTE_ADDR, which a client cannot forge.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "botbeat.errors.exception_handler",
    # Formats by URL suffix or ?format= would add undocumented parameters; JSON only.
    "URL_FORMAT_OVERRIDE": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# How long an Editor's preview link of a draft shows it (articles/previews.py); editing the
# article ends it sooner. A timedelta: the tests override it in seconds.
_preview_hours = env_int("PREVIEW_TTL_HOURS", 24)
if _preview_hours < 1:
    raise ImproperlyConfigured("PREVIEW_TTL_HOURS must be 1 or more.")
PREVIEW_TTL = timedelta(hours=_preview_hours)

# API tokens (django-rest-knox): 64 random hex characters, stored as their SHA-512 digest.
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(days=env_int("AUTH_TOKEN_TTL_DAYS", 30)),
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "BotBeat API",
    "DESCRIPTION": (
        "The JSON API of BotBeat, a news site about the AI industry.\n\n"
        "Every error, 4xx and 5xx, is a `Problem` (RFC 9457 problem details) served as "
        "`application/problem+json`. Query parameters are strict: unknown, repeated "
        "single-valued, empty or out-of-range parameters answer 400. Integers are ASCII digits "
        "without sign, separator, whitespace or leading zero; dates are `YYYY-MM-DD` or RFC 3339 "
        "date-times with an offset (`2026-06-18T12:00:00Z`).\n\n"
        f"Request bodies are JSON in UTF-8, at most {API_MAX_BODY_BYTES} bytes "
        f"({API_MAX_BODY_BYTES // 1024} KiB) with a `Content-Length`: a larger one is refused "
        "with 413 before it is read. They are as strict as the parameters: a field the "
        "operation does not take (`unknown_field`) or a key given twice (`duplicate_key`) is a "
        "400 naming it. While the database is unreachable, or when a request runs "
        "past the statement timeout, operations answer 503 with `Retry-After`.\n\n"
        "Every API answer carries `RateLimit-Policy` and `RateLimit` "
        "(draft-ietf-httpapi-ratelimit-headers): every request counts against a read limit "
        "per client address (`THROTTLE_READ`), a few operations against one of their own too; "
        "past a limit, 429 `throttled` with `Retry-After`.\n\n"
        "`GET /healthz` (liveness) and `GET /readyz` (readiness: the database and the cache) "
        "serve load balancers and orchestrators."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations are grouped by resource (articles, companies, ...) rather than by "v1".
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # Before botbeat's hook, which serves the 401s it adds as application/problem+json.
        "botbeat.auth_schema.document_bearer_token_errors",
        "botbeat.schema.postprocess",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ArticleCategoryEnum": "articles.models.Category",
        "ArticleStatusEnum": "articles.models.Status",
        "CommentStatusEnum": "comments.models.Comment.Status",
        "CommentFlagReasonEnum": "comments.models.CommentFlag.Reason",
        "ChangeTypeEnum": "changes.models.ChangeType",
        "CommentModerationStatusEnum": "comments.serializers.MODERATION_STATUS_CHOICES",
        "HealthOkEnum": "botbeat.health.OK",
        "HealthStateEnum": "botbeat.health.STATES",
        "ReplicaStateEnum": "botbeat.health.REPLICA_STATES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# HTTPS. Behind a reverse proxy or load balancer that terminates TLS and says so with
# `X-Forwarded-Proto: https` (it must overwrite that header when a client sends it), set
# BEHIND_TLS_PROXY=true: the site is then HTTPS-only (redirect, HSTS, cookies marked Secure).
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = BEHIND_TLS_PROXY
# Load balancers and orchestrators probe over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Secure follows HTTPS, not DEBUG: DEBUG is off by default, on plain-HTTP development and test
# servers too, where clients drop a Secure cookie (`check --deploy` warns while it is off).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = BEHIND_TLS_PROXY
# The browser frontend's session (POST /api/v1/auth/session/): Django's defaults, said here
# because they are the contract (tests/accounts/test_session.py). SameSite=Lax: no other site's
# form post or script carries the cookies, which with the CSRF token makes two locks. The
# session cookie is out of scripts' reach; the CSRF cookie is read by the frontend's script,
# which sends it back as `X-CSRFToken`.
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# Sent over HTTPS only. One year, subdomains and preload by default: every BotBeat host is
# HTTPS-only; lower SECURE_HSTS_SECONDS while trying HTTPS out (a browser remembers it).
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if BEHIND_TLS_PROXY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", BEHIND_TLS_PROXY)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", BEHIND_TLS_PROXY)

# Security headers on every answer (SecurityMiddleware, XFrameOptionsMiddleware): Django's
# defaults, said here because they are part of the contract (tests/hardening/test_deploy.py).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy, on every answer: it matters for the HTML pages (the admin, Swagger
# UI and ReDoc, all served from here), whose scripts and inline styles carry the request's nonce.
# ReDoc needs more (inline styles it injects, a worker from a blob: URL): botbeat/urls.py widens
# the policy for that page alone.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# CORS (django-cors-headers), for the web frontends on other origins: CORS_ALLOWED_ORIGINS lists
# them. Bearer tokens need no cookies, so credentials are off by default. A frontend on another
# origin of the same site (https://botbeat.example for https://api.botbeat.example) may sign in
# with the session: CORS_ALLOW_CREDENTIALS=true lets its script send the cookies and read the
# answers, and its origin is then trusted for CSRF too (Django checks `Origin` on every write;
# CSRF_TRUSTED_ORIGINS adds origins that are not CORS origins). Its script cannot read the API's
# `csrftoken` cookie, so it takes the token from GET /api/v1/auth/session/'s `csrf_token`. A
# frontend on another site gets no SameSite=Lax cookie at all: it signs in with a bearer token.
CORS_ALLOWED_ORIGINS = env_origins("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_HEADERS = (*default_headers, "if-none-match")
CORS_EXPOSE_HEADERS = [
    "ETag",
    "Location",
    "RateLimit",
    "RateLimit-Policy",
    "Retry-After",
    "WWW-Authenticate",
]
CORS_ALLOW_CREDENTIALS = env_bool("CORS_ALLOW_CREDENTIALS", default=False)
CSRF_TRUSTED_ORIGINS = [
    *env_origins("CSRF_TRUSTED_ORIGINS"),
    *(CORS_ALLOWED_ORIGINS if CORS_ALLOW_CREDENTIALS else []),
]
CORS_PREFLIGHT_MAX_AGE = 3600

# Sign-in lockout (django-axes; accounts/lockout.py says who is locked and why). Every
# authenticate() is watched, the admin's login and the API's token sign-in: LOGIN_FAILURE_LIMIT
# failed sign-ins within LOGIN_LOCKOUT_MINUTES lock the account (and in the admin, the client
# address) until those failures are that old. Failures are rows in the database, shared by
# every worker; `manage.py axes_reset_username NAME` lifts a lockout by hand.
INSTALLED_APPS = [*INSTALLED_APPS, "axes"]
# Last: it turns the admin's locked-out answers into accounts.lockout.lockout_response.
MIDDLEWARE = [*MIDDLEWARE, "axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out sign-in before the password is hashed.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# 5 in 15 minutes: a person who mistypes gets four more tries and then a coffee's wait; a
# guesser gets 480 guesses a day at one account, against a password the validators made long.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
_lockout_minutes = env_int("LOGIN_LOCKOUT_MINUTES", 15)
if AXES_FAILURE_LIMIT < 1 or _lockout_minutes < 1:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES must be 1 or more.")
AXES_COOLOFF_TIME = timedelta(minutes=_lockout_minutes)
AXES_LOCKOUT_PARAMETERS = "accounts.lockout.lockout_parameters"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# The address the throttles key on (NUM_PROXIES), not django-ipware's guess.
AXES_CLIENT_IP_CALLABLE = "botbeat.throttles.client_address"
# Refused attempts during a lockout are not recorded: the lockout does not grow with a flood,
# and neither does the table.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A success does not wipe the failures: else one sign-in to an attacker's own account would
# reset the count of the address it guesses from.
AXES_RESET_ON_SUCCESS = False
# No row per successful sign-in (one a second in the benchmark's mix): failures only.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # failures are still logged, with the username and address masked
