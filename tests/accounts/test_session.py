"""The browser frontend's sign-in with the session cookie (/api/v1/auth/session/): GET says who
and sets the CSRF cookie, POST signs in (a new session key and CSRF token), DELETE signs out.
Every write needs the CSRF token, the sign-in too; signing in is refused, throttled and locked
out as the token exchange is. The clients here enforce CSRF, as browsers do."""

import hashlib

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.test import APIClient

from botbeat.cache import normalized_url
from comments.models import Comment
from tests.factories import ArticleFactory, ProfileFactory, UserFactory

SESSION = "/api/v1/auth/session/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/auth/me/"
PASSWORD = "a-long-test-password"  # UserFactory's
LIMIT = 5  # LOGIN_FAILURE_LIMIT's default


def browser() -> APIClient:
    """A client that keeps cookies and, like a browser's page, is held to CSRF."""
    return APIClient(enforce_csrf_checks=True)


def csrf_of(client) -> str:
    """What the frontend does first: GET the session, for the token its writes send."""
    return client.get(SESSION).json()["csrf_token"]


def sign_in(client, username="ada", password=PASSWORD, *, csrf: str | None = None, **extra):
    token = csrf_of(client) if csrf is None else csrf
    return client.post(
        SESSION,
        {"username": username, "password": password},
        format="json",
        HTTP_X_CSRFTOKEN=token,
        **extra,
    )


def sign_out(client, csrf: str | None = None):
    return client.delete(SESSION, HTTP_X_CSRFTOKEN=csrf_of(client) if csrf is None else csrf)


