"""The feeds and sitemaps in the server-side response cache (botbeat/cache.py): stored and
replayed like the API's public answers, for everyone, named without the query parameters they
ignore, and purged by the writes that change them.

Every test runs on the local memory cache and on Redis (tests/response_caches.py)."""

import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Status
from articles.serializers import article_url
from articles.services import article_publish, article_tags_set, article_unpublish
from tests.factories import ArticleFactory, CompanyFactory, EditorFactory, TagFactory
from tests.response_caches import response_cache_on

# on_commit callbacks (the purges) run only outside a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

PATHS = ["/feeds/rss/", "/feeds/atom/", "/feeds/json/", "/sitemap.xml", "/sitemap-news.xml"]


@pytest.fixture(autouse=True, params=["locmem", "redis"])
def response_cache(request, settings):
    with response_cache_on(settings, request.param):
        yield request.param


@pytest.mark.parametrize("path", PATHS)
def test_a_repeated_get_is_served_without_the_database(client, path, django_assert_num_queries):
    ArticleFactory(tags=[TagFactory()])
    first = client.get(path)
    assert first.status_code == 200

    with django_assert_num_queries(0):
        again = client.get(path)
        conditional = client.get(path, headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 200
    assert again.content == first.content
    for header in ("ETag", "Content-Type", "Cache-Control", "Surrogate-Key", "Cache-Tag"):
        assert again[header] == first[header], header
    assert conditional.status_code == 304
    assert conditional["ETag"] == first["ETag"]


@pytest.mark.parametrize("path", ["/sitemap.xml", "/sitemap-news.xml"])
def test_a_sitemaps_replay_keeps_its_robots_header(client, path):
    ArticleFactory()
    client.get(path)
    assert client.get(path)["X-Robots-Tag"] == "noindex, noodp, noarchive"


def test_a_signed_in_editor_is_served_the_publics_cached_feed(client, django_assert_num_queries):
    ArticleFactory()
    ArticleFactory(status=Status.DRAFT)
    public = client.get("/feeds/json/")
    client.force_login(EditorFactory())

    with django_assert_num_queries(0):  # no session read, no role checked
        editors = client.get("/feeds/json/")

    assert editors.content == public.content
    assert len(editors.json()["items"]) == 1


def test_ignored_parameters_share_the_entry(client, django_assert_num_queries):
    ArticleFactory()
    first = client.get("/feeds/rss/")
    with django_assert_num_queries(0):
        tracked = client.get("/feeds/rss/?utm_source=newsletter&utm_medium=email")
    assert tracked.content == first.content


def test_a_sitemaps_page_is_an_entry_of_its_own(client, monkeypatch, django_assert_num_queries):
    from articles.sitemaps import ArticleSitemap

    monkeypatch.setattr(ArticleSitemap, "limit", 1)
    first, second = (
        ArticleFactory(published_at=timezone.now() - dt.timedelta(hours=2)),
        ArticleFactory(),
    )
    one = client.get("/sitemap-articles.xml")
    two = client.get("/sitemap-articles.xml?p=2")
    with django_assert_num_queries(0):
        assert client.get("/sitemap-articles.xml?p=2&utm_source=x").content == two.content
        assert client.get("/sitemap-articles.xml?utm_source=x").content == one.content
    assert one.content != two.content
    assert article_url(first.slug).encode() in one.content
    assert article_url(second.slug).encode() in two.content


@pytest.mark.parametrize("path", PATHS)
def test_a_publication_purges_the_feeds_and_sitemaps(client, path):
    ArticleFactory()
    draft = ArticleFactory(status=Status.DRAFT, title="Fresh news")
    assert article_url(draft.slug).encode() not in client.get(path).content

    article_publish(article=draft, by=None)

    assert article_url(draft.slug).encode() in client.get(path).content


@pytest.mark.parametrize("path", PATHS)
def test_an_unpublication_purges_the_feeds_and_sitemaps(client, path):
    ArticleFactory()
    article = ArticleFactory()
    assert article_url(article.slug).encode() in client.get(path).content

    article_unpublish(article=article, by=None)

    assert article_url(article.slug).encode() not in client.get(path).content


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_an_edit_purges_the_feeds_that_show_it(client, fmt):
    company = CompanyFactory(slug="acme", name="Acme")
    article = ArticleFactory(company=company, title="Before")
    tag = TagFactory(slug="ai", name="AI")
    paths = [f"/feeds/{fmt}/", f"/feeds/{fmt}/company/acme/", f"/feeds/{fmt}/category/research/"]
    for path in paths:
        assert b"Before" in client.get(path).content

    article.title = "After"
    article.save()
    for path in paths:
        assert b"After" in client.get(path).content, path

    company.name = "Acme Corporation"
    company.save()
    for path in paths:
        assert b"Acme Corporation" in client.get(path).content, path

    article_tags_set(article=article, tags=[tag])
    assert b"AI" in client.get(f"/feeds/{fmt}/tag/ai/").content
    tag.name = "Artificial Intelligence"
    tag.save()
    for path in [*paths, f"/feeds/{fmt}/tag/ai/"]:
        assert b"Artificial Intelligence" in client.get(path).content, path


def test_a_write_leaves_feeds_that_do_not_show_it(client, django_assert_num_queries):
    ArticleFactory(company=CompanyFactory(slug="acme"))
    other = CompanyFactory(slug="other")
    ArticleFactory(company=other)
    client.get("/feeds/rss/company/acme/")

    other.description = "Something else"  # shown in no feed of acme's
    other.save()

    with django_assert_num_queries(0):
        assert client.get("/feeds/rss/company/acme/").status_code == 200


def test_the_news_sitemap_is_not_replayed_once_an_article_left_its_window(client, monkeypatch):
    leaving = ArticleFactory(published_at=timezone.now() - dt.timedelta(days=2, seconds=-20))
    response = client.get("/sitemap-news.xml")
    assert article_url(leaving.slug).encode() in response.content
    max_age = int(response["Cache-Control"].split("max-age=")[1].split(",")[0])
    assert max_age <= 20  # no cache keeps it past the article's leaving

    later = timezone.now() + dt.timedelta(seconds=30)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert article_url(leaving.slug).encode() not in client.get("/sitemap-news.xml").content
