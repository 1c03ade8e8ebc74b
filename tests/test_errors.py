"""The one error shape, whatever answers the error."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from botbeat import security

PROBLEM_KEYS = {"type", "title", "status", "code", "detail", "instance", "errors"}


UNKNOWN_API_PATHS = [
    "/api/v1/nope/",
    "/api/",
    "/api/v1/articles/a/b/c/",
    "/api/v2/",
    "/api/v1/nope",
]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["DEBUG off", "DEBUG on"])
@pytest.mark.parametrize("path", UNKNOWN_API_PATHS)
def test_unknown_api_urls_are_404_problems_whatever_debug_is(client, settings, path, debug):
    """With DEBUG on, Django answers an unknown URL with its technical page (HTML) unless a
    route matches it: the API's catch-all (botbeat.errors.api_not_found) does."""
    settings.DEBUG = debug

    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert set(response.json()) == PROBLEM_KEYS
    assert response.json()["code"] == "not_found"
    assert response.json()["instance"] == path


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["DEBUG off", "DEBUG on"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options", "head"])
def test_every_method_on_an_unknown_api_url_is_a_404_problem(client, settings, method, debug):
    settings.DEBUG = debug

    response = getattr(client, method)("/api/v1/nope/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_a_signed_in_post_to_an_unknown_api_url_is_told_404_not_refused_for_csrf(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/api/v1/nope/", {}, content_type="application/json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["DEBUG off", "DEBUG on"])
def test_a_known_api_path_without_its_slash_redirects_to_it(client, settings, debug):
    settings.DEBUG = debug

    response = client.get("/api/v1/articles?page_size=5")
    index = client.get("/api/v1")

    assert response.status_code == 301
    assert response["Location"] == "/api/v1/articles/?page_size=5"
    assert (index.status_code, index["Location"]) == (301, "/api/v1/")


@pytest.mark.django_db
def test_a_write_to_a_known_path_without_its_slash_is_a_404_not_a_redirect(client):
    """A 301 would have the client send its body again as a GET, or drop it."""
    response = client.post("/api/v1/articles", {}, content_type="application/json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_a_known_path_answers_405_for_a_method_it_does_not_allow_whatever_debug_is(api, settings):
    settings.DEBUG = True

    response = api.put("/api/v1/articles/", {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"cursor": "not-a-cursor"}, "invalid_cursor", "cursor"),
        ({"page_size": "101"}, "max_value", "page_size"),
        ({"pagesize": "5"}, "unknown_parameter", "pagesize"),
        ({"published_after": "20260101"}, "invalid", "published_after"),
    ],
)
def test_one_error_gives_the_problem_its_own_code(api, query, code, field):
    response = api.get("/api/v1/articles/", query)

    assert response.status_code == 400
    body = response.json()
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, code)]
    assert body["code"] == code


@pytest.mark.django_db
def test_several_errors_give_the_generic_code_and_each_its_own(api):
    response = api.get("/api/v1/articles/", {"pagesize": "5", "sort": "new"})

    body = response.json()
    assert body["code"] == "invalid"
    assert sorted((e["field"], e["code"]) for e in body["errors"]) == [
        ("pagesize", "unknown_parameter"),
        ("sort", "unknown_parameter"),
    ]


@pytest.mark.django_db
def test_one_error_in_a_body_gives_the_problem_its_own_code(api, fast_password_hasher):
    from tests.factories import UserFactory

    UserFactory(username="taken")

    response = api.post(
        "/api/v1/auth/register/",
        {"username": "taken", "password": "an-unusual-passphrase-42"},
        format="json",
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["username"]
    assert response.json()["code"] == response.json()["errors"][0]["code"] == "unique"


@pytest.mark.django_db
def test_unknown_urls_outside_the_api_stay_html(client):
    response = client.get("/nowhere/")

    assert response.status_code == 404
    assert "json" not in response["Content-Type"]


@pytest.mark.django_db
def test_writing_to_the_read_api_is_405_problem(api):
    response = api.post("/api/v1/articles/", {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_a_crash_is_a_500_problem_without_a_trace(api, monkeypatch):
    from articles import views

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views.ArticleViewSet, "get_queryset", boom)
    api.raise_request_exception = False

    response = api.get("/api/v1/articles/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "server_error"
    assert b"secret internals" not in response.content


def test_production_refuses_the_development_secret_key(settings):
    settings.SECRET_KEY = settings.INSECURE_DEV_SECRET_KEY

    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        security.check_production_settings()


def test_production_refuses_a_short_secret_key(settings):
    settings.SECRET_KEY = "short-but-not-default"

    with pytest.raises(ImproperlyConfigured, match="too weak"):
        security.check_production_settings()


def test_production_refuses_debug_with_public_hosts(settings):
    settings.SECRET_KEY = "k" * 10 + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"
    settings.DEBUG = True
    settings.ALLOWED_HOSTS = ["botbeat.example"]

    with pytest.raises(ImproperlyConfigured, match="DEBUG"):
        security.check_production_settings()


def test_production_accepts_a_real_configuration(settings):
    settings.SECRET_KEY = "k" * 10 + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["botbeat.example"]

    security.check_production_settings()