def session_key(client) -> str | None:
    cookie = client.cookies.get(django_settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie is not None and cookie.value else None


def token_member(header: str) -> str:
    """The token exchange's member of a RateLimit or RateLimit-Policy list (the read limit's is
    on every answer too)."""
    return next(m.strip() for m in header.split(",") if m.strip().startswith('"token"'))


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code, body
    return body


def comment(client, article, csrf: str | None = None, body="From the browser.", **extra):
    if csrf is not None:
        extra["HTTP_X_CSRFTOKEN"] = csrf
    return client.post(
        f"/api/v1/articles/{article.slug}/comments/", {"body": body}, format="json", **extra
    )


@pytest.fixture
def ada(db):
    return ProfileFactory(user__username="ada", display_name="Ada L.").user


# GET: who, and the CSRF cookie


@pytest.mark.django_db
def test_nobody_is_signed_in_and_the_answer_sets_the_csrf_cookie_and_is_never_cached():
    client = browser()

    response = client.get(SESSION)

    assert response.status_code == 200
    assert response.json() == {"user": None, "csrf_token": response.json()["csrf_token"]}
    cookie = response.cookies["csrftoken"]
    assert cookie.value and cookie["samesite"] == "Lax" and not cookie["httponly"]
    assert cookie["path"] == "/"
    # The token in the body is a masked form of the cookie's secret: a different string each
    # time, each one good for the same cookie.
    assert response.json()["csrf_token"] != cookie.value
    assert len(response.json()["csrf_token"]) == 64
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response
    assert "Surrogate-Key" not in response
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies  # no session made
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_the_answer_is_never_stored_by_the_response_cache(settings, ada):
    settings.RESPONSE_CACHE = True
    cache.clear()
    client = browser()

    before = client.get(SESSION)
    again = client.get(SESSION)
    signed_in = sign_in(client)
    after = client.get(SESSION)

    assert before.json()["user"] is None and again.json()["user"] is None
    assert signed_in.status_code == 200
    assert after.json()["user"]["username"] == "ada"
    assert before.json()["csrf_token"] != again.json()["csrf_token"]  # computed each time
    name = normalized_url(RequestFactory().get(SESSION))
    assert cache.get("response:" + hashlib.sha256(name.encode()).hexdigest()) is None


@pytest.mark.django_db
def test_a_query_parameter_is_a_400_on_every_method(ada):
    client = browser()
    csrf = csrf_of(client)

    assert_problem(client.get(SESSION + "?user=ada"), 400, "unknown_parameter")
    refused = client.post(
        SESSION + "?next=/",
        {"username": "ada", "password": PASSWORD},
        format="json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert_problem(refused, 400, "unknown_parameter")
    assert session_key(client) is None
    assert_problem(
        client.delete(SESSION + "?all=1", HTTP_X_CSRFTOKEN=csrf), 400, "unknown_parameter"
    )


@pytest.mark.django_db
def test_a_bearer_token_is_no_session(ada, bearer_api):
    client = bearer_api(ada)

    assert client.get(SESSION).json()["user"] is None
    assert client.get(ME).json()["username"] == "ada"  # the token's own door says whose it is


# POST: signing in


@pytest.mark.django_db
def test_signing_in_without_the_csrf_token_is_a_403_and_signs_nobody_in(ada):
    client = browser()
    client.get(SESSION)  # the cookie, but no header

    missing = client.post(SESSION, {"username": "ada", "password": PASSWORD}, format="json")
    wrong = sign_in(client, csrf="x" * 64)

    for refused in (missing, wrong):
        body = assert_problem(refused, 403, "permission_denied")
        assert body["detail"].startswith("CSRF Failed")
        assert django_settings.SESSION_COOKIE_NAME not in refused.cookies
        assert '"token"' not in refused["RateLimit"]  # refused before the limit counts it
    assert not Session.objects.exists()
    assert client.get(SESSION).json()["user"] is None


@pytest.mark.django_db
def test_signing_in_without_the_csrf_cookie_is_a_403_too(ada):
    client = browser()
    token = csrf_of(client)
    client.cookies.pop("csrftoken")  # a forged request carries the header alone

    assert_problem(sign_in(client, csrf=token), 403, "permission_denied")


@pytest.mark.django_db
def test_signing_in_starts_a_new_session_with_a_new_csrf_token(ada):
    client = browser()
    # A session the browser already holds, e.g. one another site planted (session fixation).
    planted = SessionStore()
    planted["seen"] = True
    planted.create()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = planted.session_key
    old_csrf = csrf_of(client)
    old_cookie = client.cookies["csrftoken"].value

    response = sign_in(client, csrf=old_csrf, username="ADA")  # any case, as the token's

    assert response.status_code == 200
    assert response.json() == {
        "user": {
            "username": "ada",
            "display_name": "Ada L.",
            "is_staff": False,
            "date_joined": response.json()["user"]["date_joined"],
        },
        "csrf_token": response.json()["csrf_token"],
    }
    assert response["Cache-Control"] == "private, no-store"
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert cookie.value != planted.session_key
    assert not SessionStore().exists(planted.session_key)  # the planted key names nothing
    assert response.cookies["csrftoken"].value != old_cookie  # rotated, as Django's login does
    # The old token is refused now; the answer's token works.
    article = ArticleFactory()
    assert_problem(comment(client, article, csrf=old_csrf), 403, "permission_denied")
    assert comment(client, article, csrf=response.json()["csrf_token"]).status_code == 201


@pytest.mark.django_db
def test_signing_in_again_rotates_the_session_again_and_may_change_who(ada):
    UserFactory(username="bob")
    client = browser()
    sign_in(client)
    first = session_key(client)

    again = sign_in(client)
    second = session_key(client)
    as_bob = sign_in(client, "bob")

    assert again.status_code == 200 and as_bob.status_code == 200
    assert len({first, second, session_key(client)}) == 3
    assert not SessionStore().exists(first) and not SessionStore().exists(second)
    assert client.get(SESSION).json()["user"]["username"] == "bob"


@pytest.mark.django_db
def test_get_then_says_who_as_auth_me_does(ada):
    client = browser()
    sign_in(client)

    who = client.get(SESSION)
    me = client.get(ME)

    assert who.status_code == me.status_code == 200
    assert who.json()["user"] == me.json()
    assert who["Cache-Control"] == "private, no-store"
    assert "ETag" not in who


@pytest.mark.django_db
def test_a_reader_who_cannot_use_the_admin_signs_in(ada):
    client = browser()
    admin = APIClient().post("/admin/login/", {"username": "ada", "password": PASSWORD})

    assert admin.status_code == 200  # the admin's form again: readers are not staff
    assert sign_in(client).status_code == 200


@pytest.mark.django_db
def test_bad_credentials_get_the_token_exchanges_answer(ada):
    UserFactory(username="gone", is_active=False)
    client = browser()

    answers = {
        "wrong password": sign_in(client, password="not-the-password"),
        "unknown user": sign_in(client, "nobody"),
        "deactivated": sign_in(client, "gone"),
    }
    token = APIClient().post(TOKEN, {"username": "ada", "password": "nope"}, format="json")

    expected = assert_problem(token, 400, "invalid_credentials")
    del expected["instance"]
    for what, answer in answers.items():
        body = assert_problem(answer, 400, "invalid_credentials")
        assert body.pop("instance") == SESSION, what
        assert body == expected, what
    assert session_key(client) is None
    assert not Session.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [{}, {"username": "ada"}, {"username": ["ada"], "password": PASSWORD}, {"password": 1}],
)
def test_the_body_is_as_strict_as_the_token_exchanges(ada, payload):
    client = browser()

    refused = client.post(SESSION, payload, format="json", HTTP_X_CSRFTOKEN=csrf_of(client))
    extra = client.post(
        SESSION,
        {"username": "ada", "password": PASSWORD, "remember": True},
        format="json",
        HTTP_X_CSRFTOKEN=csrf_of(client),
    )

    assert refused.status_code == 400
    assert assert_problem(extra, 400, "unknown_field")["errors"][0]["code"] == "unknown_field"
    form = client.post(
        SESSION, "username=ada", content_type="text/plain", HTTP_X_CSRFTOKEN=csrf_of(client)
    )
    assert_problem(form, 415, "unsupported_media_type")


@pytest.mark.django_db
def test_a_deactivated_reader_cannot_sign_in_and_their_session_names_nobody(ada):
    client = browser()
    sign_in(client)
    ada.is_active = False
    ada.save()

    assert client.get(SESSION).json()["user"] is None
    assert_problem(sign_in(client), 400, "invalid_credentials")


@pytest.mark.django_db
def test_failed_session_sign_ins_count_toward_the_accounts_lockout(ada):
    client = browser()
    for n in range(LIMIT - 1):
        assert sign_in(client, password=f"guess-{n}").status_code == 400

    locked = sign_in(client, password="guess-last")
    right_password = sign_in(client)
    # The token exchange is the same account's door: locked too.
    token = APIClient().post(TOKEN, {"username": "ada", "password": PASSWORD}, format="json")

    for answer in (locked, right_password, token):
        assert_problem(answer, 429, "locked_out")
        assert 0 < int(answer["Retry-After"]) <= 15 * 60
    assert AccessAttempt.objects.get().failures_since_start == LIMIT
    assert session_key(client) is None


@pytest.mark.django_db
def test_signing_in_is_throttled_per_address_with_the_token_exchange(settings, ada):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "token": "3/minute"},
    }
    client = browser()
    token = APIClient().post(TOKEN, {"username": "ada", "password": PASSWORD}, format="json")

    answers = [sign_in(client) for _ in range(3)]
    elsewhere = sign_in(browser(), REMOTE_ADDR="198.51.100.7")

    assert token.status_code == 200
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [token_member(a["RateLimit"]).split(";t=")[0] for a in answers] == [
        '"token";r=1',
        '"token";r=0',
        '"token";r=0',
    ]
    refused = answers[-1]
    assert_problem(refused, 429, "throttled")
    assert 0 < int(refused["Retry-After"]) <= 60
    assert token_member(refused["RateLimit-Policy"]) == '"token";q=3;w=60'
    assert elsewhere.status_code == 200  # another address has its own budget
    # Reading and ending the session try no password and count nothing.
    for _ in range(5):
        assert client.get(SESSION).status_code == 200
    assert '"token"' not in client.get(SESSION)["RateLimit"]  # only the read limit
    assert sign_out(client).status_code == 204


