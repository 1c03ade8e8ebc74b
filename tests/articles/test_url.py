"""`url` on every article: its page on the website, from ARTICLE_URL_TEMPLATE."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from botbeat.settings import env_url_template
from tests.factories import ArticleFactory, CompanyFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    company, tag = CompanyFactory(), TagFactory()
    article = ArticleFactory(slug="the-article", company=company, tags=[tag])
    ArticleFactory(company=company, tags=[tag])
    ArticleFactory(tags=[tag])
    return article


def every_article(client) -> list[dict]:
    base = "/api/v1/articles/the-article/"
    page = client.get(f"{base}page/").json()
    return [
        *client.get("/api/v1/articles/").json()["results"],
        client.get(base).json(),
        *client.get(f"{base}more-from-company/").json()["results"],
        *client.get(f"{base}suggested/").json()["results"],
        page["article"],
        *page["more_from_company"]["results"],
        *page["suggested"]["results"],
    ]


def test_every_representation_links_the_website_right_after_the_slug(article):
    items = every_article(APIClient())

    assert len(items) == 9
    for item in items:
        assert item["url"] == f"https://botbeat.example/articles/{item['slug']}/"
        assert list(item)[:2] == ["slug", "url"]


def test_the_template_is_a_setting(article, settings):
    settings.ARTICLE_URL_TEMPLATE = "https://news.example/a/{slug}?from=api"

    for item in every_article(APIClient()):
        assert item["url"] == f"https://news.example/a/{item['slug']}?from=api"


@pytest.mark.parametrize(
    "value",
    [
        "https://botbeat.example/articles/",  # no {slug}
        "/articles/{slug}/",  # not absolute
        "botbeat.example/articles/{slug}/",
        "ftp://botbeat.example/{slug}",
        "javascript:alert('{slug}')",
        "https:///{slug}",
        "https://botbeat.example/{id}/{slug}/",  # another placeholder: a typo
        "https://botbeat.example/{slug/",
        "https://botbeat.example/ {slug}",
        "http://[::1/{slug}",
    ],
)
def test_a_template_that_is_no_absolute_http_url_with_a_slug_stops_the_start(monkeypatch, value):
    monkeypatch.setenv("ARTICLE_URL_TEMPLATE", value)

    with pytest.raises(ImproperlyConfigured, match="ARTICLE_URL_TEMPLATE"):
        env_url_template("ARTICLE_URL_TEMPLATE", "https://botbeat.example/articles/{slug}/")


@pytest.mark.parametrize(
    "value",
    [
        "https://botbeat.example/articles/{slug}/",
        "http://localhost:3000/{slug}",
        "https://botbeat.example/{slug}#comments-{slug}",
    ],
)
def test_an_absolute_http_url_with_a_slug_is_taken(monkeypatch, value):
    monkeypatch.setenv("ARTICLE_URL_TEMPLATE", value)

    assert env_url_template("ARTICLE_URL_TEMPLATE", "https://x.example/{slug}") == value


def test_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("ARTICLE_URL_TEMPLATE", raising=False)

    assert env_url_template("ARTICLE_URL_TEMPLATE", "https://botbeat.example/articles/{slug}/") == (
        "https://botbeat.example/articles/{slug}/"
    )
