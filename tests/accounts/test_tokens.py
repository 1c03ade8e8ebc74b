import datetime as dt
import hashlib
import re

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.services import MAX_TOKENS_PER_USER, auth_token_issue
from tests.factories import ArticleFactory, ProfileFactory, UserFactory

TOKEN = "/api/v1/auth/token/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/auth/me/"
PASSWORD = "a-long-test-password"  # UserFactory's


def sign_in(api, username, password=PASSWORD):
    return api.post(TOKEN, {"username": username, "password": password}, format="json")


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def assert_invalid_token(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_token"


@pytest.mark.django_db
def test_token_is_issued_for_a_username_and_password_and_stored_hashed(api):
    UserFactory(username="ada")

    response = sign_in(api, "ada")

    assert response.status_code == 200
    token = response.json()["token"]
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    expiry = dt.datetime.fromisoformat(response.json()["expiry"])
    assert expiry - timezone.now() > dt.timedelta(days=29)
    stored = AuthToken.objects.get()
    assert stored.digest == hashlib.sha512(token.encode()).hexdigest()
    assert not AuthToken.objects.filter(digest=token).exists()
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_token_sign_in_ignores_the_username_case(api):
    UserFactory(username="ada")

    assert sign_in(api, "ADA").status_code == 200


@pytest.mark.django_db
def test_wrong_password_unknown_user_and_inactive_user_get_the_same_answer(api):
    UserFactory(username="ada")
    UserFactory(username="gone", is_active=False)

    wrong_password = sign_in(api, "ada", "not-the-password")
    unknown_user = sign_in(api, "nobody")
    inactive_user = sign_in(api, "gone")

    assert wrong_password.status_code == unknown_user.status_code == inactive_user.status_code
    assert wrong_password.status_code == 400
    bodies = [r.json() for r in (wrong_password, unknown_user, inactive_user)]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["code"] == "invalid_credentials"
    assert not AuthToken.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [{}, {"username": "ada"}, {"username": ["ada"], "password": PASSWORD}, {"password": 1}],
)
def test_token_refuses_bad_input(api, payload):
    UserFactory(username="ada")

    response = api.post(TOKEN, payload, format="json")

    assert response.status_code == 400
    assert not AuthToken.objects.exists()


@pytest.mark.django_db
def test_token_refuses_malformed_json_and_other_content_types(api):
    assert api.post(TOKEN, "{", content_type="application/json").status_code == 400
    assert api.post(TOKEN, "username=ada", content_type="text/plain").status_code == 415


@pytest.mark.django_db
def test_me_answers_who_holds_the_token(api):
    ProfileFactory(user__username="ada", display_name="Ada")
    token = sign_in(api, "ada").json()["token"]

    response = bearer(token).get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "username": "ada",
        "display_name": "Ada",
        "is_staff": False,
        "date_joined": response.json()["date_joined"],
    }
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_the_bearer_keyword_is_case_insensitive(api):
    UserFactory(username="ada")
    token = sign_in(api, "ada").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"bearer {token}")

    assert client.get(ME).status_code == 200


@pytest.mark.django_db
def test_me_without_credentials_is_401_with_a_bearer_challenge(api):
    response = api.get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        "Bearer " + "0" * 64,  # well-formed, unknown
        "Bearer",
        "Bearer a b",
        "Bearer not-a-token",
        "Bearer " + "A" * 64,  # tokens are lower-case hex
        "Bearer " + "0" * 63 + "\x00",
        "Bearer " + "é" * 64,
    ],
)
def test_an_unknown_or_malformed_token_is_401_on_personal_reads_and_writes(api, header):
    article = ArticleFactory()
    public = APIClient().get("/api/v1/articles/")
    api.credentials(HTTP_AUTHORIZATION=header)

    assert_invalid_token(api.get(ME))
    assert_invalid_token(api.post(f"/api/v1/articles/{article.slug}/comments/", {"body": "Hi"}))
    # A public read is answered as the public is: the same bytes.
    read = api.get("/api/v1/articles/")
    assert read.status_code == 200
    assert read.content == public.content


@pytest.mark.django_db
def test_an_expired_token_is_401_and_deleted(api):
    UserFactory(username="ada")
    token = sign_in(api, "ada").json()["token"]
    AuthToken.objects.update(expiry=timezone.now() - dt.timedelta(seconds=1))

    assert_invalid_token(bearer(token).get(ME))
    assert not AuthToken.objects.exists()


@pytest.mark.django_db
def test_a_token_of_a_deactivated_user_is_401(api):
    user = UserFactory(username="ada")
    token = sign_in(api, "ada").json()["token"]
    user.is_active = False
    user.save()

    assert_invalid_token(bearer(token).get(ME))


@pytest.mark.django_db
def test_logout_revokes_only_the_token_in_use(api):
    UserFactory(username="ada")
    phone = sign_in(api, "ada").json()["token"]
    laptop = sign_in(api, "ada").json()["token"]

    response = bearer(phone).post(LOGOUT)

    assert response.status_code == 204
    assert_invalid_token(bearer(phone).get(ME))
    assert bearer(laptop).get(ME).status_code == 200
    assert_invalid_token(bearer(phone).post(LOGOUT))


@pytest.mark.django_db
def test_logout_needs_a_signed_in_reader(api):
    response = api.post(LOGOUT)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.django_db
def test_a_reader_keeps_the_newest_tokens_only():
    user = UserFactory(username="ada")
    tokens = [auth_token_issue(user=user)[1] for _ in range(MAX_TOKENS_PER_USER + 2)]

    assert AuthToken.objects.count() == MAX_TOKENS_PER_USER
    assert bearer(tokens[-1]).get(ME).status_code == 200
    assert_invalid_token(bearer(tokens[0]).get(ME))


@pytest.mark.django_db
def test_signing_in_purges_the_readers_expired_tokens(api):
    UserFactory(username="ada")
    sign_in(api, "ada")
    AuthToken.objects.update(expiry=timezone.now() - dt.timedelta(days=1))

    sign_in(api, "ada")

    assert AuthToken.objects.count() == 1


@pytest.mark.django_db
def test_token_requests_are_throttled_per_client_address(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "token": "3/minute",
        },
    }
    UserFactory(username="ada")
    for _ in range(3):
        sign_in(api, "ada", "guess")

    refused = sign_in(api, "ada")

    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert not AuthToken.objects.exists()


@pytest.mark.django_db
def test_the_browser_session_works_and_needs_csrf_for_writes():
    user = UserFactory(username="ada")
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)

    assert browser.get(ME).json()["username"] == "ada"
    refused = browser.post(LOGOUT)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    csrf = "k" * 32  # the secret the csrftoken cookie holds; the header may repeat it
    browser.cookies["csrftoken"] = csrf
    signed_out = browser.post(LOGOUT, HTTP_X_CSRFTOKEN=csrf)

    assert signed_out.status_code == 204
    assert browser.get(ME).status_code == 401
