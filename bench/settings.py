"""The settings of the server under test: botbeat's, with the benchmark's URLconf.

    DJANGO_SETTINGS_MODULE=bench.settings gunicorn botbeat.wsgi ...

Everything else (middleware, database, cache, throttles) is botbeat.settings read from the same
environment, so the ceiling (bench/ceiling.py) goes through the production middleware stack.
"""

from django.core.exceptions import ImproperlyConfigured

from botbeat.settings import *  # noqa: F403  (the production settings, unchanged)
from botbeat.settings import env_int

ROOT_URLCONF = "bench.urls"

# The ceiling's body, in bytes: the benchmark sets it to the size of the feed's first page.
BENCHMARK_CEILING_BYTES = env_int("BENCHMARK_CEILING_BYTES", 16_000)
if BENCHMARK_CEILING_BYTES < 0:
    raise ImproperlyConfigured("BENCHMARK_CEILING_BYTES must be a byte count (0 or more).")

# --replica: which database each request's reads went to, counted (bench/tiers.py reads it).
if len(DATABASES) > 1:  # noqa: F405
    _at = MIDDLEWARE.index("botbeat.replicas.ReplicaMiddleware")  # noqa: F405
    MIDDLEWARE = [*MIDDLEWARE[: _at + 1], "bench.tiers.CountReads", *MIDDLEWARE[_at + 1 :]]  # noqa: F405
