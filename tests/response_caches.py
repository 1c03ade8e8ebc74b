"""The response cache switched on for a test, on the local memory cache or on the Redis here:
one setup for every test module that runs answers through it."""

import contextlib
import os

import pytest


def redis_test_url() -> str:
    """A database of its own on the shared Redis; REDIS_TEST_URL may name another (two checkouts
    whose suites run at once must not empty each other's). Under pytest-xdist (`-n`), worker n
    takes the database n * 3 below it: two workers must not empty each other's either, and the
    databases between are other modules' own (tests/test_edge.py's 12, for one)."""
    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/13")
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    if not worker:
        return url
    base, _, db = url.rpartition("/")
    return f"{base}/{(int(db or 0) - 3 * worker) % 16}"


REDIS_TEST_URL = redis_test_url()


@contextlib.contextmanager
def response_cache_on(settings, backend: str, key_prefix: str = "botbeat-test"):
    """RESPONSE_CACHE on `backend` ("locmem" or "redis"; skips without a Redis), emptied before
    and after."""
    import botbeat.cache

    if backend == "redis":
        import redis

        try:
            redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
        except redis.RedisError:
            pytest.skip(f"no Redis at {REDIS_TEST_URL} (.ci/run starts one)")
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": REDIS_TEST_URL,
                "KEY_PREFIX": key_prefix,
            }
        }
    from django.core.cache import cache

    botbeat.cache._redis_store = None
    settings.RESPONSE_CACHE = True
    cache.clear()
    try:
        yield
    finally:
        cache.clear()
        botbeat.cache._redis_store = None
