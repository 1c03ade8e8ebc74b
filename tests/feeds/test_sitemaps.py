"""The sitemaps (articles/sitemaps.py): every published article's page with its last change,
split into an index past one sitemap's limit, and the Google News sitemap of two days."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from articles.models import Status
from articles.serializers import article_url
from articles.sitemaps import ArticleSitemap
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


def ago(**kwargs) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


def fetch(client, path: str, status: int = 200, **headers):
    response = client.get(path, headers=headers)
    assert response.status_code == status, (path, response.status_code, response.content[:500])
    return response


def urlset(client, path: str) -> list[tuple[str, str]]:
    """The (loc, lastmod) pairs of a sitemap."""
    root = ET.fromstring(fetch(client, path).content)
    assert root.tag == f"{{{NS['sm']}}}urlset"
    return [
        (url.findtext("sm:loc", namespaces=NS), url.findtext("sm:lastmod", namespaces=NS))
        for url in root.findall("sm:url", NS)
    ]


def test_the_sitemap_lists_every_public_article_with_its_last_change(client):
    old = ArticleFactory(published_at=ago(days=400))
    new = ArticleFactory(published_at=ago(hours=1))
    ArticleFactory(status=Status.DRAFT)
    ArticleFactory(published_at=ago(hours=-1))  # scheduled

    response = fetch(client, "/sitemap.xml")

    assert response["Content-Type"] == "application/xml"
    assert urlset(client, "/sitemap.xml") == [
        (article_url(old.slug), old.updated_at.isoformat()),
        (article_url(new.slug), new.updated_at.isoformat()),
    ]
    assert "Last-Modified" not in response  # the newest lastmod stays when an article leaves


def test_past_its_limit_the_sitemap_is_an_index_of_pages(client, monkeypatch):
    monkeypatch.setattr(ArticleSitemap, "limit", 2)
    articles = [ArticleFactory(published_at=ago(hours=10 - i)) for i in range(5)]
    ArticleFactory(status=Status.DRAFT)

    root = ET.fromstring(fetch(client, "/sitemap.xml").content)

    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    pages = [s.findtext("sm:loc", namespaces=NS) for s in root.findall("sm:sitemap", NS)]
    assert pages == [
        "http://testserver/sitemap-articles.xml",
        "http://testserver/sitemap-articles.xml?p=2",
        "http://testserver/sitemap-articles.xml?p=3",
    ]
    newest = max(a.updated_at for a in articles)
    assert {s.findtext("sm:lastmod", namespaces=NS) for s in root.findall("sm:sitemap", NS)} == {
        newest.isoformat()
    }
    listed = [
        loc for page in pages for loc, _ in urlset(client, page.removeprefix("http://testserver"))
    ]
    assert listed == [article_url(a.slug) for a in articles]  # oldest first, each once


def test_a_page_past_the_last_and_an_unknown_section_are_404_problems(client, monkeypatch):
    monkeypatch.setattr(ArticleSitemap, "limit", 2)
    ArticleFactory()
    for path in ("/sitemap-articles.xml?p=2", "/sitemap-articles.xml?p=x", "/sitemap-nope.xml"):
        response = fetch(client, path, status=404)
        assert response["Content-Type"] == "application/problem+json", path
        assert response["Cache-Control"] == "private, no-store"


def test_the_news_sitemap_holds_the_last_two_days_newest_first(client):
    ArticleFactory(published_at=ago(days=2, minutes=1))  # just outside
    inside = ArticleFactory(published_at=ago(days=1, hours=23), title="Two & <days>")
    newest = ArticleFactory(published_at=ago(minutes=5))
    ArticleFactory(status=Status.DRAFT, published_at=ago(hours=1))
    ArticleFactory(published_at=ago(hours=-1))  # scheduled

    root = ET.fromstring(fetch(client, "/sitemap-news.xml").content)

    assert root.tag == f"{{{NS['sm']}}}urlset"
    urls = root.findall("sm:url", NS)
    assert [url.findtext("sm:loc", namespaces=NS) for url in urls] == [
        article_url(newest.slug),
        article_url(inside.slug),
    ]
    news = urls[1].find("news:news", NS)
    assert news.findtext("news:publication/news:name", namespaces=NS) == "BotBeat"
    assert news.findtext("news:publication/news:language", namespaces=NS) == "en"
    assert news.findtext("news:publication_date", namespaces=NS) == inside.published_at.isoformat()
    assert news.findtext("news:title", namespaces=NS) == "Two & <days>"


def test_the_news_sitemap_is_kept_no_longer_than_its_oldest_article_stays(client):
    ArticleFactory(published_at=ago(days=2, seconds=-10))
    response = fetch(client, "/sitemap-news.xml")
    assert response["Cache-Control"].startswith("public")
    max_age = int(response["Cache-Control"].split("max-age=")[1].split(",")[0])
    assert max_age <= 10
    s_maxage = int(response["Cache-Control"].split("s-maxage=")[1])
    assert s_maxage <= 10
    revalidated = fetch(client, "/sitemap-news.xml", status=304, if_none_match=response["ETag"])
    assert int(revalidated["Cache-Control"].split("max-age=")[1].split(",")[0]) <= 10


@pytest.mark.parametrize("path", ["/sitemap.xml", "/sitemap-news.xml"])
def test_sitemaps_answer_like_public_answers(client, path):
    article = ArticleFactory()
    response = fetch(client, path)
    assert response["Cache-Control"] == "public, max-age=30, s-maxage=60"
    assert response["Surrogate-Key"] == "botbeat feed"
    assert response["Cache-Tag"] == "botbeat,feed"
    assert response["RateLimit-Policy"].startswith('"read"')
    assert fetch(client, path, status=304, if_none_match=response["ETag"]).content == b""

    article.title = "Changed"
    article.save()
    assert fetch(client, path, if_none_match=response["ETag"])["ETag"] != response["ETag"]


@pytest.mark.parametrize("path", ["/sitemap.xml", "/sitemap-news.xml", "/sitemap-articles.xml"])
def test_a_sitemap_costs_the_same_queries_whatever_its_length(
    client, path, django_assert_num_queries
):
    ArticleFactory()
    with django_assert_num_queries(2):  # the count (Django's paginator), the page's rows
        fetch(client, path)
    for _ in range(20):
        ArticleFactory()
    with django_assert_num_queries(2):
        fetch(client, path)
