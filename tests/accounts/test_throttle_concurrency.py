"""Throttles hold under concurrency: 30 comment posts at once by one reader against 10 a minute
are exactly 10 accepted and 20 refused, and likewise sign-ups and sign-ins per address.

DRF's throttle reads the history, decides, then writes it back: parallel requests all read the
same history and all pass (the probe saw 11 of 30 through). botbeat.throttles decides in one
atomic step: a Lua script on Redis, a lock on the local memory cache.

Twice: threads against the test client in this process (the local memory cache, SQLite or
PostgreSQL), and on PostgreSQL a real gunicorn with several worker processes sharing Redis.
"""

import secrets
import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from tests.factories import ArticleFactory, UserFactory
from tests.ratelimit import members, parameters

PARALLEL = 30
LIMIT = 10


def set_rates(settings, **rates: str) -> None:
    current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**current, **rates},
    }


def in_parallel(send, n: int = PARALLEL) -> list:
    """`send(i)` from `n` threads released together; the answers, in no particular order."""
    start = threading.Barrier(n)
    answers: list = []
    lock = threading.Lock()

    def run(i):
        try:
            start.wait()
            answer = send(i)
            with lock:
                answers.append(answer)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == n
    return answers


def assert_exactly(statuses: list[int], accepted: int, ok: int) -> None:
    assert Counter(statuses) == {ok: accepted, 429: len(statuses) - accepted}, Counter(statuses)


REDIS_DB = 15  # a database of its own on the shared Redis


def redis_is_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def serialised(method):
    """`method` one call at a time: SQLite has one writer, and its in-memory test database
    refuses a second at once (`database table is locked`) rather than waiting. The throttles
    run before the view's method, so they still race."""
    lock = threading.Lock()

    def wrapper(*args, **kwargs):
        with lock:
            return method(*args, **kwargs)

    return wrapper


@pytest.fixture(params=["local memory", "redis"])
def one_process(request, settings, monkeypatch):
    """Threads in this process against the test client, with the cache either the local memory
    cache, each read taking as long as a round trip to a shared cache does (the window in which
    a read-then-write throttle lets parallel requests through), or the Redis here."""
    from django.core.cache import cache
    from django.core.cache.backends.locmem import LocMemCache

    from accounts.views import RegisterView, TokenView
    from comments.views import ArticleCommentsView

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if request.param == "redis":
        if not redis_is_up():
            pytest.skip("needs Redis on 127.0.0.1:6379")
        settings.CACHES = {
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": f"redis://127.0.0.1:6379/{REDIS_DB}",
                "KEY_PREFIX": "botbeat",
            }
        }
    else:
        read = LocMemCache.get

        def slow_get(self, *args, **kwargs):
            value = read(self, *args, **kwargs)
            time.sleep(0.002)
            return value

        monkeypatch.setattr(LocMemCache, "get", slow_get)
    cache.clear()
    if connection.vendor == "sqlite":
        monkeypatch.setattr(ArticleCommentsView, "create", serialised(ArticleCommentsView.create))
        monkeypatch.setattr(RegisterView, "post", serialised(RegisterView.post))
        monkeypatch.setattr(TokenView, "post", serialised(TokenView.post))
    yield settings
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_parallel_comment_posts_by_one_reader_stop_at_the_limit(one_process, bearer_api):
    set_rates(one_process, comment_post=f"{LIMIT}/minute")
    reader = UserFactory()
    article = ArticleFactory()
    thread = f"/api/v1/articles/{article.slug}/comments/"
    clients = [bearer_api(reader) for _ in range(PARALLEL)]

    answers = in_parallel(
        lambda i: clients[i].post(thread, {"body": f"post {i}"}, format="json"),
    )

    assert_exactly([a.status_code for a in answers], LIMIT, 201)
    assert article.comments.count() == LIMIT
    accepted = [a for a in answers if a.status_code == 201]
    policies = {members(a["RateLimit-Policy"])["comment_post"] for a in answers}
    assert policies == {f'"comment_post";q={LIMIT};w=60'}
    remaining = sorted(parameters(members(a["RateLimit"])["comment_post"])["r"] for a in accepted)
    assert remaining == list(range(LIMIT))  # each accepted post saw its own count


@pytest.mark.django_db(transaction=True)
def test_parallel_sign_ups_and_sign_ins_from_one_address_stop_at_the_limit(one_process):
    set_rates(one_process, register="5/hour", token="7/minute")
    UserFactory(username="ada")

    sign_ups = in_parallel(
        lambda i: APIClient().post(
            "/api/v1/auth/register/",
            {"username": f"reader-{i}", "password": "a-long-test-password"},
            format="json",
        )
    )
    sign_ins = in_parallel(
        lambda i: APIClient().post(
            "/api/v1/auth/token/",
            {"username": "ada", "password": "a-long-test-password"},
            format="json",
        )
    )

    assert_exactly([a.status_code for a in sign_ups], 5, 201)
    assert_exactly([a.status_code for a in sign_ins], 7, 200)


# The same through a real server: gunicorn, 3 worker processes, Redis shared between them.


@pytest.fixture
def served():
    import redis

    from tests.hardening.servers import Gunicorn, database_url, environment

    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    redis.Redis.from_url(url).flushdb()
    server = Gunicorn(
        environment(
            {
                "DATABASE_URL": database_url(),
                "REDIS_URL": url,
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DEBUG": "false",
                "ALLOWED_HOSTS": "127.0.0.1",
                "THROTTLE_COMMENT_POST": f"{LIMIT}/minute",
                "THROTTLE_REGISTER": "5/hour",
                "THROTTLE_TOKEN": "7/minute",
            }
        ),
        workers=3,
    )
    try:
        server.wait_until_alive()
        yield server
    finally:
        log = server.stop()
        redis.Redis.from_url(url).flushdb()
        print("gunicorn:", log[-3000:], sep="\n")


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.skipif(not redis_is_up(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
def test_a_multi_worker_server_holds_every_throttle(served, settings):
    from django.conf import global_settings

    from accounts.services import auth_token_issue
    from tests.hardening.servers import http

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the server's
    reader = UserFactory(username="ada")
    _, token = auth_token_issue(user=reader)
    article = ArticleFactory()

    posts = in_parallel(
        lambda i: http(
            "POST",
            f"{served.url}/api/v1/articles/{article.slug}/comments/",
            body={"body": f"post {i}"},
            Authorization=f"Bearer {token}",
            timeout=60,
        )
    )
    sign_ups = in_parallel(
        lambda i: http(
            "POST",
            f"{served.url}/api/v1/auth/register/",
            body={"username": f"reader-{i}", "password": "a-long-test-password"},
            timeout=60,
        )
    )
    sign_ins = in_parallel(
        lambda i: http(
            "POST",
            f"{served.url}/api/v1/auth/token/",
            body={"username": "ada", "password": "a-long-test-password"},
            timeout=60,
        )
    )

    assert_exactly([a.status for a in posts], LIMIT, 201)
    assert article.comments.count() == LIMIT
    assert_exactly([a.status for a in sign_ups], 5, 201)
    assert_exactly([a.status for a in sign_ins], 7, 200)
    for answer in posts:
        assert members(answer.headers["RateLimit-Policy"])["comment_post"] == (
            f'"comment_post";q={LIMIT};w=60'
        )
    refused = [a for a in posts if a.status == 429]
    assert all(
        members(a.headers["RateLimit"])["comment_post"].startswith('"comment_post";r=0;t=')
        for a in refused
    )
    assert all(0 < int(a.headers["Retry-After"]) <= 60 for a in refused)