# DELETE: signing out


@pytest.mark.django_db
def test_signing_out_ends_the_session(ada):
    client = browser()
    sign_in(client)
    key = session_key(client)

    response = sign_out(client)

    assert response.status_code == 204
    assert response.content == b""
    assert response.cookies[django_settings.SESSION_COOKIE_NAME].value == ""  # cleared
    assert not SessionStore().exists(key)
    assert client.get(SESSION).json()["user"] is None
    assert_problem(client.get(ME), 401, "not_authenticated")
    # The old key, replayed, names nobody.
    replay = browser()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = key
    assert replay.get(SESSION).json()["user"] is None


@pytest.mark.django_db
def test_signing_out_needs_the_csrf_token(ada):
    client = browser()
    sign_in(client)
    client.get(SESSION)

    refused = client.delete(SESSION)

    assert_problem(refused, 403, "permission_denied")
    assert client.get(SESSION).json()["user"]["username"] == "ada"


@pytest.mark.django_db
def test_signing_out_without_a_session_is_204_too(db):
    assert sign_out(browser()).status_code == 204


@pytest.mark.django_db
def test_signing_out_refuses_a_body_that_says_anything(ada):
    client = browser()
    sign_in(client)

    refused = client.delete(
        SESSION, {"everywhere": True}, format="json", HTTP_X_CSRFTOKEN=csrf_of(client)
    )

    assert assert_problem(refused, 400, "unknown_field")["errors"][0]["code"] == "unknown_field"
    assert client.get(SESSION).json()["user"]["username"] == "ada"
    empty = client.delete(SESSION, {}, format="json", HTTP_X_CSRFTOKEN=csrf_of(client))
    assert empty.status_code == 204


