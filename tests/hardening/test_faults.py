"""Faults, on PostgreSQL: the database restarting, unreachable or slow, and Redis away, under a
real server (gunicorn, 2 workers) while requests flow.

The machine's PostgreSQL is shared, so it is never restarted: the server reaches the test
database through a TCP proxy in this process (tests/hardening/servers.py), and "restarting the
database" is cutting the proxy (every connection closed, new ones refused) and bringing it back.
While it is down, requests fail fast with 503 problems carrying `Retry-After`; once it is back
they succeed again, without restarting the server; and every comment acknowledged with 201 is
still there.
"""

import secrets
import threading
import time

import psycopg
import pytest
from django.conf import global_settings
from django.db import connection

from comments.models import Comment
from tests.hardening.conftest import NUMBERS, SEED_SLUG, TOKENS, install_token
from tests.hardening.servers import (
    Gunicorn,
    Proxy,
    database_target,
    database_url,
    end_other_sessions,
    environment,
    http,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL=postgres://...)"
    ),
    # The server reads and writes the test database from other processes: data must be
    # committed, not held in the test's transaction.
    pytest.mark.django_db(transaction=True),
]

CONNECT_TIMEOUT = 2  # seconds: how long a request may wait for an unreachable database
FAST = CONNECT_TIMEOUT + 2  # a failing request answers within this, queueing included
THREAD = f"/api/v1/articles/{SEED_SLUG}/comments/"
FAULTS: list[str] = []  # every fault survived, for the report


def server_env(database_port: int, **extra: str) -> dict[str, str]:
    return environment(
        {
            "DATABASE_URL": database_url(database_port),
            "DATABASE_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
            "CONN_MAX_AGE": "60",  # persistent connections: the health checks must recover them
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "THROTTLE_COMMENT_POST": "100000/minute",
            "THROTTLE_READ": "100000/minute",  # the traffic comes from one address
            **extra,
        }
    )


@pytest.fixture(autouse=True)
def no_session_left():
    """After each test (its servers stopped), no session of theirs left on the test database
    for the flush to wait for (servers.end_other_sessions)."""
    yield
    end_other_sessions()


@pytest.fixture
def database_proxy():
    proxy = Proxy(database_target())
    yield proxy
    proxy.close()


@pytest.fixture
def served(world, database_proxy):
    """The world, served by gunicorn through the database proxy."""
    server = Gunicorn(server_env(database_proxy.port))
    try:
        server.wait_until_alive()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if FAULTS:
        NUMBERS["faults survived"] = f"{len(FAULTS)}: " + "; ".join(FAULTS)


def post_comment(server, body: str, **kwargs):
    return http(
        "POST",
        f"{server.url}{THREAD}",
        body={"body": body},
        Authorization=f"Bearer {TOKENS['alice']}",
        **kwargs,
    )


def assert_outage_problem(answer, where: str) -> None:
    assert answer.status == 503, f"{where}: {answer.status} {answer.body[:300]!r}"
    assert answer.headers["Content-Type"] == "application/problem+json", where
    assert answer.headers["Retry-After"] == "5", where
    body = answer.json()
    assert body["status"] == 503 and body["code"] in {"database_unavailable", "not_ready"}, where
    assert b"Traceback" not in answer.body and b"psycopg" not in answer.body, where


class Traffic:
    """Readers and a commenter, in a thread, until stopped: every answer is kept, with its time."""

    def __init__(self, server):
        self.server = server
        self.answers: list[tuple[str, object]] = []
        self.acknowledged: list[int] = []
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        n = 0
        while self.running:
            n += 1
            for what in ("feed", "article", "post"):
                if what == "feed":
                    answer = http("GET", f"{self.server.url}/api/v1/articles/")
                elif what == "article":
                    answer = http("GET", f"{self.server.url}/api/v1/articles/{SEED_SLUG}/")
                else:
                    answer = post_comment(self.server, f"Traffic comment {n}.")
                    if answer.status == 201:
                        self.acknowledged.append(answer.json()["id"])
                self.answers.append((what, answer))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join(timeout=60)

    def between(self, start: float, end: float) -> list:
        """Answers to requests sent after `start` that came back before `end`."""
        return [
            (w, a) for w, a in self.answers if a.started >= start and a.started + a.seconds <= end
        ]


