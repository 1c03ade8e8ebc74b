"""The one error shape, whatever answers the error."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from botbeat import security

PROBLEM_KEYS = {"type", "title", "status", "code", "detail", "instance", "errors"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/", "/api/v1/articles/a/b/c/"])
def test_unknown_api_urls_are_404_problems(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert set(response.json()) == PROBLEM_KEYS
    assert response.json()["instance"] == path


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