# Writes with the session


def test_the_api_reads_the_session_and_csrf_is_enforced_on_it():
    assert (
        "rest_framework.authentication.SessionAuthentication"
        in django_settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]
    )
    assert "django.middleware.csrf.CsrfViewMiddleware" in django_settings.MIDDLEWARE


@pytest.mark.django_db
def test_a_comment_with_the_session_needs_the_csrf_header(ada):
    article = ArticleFactory()
    client = browser()
    signed_in = sign_in(client)

    refused = comment(client, article, body="No token.")
    posted = comment(client, article, csrf=signed_in.json()["csrf_token"])

    body = assert_problem(refused, 403, "permission_denied")
    assert "CSRF" in body["detail"]
    assert posted.status_code == 201, posted.content
    assert list(Comment.objects.values_list("author__username", "body")) == [
        ("ada", "From the browser.")
    ]
    # The token of any GET of the session works as well (the same cookie's secret).
    assert comment(client, article, csrf=csrf_of(client), body="Again.").status_code == 201


@pytest.mark.django_db
def test_a_write_from_an_origin_not_trusted_is_refused(settings, ada):
    article = ArticleFactory()
    client = browser()
    csrf = sign_in(client).json()["csrf_token"]

    foreign = comment(client, article, csrf=csrf, HTTP_ORIGIN="https://evil.example")
    settings.CSRF_TRUSTED_ORIGINS = ["https://botbeat.example"]
    trusted = comment(client, article, csrf=csrf, HTTP_ORIGIN="https://botbeat.example")

    assert "Origin checking failed" in assert_problem(foreign, 403, "permission_denied")["detail"]
    assert trusted.status_code == 201
    assert Comment.objects.count() == 1


@pytest.mark.django_db
def test_cookie_settings():
    assert django_settings.SESSION_COOKIE_HTTPONLY is True
    assert django_settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert django_settings.CSRF_COOKIE_SAMESITE == "Lax"
    assert django_settings.CSRF_COOKIE_HTTPONLY is False  # the frontend's script reads it
    assert django_settings.CSRF_USE_SESSIONS is False
    # Secure over HTTPS only (BEHIND_TLS_PROXY; tests/hardening/test_deploy.py checks it on).
    assert django_settings.SESSION_COOKIE_SECURE is django_settings.BEHIND_TLS_PROXY
    assert django_settings.CSRF_COOKIE_SECURE is django_settings.BEHIND_TLS_PROXY
