"""The health probes, and outages as the API tells them: 503 with `Retry-After`, never a 500.

These run in-process on any database; tests/hardening/test_faults.py takes PostgreSQL and Redis
away from a real server.
"""

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError, connection
from psycopg import errors as pg_errors

from comments.models import Comment
from tests.hardening.conftest import SEED_SLUG, TOKENS

PROBLEM_KEYS = {"type", "title", "status", "code", "detail", "instance", "errors"}
REDIS_DOWN = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


def test_liveness_asks_nothing_of_the_database(client):
    # No database for this test: pytest-django fails any query.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert "ETag" not in response


@pytest.mark.django_db
def test_readiness_reports_the_database_and_the_cache(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "replicas": []}
    assert response["Cache-Control"] == "no-store"
    assert "ETag" not in response


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_take_no_query_parameter(client, path):
    response = client.get(path, {"verbose": "1"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_parameter"


@pytest.mark.django_db
def test_readiness_is_a_503_problem_while_the_database_is_down(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["code"] == "not_ready"
    assert body["errors"] == [
        {"field": "database", "code": "down", "message": "The database is unreachable."}
    ]


@pytest.fixture
def redis_down(settings):
    """Redis configured as in production, but unreachable: the cache degrades, nothing fails."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_DOWN,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    settings.RESPONSE_CACHE = True


@pytest.mark.django_db(transaction=True)
def test_without_redis_the_site_serves_and_readiness_says_the_cache_is_down(
    client, world, redis_down
):
    ready = client.get("/readyz")
    feed = client.get("/api/v1/articles/")
    again = client.get("/api/v1/articles/")
    posted = client.post(
        f"/api/v1/articles/{SEED_SLUG}/comments/",
        {"body": "Posted while Redis is down."},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {TOKENS['alice']}",
    )

    assert ready.status_code == 200
    assert ready.json() == {"database": "ok", "cache": "down", "replicas": []}
    assert feed.status_code == again.status_code == 200
    assert posted.status_code == 201  # the throttle fails open
    assert Comment.objects.filter(body="Posted while Redis is down.").exists()


# Outages, wherever they surface


def raising(exc):
    def view(*args, **kwargs):
        raise exc

    return view


def with_cause(exc, cause):
    exc.__cause__ = cause
    return exc


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (OperationalError("connection refused"), "database_unavailable"),
        (InterfaceError("connection already closed"), "database_unavailable"),
        (
            with_cause(OperationalError("canceling statement"), pg_errors.QueryCanceled()),
            "database_timeout",
        ),
    ],
)
def test_an_outage_in_an_api_view_is_a_503_problem(client, monkeypatch, exc, code):
    from articles import views

    monkeypatch.setattr(views.ArticleViewSet, "get_queryset", raising(exc))

    response = client.get("/api/v1/articles/")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == code
    assert b"connection" not in response.content and b"canceling" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "exc",
    [IntegrityError("duplicate key"), OperationalError("no such table: secret")],
    ids=["integrity", "sqlite-bad-query"],
)
def test_a_query_bug_is_a_500_not_an_outage(client, monkeypatch, exc):
    from articles import views

    if "no such table" in str(exc):  # what SQLite raises for a bad query
        import sqlite3

        cause = sqlite3.OperationalError("no such table: secret")
        cause.sqlite_errorname = "SQLITE_ERROR"
        exc.__cause__ = cause
    monkeypatch.setattr(views.ArticleViewSet, "get_queryset", raising(exc))
    client.raise_request_exception = False

    response = client.get("/api/v1/articles/")

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


@pytest.mark.django_db
def test_an_outage_in_a_middleware_is_a_503_too(client, monkeypatch):
    """The session is read by the authentication, before any view: outside DRF's handler."""
    from django.contrib.sessions.backends.db import SessionStore

    monkeypatch.setattr(SessionStore, "load", raising(OperationalError("connection refused")))
    client.raise_request_exception = False
    client.cookies["sessionid"] = "a" * 32

    api = client.get("/api/v1/articles/")
    admin = client.get("/admin/")

    assert api.status_code == 503
    assert api["Content-Type"] == "application/problem+json"
    assert api["Retry-After"] == "5"
    assert admin.status_code == 503
    assert admin["Retry-After"] == "5"
    assert b"Service Unavailable" in admin.content