def test_a_database_restart_costs_503s_for_its_length_and_nothing_else(served, database_proxy):
    acknowledged = [post_comment(served, f"Before the restart {i}.") for i in range(10)]
    assert [a.status for a in acknowledged] == [201] * 10
    acknowledged_ids = [a.json()["id"] for a in acknowledged]

    with Traffic(served) as traffic:
        time.sleep(1.5)
        cut_at = time.monotonic()
        database_proxy.cut()
        time.sleep(0.5)
        down = [
            http("GET", f"{served.url}/api/v1/articles/"),
            post_comment(served, "During the restart."),
            http("GET", f"{served.url}/api/v1/comments/{acknowledged_ids[0]}/"),
            http("GET", f"{served.url}/readyz"),
        ]
        alive = http("GET", f"{served.url}/healthz")
        time.sleep(3)
        restored_at = time.monotonic()
        database_proxy.restore()
        recovered = wait_for_200(f"{served.url}/api/v1/articles/", within=10)
        time.sleep(1.5)
    back = [
        http("GET", f"{served.url}/api/v1/articles/"),
        http("GET", f"{served.url}/readyz"),
        post_comment(served, "After the restart."),
    ]

    for answer in down:
        assert_outage_problem(answer, "while the database is down")
        assert answer.seconds < FAST
    assert alive.status == 200  # liveness does not depend on the database
    assert recovered - restored_at < 10
    assert [a.status for a in back] == [200, 200, 201]
    assert back[1].json() == {"database": "ok", "cache": "ok", "replicas": []}
    statuses = {a.status for _, a in traffic.answers}
    assert statuses <= {200, 201, 503}, statuses  # never a 500, never a hang
    during = traffic.between(cut_at + 0.2, restored_at)
    assert during and all(a.status == 503 and a.seconds < FAST for _, a in during)
    for _, answer in traffic.answers:
        if answer.status == 503:
            assert_outage_problem(answer, "traffic")
    # Recovered for good: once one request succeeds, every later one does (each worker's dead
    # connection fails its health check and is replaced), and the server never restarted.
    after = traffic.between(recovered + 0.5, time.monotonic())
    assert after and all(a.status in {200, 201} for _, a in after), after
    assert served.process.poll() is None
    # Every comment acknowledged with 201, before, during or after the fault, is there.
    every_ack = acknowledged_ids + traffic.acknowledged + [back[2].json()["id"]]
    assert set(Comment.objects.filter(pk__in=every_ack).values_list("pk", flat=True)) == set(
        every_ack
    )
    FAULTS.append(f"database restart: {len(every_ack)} acknowledged comments, 0 lost")


def wait_for_200(url: str, within: float) -> float:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if http("GET", url).status == 200:
            return time.monotonic()
        time.sleep(0.2)
    raise AssertionError(f"{url} did not recover within {within} s")


def test_an_unreachable_database_fails_requests_within_the_connect_timeout(served, database_proxy):
    acknowledged = post_comment(served, "Before the host is lost.").json()["id"]

    database_proxy.blackhole()  # connections accepted, never answered: a lost host
    lost = [
        http("GET", f"{served.url}/api/v1/articles/"),
        post_comment(served, "While the host is lost."),
        http("GET", f"{served.url}/readyz"),
    ]
    database_proxy.cut()
    database_proxy.restore()
    recovered = wait_for_200(f"{served.url}/api/v1/articles/", within=10)

    for answer in lost:
        assert_outage_problem(answer, "while the database host is lost")
        assert answer.seconds < FAST, answer.seconds
    assert recovered
    assert Comment.objects.filter(pk=acknowledged).exists()
    FAULTS.append("database host lost (connections hang): 503 within the connect timeout")


