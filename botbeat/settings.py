"""BotBeat settings, read from the environment.

Every value has a safe default so that a fresh clone runs on a local SQLite file with nothing
configured. Production is the same code with other environment values: `DATABASE_URL` for
PostgreSQL, `SECRET_KEY`, `ALLOWED_HOSTS`, and so on (README, "Environment").
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

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


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and DRF: a hit costs one cache round trip (botbeat/cache.py).
    "botbeat.cache.ResponseCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Outermost of the two: sees the final response, after the ETag is set.
    "botbeat.middleware.CacheControlMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
]

ROOT_URLCONF = "botbeat.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "botbeat.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Persistent connections: opening a PostgreSQL connection costs more than most queries.
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}

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

# The server-side cache of anonymous API answers (botbeat/cache.py). Its invalidation needs a
# cache every worker shares, so it is on by default only with Redis.
RESPONSE_CACHE = env_bool("RESPONSE_CACHE", default=bool(REDIS_URL))

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

# Anonymous public GETs may be cached this long by browsers (max-age) and by a CDN (s-maxage).
API_CACHE_MAX_AGE = env_int("API_CACHE_MAX_AGE", 30)
API_CACHE_S_MAXAGE = env_int("API_CACHE_S_MAXAGE", 60)

# The benchmark's ceiling (`manage.py benchmark`, botbeat/bench.py): set to a byte count, it
# routes /api/_bench/ceiling/, which serves that many precomputed bytes of JSON through the whole
# middleware stack, the fastest any endpoint of the same size can be. Unset or 0 (the default),
# the URL does not exist.
BENCHMARK_CEILING_BYTES = env_int("BENCHMARK_CEILING_BYTES", 0) or None
if BENCHMARK_CEILING_BYTES is not None and BENCHMARK_CEILING_BYTES < 0:
    raise ImproperlyConfigured("BENCHMARK_CEILING_BYTES must be a byte count (0 or more).")

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # The bearer token first: its scheme is the `WWW-Authenticate` challenge of every 401. The
    # session (with CSRF on unsafe methods) serves the browser frontend.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per scope, read at each request (accounts.throttles), so tests may override them.
    "DEFAULT_THROTTLE_RATES": {
        "comment_post": env_rate("THROTTLE_COMMENT_POST", "10/minute"),  # per user
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
        "single-valued, empty or out-of-range parameters answer 400."
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
        "accounts.schema.document_bearer_token_errors",
        "botbeat.schema.postprocess",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ArticleCategoryEnum": "articles.models.Category",
        "ArticleStatusEnum": "articles.models.Status",
        "CommentStatusEnum": "comments.models.Comment.Status",
        "CommentModerationStatusEnum": "comments.serializers.MODERATION_STATUS_CHOICES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
