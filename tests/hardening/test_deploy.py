"""Safe to deploy: `check --deploy` finds nothing in the production environment, every answer
carries the security headers, CORS opens the API to the frontends' origins only, the HTML pages
carry a Content-Security-Policy, no stack trace or SQL reaches a client, and the production
server (granian, as deployed, and gunicorn) refuses to start with unsafe settings and serves
with safe ones.
"""

import contextlib
import re
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, OperationalError, connection
from django.test import RequestFactory

from botbeat import errors
from tests.factories import ArticleFactory, StaffFactory
from tests.hardening.servers import SETTINGS_VARIABLES, Granian, Gunicorn, environment, http

BASE_DIR = Path(settings.BASE_DIR)
SECRET_KEY = secrets.token_urlsafe(50)  # 67 characters
# What a deployment sets (README, "Deploying"); the database is not reached by these checks.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": SECRET_KEY,
    "ALLOWED_HOSTS": "api.example.com",
    "DATABASE_URL": "postgres://botbeat@db.internal:5432/botbeat",
    "BEHIND_TLS_PROXY": "true",
    "CORS_ALLOWED_ORIGINS": "https://botbeat.example,https://m.botbeat.example",
}


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# check --deploy

# What the README's "Deploying" section exports, word for word (DEBUG is off by default), and
# the variants the README documents: an edge cache, collected static files, a known proxy count.
DEPLOYED = {
    "DATABASE_URL": "postgres://botbeat@db.internal:5432/botbeat",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "SECRET_KEY": SECRET_KEY,
    "ALLOWED_HOSTS": "api.botbeat.example",
    "BEHIND_TLS_PROXY": "true",
    "CORS_ALLOWED_ORIGINS": "https://botbeat.example",
}
DEPLOYMENTS = {
    "README's Deploying": DEPLOYED,
    "behind Varnish": {
        **DEPLOYED,
        "EDGE_PURGER": "varnish",
        "VARNISH_PURGE_URLS": "http://varnish-1:6081/,http://varnish-2:6081/",
    },
    "static files collected": {
        **DEPLOYED,
        "STATIC_ROOT": "/srv/botbeat/static",
        "WHITENOISE_USE_FINDERS": "false",
    },
    "one proxy, a frontend signing in across origins": {
        **DEPLOYED,
        "NUM_PROXIES": "1",
        "CORS_ALLOW_CREDENTIALS": "true",
    },
    "the tests' production environment": PRODUCTION_ENV,
}


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_check_deploy_finds_nothing_in_the_production_environment(deployment):
    env = environment(DEPLOYMENTS[deployment])

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    # Nothing at any level, and nothing silenced (SILENCED_SYSTEM_CHECKS is empty).
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_checks_run_with_no_setting_of_this_process():
    """Every variable settings.py reads is one `environment()` leaves out: the subprocesses get
    the deployment's environment and nothing of the tests'."""
    read = set(
        re.findall(r'env_[a-z]+\(\s*"([A-Z0-9_]+)"', (BASE_DIR / "botbeat/settings.py").read_text())
    )

    assert read and read <= SETTINGS_VARIABLES, sorted(read - SETTINGS_VARIABLES)