def test_a_statement_past_the_timeout_is_cancelled_and_answered_503(world, database_proxy):
    """A statement waiting on a lock is cancelled by PostgreSQL's statement_timeout, so one
    slow query does not pin a worker; the server then answers the next request at once."""
    server = Gunicorn(server_env(database_proxy.port, DATABASE_STATEMENT_TIMEOUT_MS="1500"))
    try:
        server.wait_until_alive()
        assert http("GET", f"{server.url}/api/v1/articles/").status == 200
        s = connection.settings_dict
        with psycopg.connect(
            host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"],
            password=s["PASSWORD"] or None, dbname=s["NAME"], autocommit=False,
        ) as locker:  # fmt: skip
            locker.execute("LOCK TABLE articles_article IN ACCESS EXCLUSIVE MODE")
            slow = http("GET", f"{server.url}/api/v1/articles/")
        after = http("GET", f"{server.url}/api/v1/articles/")
    finally:
        server.stop()

    assert slow.status == 503, slow.body
    assert slow.json()["code"] == "database_timeout"
    assert slow.headers["Retry-After"] == "5"
    assert 1.4 < slow.seconds < 4
    assert after.status == 200
    FAULTS.append("a statement past the timeout: cancelled, 503 database_timeout")


def test_the_configured_statement_timeout_reaches_postgresql(db):
    """DATABASES OPTIONS carry `-c statement_timeout` through psycopg 3 to the test database."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (timeout,) = cursor.fetchone()

    assert timeout == "5s"
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] == 3


def test_pg_sleep_is_cancelled_and_answered_503(client, monkeypatch):
    from articles import views

    def sleep(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(30)")

    monkeypatch.setattr(views.ArticleViewSet, "get_queryset", sleep)
    started = time.monotonic()

    response = client.get("/api/v1/articles/")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "database_timeout"
    assert time.monotonic() - started < 8  # the 5 s timeout, not the 30 s sleep


REDIS = ("127.0.0.1", 6379)
REDIS_DB = 14  # a database of its own on the shared Redis; nothing here flushes it


def redis_is_up() -> bool:
    import socket

    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_is_up(), reason="needs Redis on 127.0.0.1:6379")
def test_without_redis_the_site_serves_and_readiness_says_so(world, database_proxy, settings):
    # Signing in is throttled through the cache too; the server checks passwords with the
    # default hashers, not the tests' fast one.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    world.alice.set_password("a-long-test-password")
    world.alice.save()
    install_token(world.alice, TOKENS["alice"])  # a new password revoked her tokens
    redis_proxy = Proxy(REDIS)
    server = Gunicorn(
        server_env(
            database_proxy.port, REDIS_URL=f"redis://127.0.0.1:{redis_proxy.port}/{REDIS_DB}"
        )
    )
    try:
        server.wait_until_alive()
        with_redis = http("GET", f"{server.url}/readyz")
        cached = [http("GET", f"{server.url}/api/v1/articles/") for _ in range(2)]
        redis_proxy.cut()
        without = [
            http("GET", f"{server.url}/readyz"),
            http("GET", f"{server.url}/api/v1/articles/"),
            http("GET", f"{server.url}/api/v1/articles/{SEED_SLUG}/"),
            post_comment(server, "While Redis is down."),
            http(
                "POST",
                f"{server.url}/api/v1/auth/token/",
                body={"username": "alice", "password": "a-long-test-password"},
            ),
        ]
        redis_proxy.restore()
        time.sleep(0.5)
        back = http("GET", f"{server.url}/readyz")
    finally:
        server.stop()
        redis_proxy.close()

    assert with_redis.json() == {"database": "ok", "cache": "ok", "replicas": []}
    assert [a.status for a in cached] == [200, 200]
    assert without[0].status == 200
    assert without[0].json() == {"database": "ok", "cache": "down", "replicas": []}
    assert [a.status for a in without[1:]] == [200, 200, 201, 200]
    # Not waiting on Redis: its timeouts are half a second, and a refused connection fails at
    # once. The bound leaves room for the sign-in's full-cost password hash on a busy machine.
    assert all(a.seconds < 5 for a in without), [(a.status, round(a.seconds, 2)) for a in without]
    assert Comment.objects.filter(pk=without[3].json()["id"]).exists()
    assert back.json() == {"database": "ok", "cache": "ok", "replicas": []}
    FAULTS.append("Redis down: served without the cache, readiness said so")