def test_check_deploy_warns_without_a_tls_proxy():
    env = environment(PRODUCTION_ENV, {"BEHIND_TLS_PROXY": "false"})

    result = manage("check", "--deploy", env=env)

    # HSTS, the HTTPS redirect and Secure cookies are what BEHIND_TLS_PROXY turns on.
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("credentials", "trusted", "expected"),
    [
        # Without credentials a CORS origin sends no cookie: nothing of it to trust for CSRF.
        ("false", "", []),
        ("true", "", ["https://botbeat.example", "https://m.botbeat.example"]),
        (
            "true",
            "https://*.botbeat.example",
            ["https://*.botbeat.example", "https://botbeat.example", "https://m.botbeat.example"],
        ),
        ("false", "https://admin.botbeat.example", ["https://admin.botbeat.example"]),
    ],
)
def test_csrf_trusts_the_credentialed_cors_origins_and_those_it_is_told(
    credentials, trusted, expected
):
    env = {"CORS_ALLOW_CREDENTIALS": credentials, "CSRF_TRUSTED_ORIGINS": trusted}
    script = "from django.conf import settings; print(','.join(settings.CSRF_TRUSTED_ORIGINS))"

    result = manage("shell", "-v", "0", "-c", script, env=environment(PRODUCTION_ENV, env))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ",".join(expected)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BEHIND_TLS_PROXY", "maybe"),
        ("CORS_ALLOWED_ORIGINS", "https://botbeat.example/"),
        ("CORS_ALLOWED_ORIGINS", "botbeat.example"),
        ("CSRF_TRUSTED_ORIGINS", "https://botbeat.example/path"),
        ("DATABASE_STATEMENT_TIMEOUT_MS", "5s"),
        ("DATABASE_CONNECT_TIMEOUT", "0"),
        ("API_MAX_BODY_BYTES", "64k"),
    ],
)
def test_a_bad_setting_stops_the_process(name, value):
    result = manage("check", env=environment(PRODUCTION_ENV, {name: value}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


# Security headers, on every kind of answer


def crash(*args, **kwargs):
    raise DatabaseError('relation "secret_table" does not exist LINE 1: SELECT * FROM secret')


def outage(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


@pytest.fixture
def every_kind_of_answer(db, client, monkeypatch, settings):
    """(description, response) for every way the site answers."""
    from articles import views

    settings.RESPONSE_CACHE = True
    article = ArticleFactory()
    client.raise_request_exception = False
    answers = [
        ("a feed page", client.get("/api/v1/articles/")),
        ("the same page, from the response cache", client.get("/api/v1/articles/")),
        ("an article", client.get(f"/api/v1/articles/{article.slug}/")),
        ("a 304", client.get("/api/v1/articles/", HTTP_IF_NONE_MATCH="*")),
        ("a 400", client.get("/api/v1/articles/?page_size=0")),
        ("an API 404", client.get("/api/v1/nowhere/")),
        ("a 405", client.delete("/api/v1/articles/")),
        ("a 413", client.post("/api/v1/auth/token/", b"x" * 70_000, "application/json")),
        ("the schema", client.get("/api/schema/")),
        ("Swagger UI", client.get("/api/docs/")),
        ("ReDoc", client.get("/api/redoc/")),
        ("a static file", client.get("/static/admin/css/base.css")),
        ("the admin's sign-in page", client.get("/admin/login/")),
        ("an HTML 404", client.get("/nowhere/")),
        ("liveness", client.get("/healthz")),
        ("readiness", client.get("/readyz")),
    ]
    monkeypatch.setattr(views.ArticleViewSet, "get_queryset", crash)
    answers.append(("a 500", client.get("/api/v1/articles/?page_size=2")))
    monkeypatch.setattr(views.ArticleViewSet, "get_queryset", outage)
    answers.append(("a 503", client.get("/api/v1/articles/?page_size=3")))
    return answers


def test_every_answer_carries_the_security_headers(every_kind_of_answer):
    for what, response in every_kind_of_answer:
        assert response["X-Content-Type-Options"] == "nosniff", what
        assert response["Referrer-Policy"] == "same-origin", what
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", what
        assert response["X-Frame-Options"] == "DENY", what
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], what
        assert "object-src 'none'" in response["Content-Security-Policy"], what
    kinds = {what: response.status_code for what, response in every_kind_of_answer}
    assert kinds["the same page, from the response cache"] == 200
    assert (kinds["a 304"], kinds["a 413"], kinds["a 500"], kinds["a 503"]) == (304, 413, 500, 503)


def test_hsts_and_the_https_redirect_behind_a_tls_proxy(client, db, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = settings.SECURE_HSTS_PRELOAD = True

    plain = client.get("/api/v1/articles/")
    tls = client.get("/api/v1/articles/", HTTP_X_FORWARDED_PROTO="https")
    probe = client.get("/healthz")

    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert tls["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert probe.status_code == 200  # probes come over plain HTTP from inside the network


# CORS

FRONTEND = "https://botbeat.example"


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]


def test_a_frontend_origin_may_call_the_api_with_a_token_and_a_validator(client, db, cors):
    preflight = client.options(
        "/api/v1/articles/",
        HTTP_ORIGIN=FRONTEND,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, if-none-match",
    )
    response = client.get("/api/v1/articles/", HTTP_ORIGIN=FRONTEND)

    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == FRONTEND
    allowed = {h.strip() for h in preflight["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "if-none-match", "content-type"} <= allowed
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "location", "retry-after"} <= exposed
    assert "origin" in response["Vary"].lower()  # a CDN keeps one copy per origin


def test_a_posting_frontend_gets_its_preflight(client, db, cors):
    preflight = client.options(
        "/api/v1/articles/some-slug/comments/",
        HTTP_ORIGIN=FRONTEND,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )

    assert preflight["Access-Control-Allow-Origin"] == FRONTEND
    assert "POST" in preflight["Access-Control-Allow-Methods"]


def test_other_origins_and_other_paths_get_no_cors(client, db, cors):
    elsewhere = client.get("/api/v1/articles/", HTTP_ORIGIN="https://evil.example")
    admin = client.get("/admin/login/", HTTP_ORIGIN=FRONTEND)

    assert "Access-Control-Allow-Origin" not in elsewhere
    assert "Access-Control-Allow-Origin" not in admin


def test_cors_origins_come_from_the_environment(monkeypatch):
    from botbeat import settings as module

    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://a.example, http://localhost:3000")
    assert module.env_origins("CORS_ALLOWED_ORIGINS") == [
        "https://a.example",
        "http://localhost:3000",
    ]
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://a.example/path")
    with pytest.raises(ImproperlyConfigured, match="not an origin"):
        module.env_origins("CORS_ALLOWED_ORIGINS")


# Content-Security-Policy


def nonce_of(response) -> str:
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)


def test_swagger_ui_scripts_and_styles_carry_the_nonce(client, db):
    response = client.get("/api/docs/")
    html = response.content.decode()
    nonce = nonce_of(response)

    assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<style[^>]*>", html))
    assert "cdn" not in html.lower() and "googleapis" not in html


def test_redoc_gets_its_wider_policy_and_loads_nothing_from_elsewhere(client, db):
    response = client.get("/api/redoc/")
    policy = response["Content-Security-Policy"]

    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "worker-src 'self' blob:" in policy
    assert f'nonce="{nonce_of(response)}"' in response.content.decode()
    assert "googleapis" not in response.content.decode()


def test_the_admin_pages_carry_the_policy(client, db):
    client.force_login(StaffFactory(is_superuser=True))

    for path in ("/admin/", "/admin/articles/article/", "/admin/articles/article/add/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response["Content-Security-Policy"], path


# No stack trace, no SQL


def test_a_crash_in_the_api_shows_neither_a_trace_nor_sql(client, db, monkeypatch):
    from articles import views

    def bad_sql(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT secret_column FROM secret_table")

    monkeypatch.setattr(views.ArticleViewSet, "get_queryset", bad_sql)
    client.raise_request_exception = False

    response = client.get("/api/v1/articles/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "server_error"
    for secret in (b"secret", b"SELECT", b"Traceback", b"File "):
        assert secret not in response.content


@pytest.mark.parametrize(("error", "status"), [(crash, 500), (outage, 503)])
def test_html_error_pages_show_neither_a_trace_nor_sql(error, status):
    request = RequestFactory().get("/admin/articles/article/")
    try:
        error()
    except DatabaseError:
        response = errors.handler500(request)

    assert response.status_code == status
    for secret in (b"secret", b"SELECT", b"Traceback", b"127.0.0.1", b"refused"):
        assert secret not in response.content


def test_debug_is_off_and_errors_are_not_propagated():
    assert settings.DEBUG is False
    assert settings.DEBUG_PROPAGATE_EXCEPTIONS is False


# The production entry point


@pytest.mark.parametrize(
    ("unsafe", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short-and-known"}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": "a" * 60}, "SECRET_KEY is too weak"),
        ({"DEBUG": "true"}, "DEBUG is on with public ALLOWED_HOSTS"),
    ],
)
@pytest.mark.parametrize("server_class", [Granian, Gunicorn])
def test_the_server_refuses_to_start_with_unsafe_settings(unsafe, message, server_class, tmp_path):
    env = environment(PRODUCTION_ENV, {"DATABASE_URL": f"sqlite:///{tmp_path}/db"}, unsafe)
    server = server_class(env, workers=1)
    try:
        server.process.wait(timeout=60)
    finally:
        output = server.stop()

    assert server.process.returncode != 0
    assert "Refusing to start" in output and message in output


@pytest.mark.parametrize("server_class", [Granian, Gunicorn])
def test_the_server_serves_with_production_settings(server_class, tmp_path):
    env = environment(
        PRODUCTION_ENV,
        {"ALLOWED_HOSTS": "api.example.com,127.0.0.1", "DATABASE_URL": f"sqlite:///{tmp_path}/db"},
    )
    server = server_class(env, workers=1)
    try:
        server.wait_until_alive()
        alive = http("GET", f"{server.url}/healthz")
        redirected = http("GET", f"{server.url}/api/v1/articles/")
        over_tls = http("GET", f"{server.url}/healthz", **{"X-Forwarded-Proto": "https"})
        huge = raw_post(server.port, b'{"username": "' + b"x" * 1024 * 1024 + b'"}')
        chunked = raw_post(server.port, b'{"username": "x", "password": "y"}', chunked=True)
    finally:
        server.stop()

    assert (alive.status, alive.body) == (200, b'{"status":"ok"}')
    assert alive.headers["Cache-Control"] == "no-store"
    assert alive.headers["X-Content-Type-Options"] == "nosniff"
    assert redirected.status == 301
    assert redirected.headers["Location"].startswith("https://127.0.0.1")
    assert over_tls.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert huge.startswith(b"HTTP/1.1 413 ") and b"payload_too_large" in huge
    assert chunked.startswith(b"HTTP/1.1 411 ") and b"length_required" in chunked


def raw_post(port: int, body: bytes, chunked: bool = False) -> bytes:
    """POST /api/v1/auth/token/ over a plain socket, as a client sends it: the answer's bytes."""
    head = [
        "POST /api/v1/auth/token/ HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "X-Forwarded-Proto: https",
        "Content-Type: application/json",
        "Connection: close",
        "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}",
    ]
    if chunked:
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall("\r\n".join(head).encode() + b"\r\n\r\n")
        with contextlib.suppress(OSError):  # the server may answer and close before the end
            sock.sendall(body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer
