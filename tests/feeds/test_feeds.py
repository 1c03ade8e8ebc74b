"""The RSS, Atom and JSON feeds (articles/feeds.py): parsed back as readers parse them
(feedparser), JSON Feed held to its specification's fields, the public's visibility, the
selections, their order and length, the 404s, ETags and cache headers, and the query count."""

import datetime as dt
import html

import feedparser
import pytest
from django.utils import timezone
from django.utils.xmlutils import SimplerXMLGenerator

from articles.feeds import FEED_LENGTH, ITEMS, AtomFeed, RssFeed, article_guid
from articles.models import Category, Status
from articles.serializers import article_url, make_excerpt
from articles.services import article_rename
from botbeat.redirects import slug_renamed
from tests.factories import (
    ArticleFactory,
    CompanyFactory,
    EditorFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

FORMATS = ["rss", "atom", "json"]
XML_FORMATS = ["rss", "atom"]
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json",
}
# JSON Feed 1.1 (https://jsonfeed.org/version/1.1): what the top level and an item must be.
JSON_FEED_TOP = {
    "version": str,
    "title": str,
    "home_page_url": str,
    "feed_url": str,
    "description": str,
    "language": str,
    "items": list,
}
JSON_FEED_ITEM = {
    "id": str,
    "url": str,
    "title": str,
    "summary": str,
    "content_text": str,
    "date_published": str,
    "date_modified": str,
    "authors": list,
    "tags": list,
}


def ago(**kwargs) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


def get_feed(client, path: str, status: int = 200, **headers):
    response = client.get(path, headers=headers)
    assert response.status_code == status, (path, response.status_code, response.content[:500])
    return response


def entries(client, fmt: str, path: str = "") -> list[dict]:
    """The feed's items as (id, link, title) dicts, whichever format."""
    response = get_feed(client, f"/feeds/{fmt}/{path}")
    if fmt == "json":
        return [
            {"id": item["id"], "link": item["url"], "title": item["title"]}
            for item in response.json()["items"]
        ]
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return [{"id": e.id, "link": e.link, "title": e.title} for e in parsed.entries]


def links(client, fmt: str, path: str = "") -> list[str]:
    return [entry["link"] for entry in entries(client, fmt, path)]


@pytest.fixture
def article():
    """A published article with a summary that needs escaping, and tags out of name order."""
    return ArticleFactory(
        title="OpenAI & friends <advance> alignment",
        company=CompanyFactory(name="OpenAI", slug="openai"),
        category=Category.RESEARCH,
        summary="First <paragraph> & more.\n\nSecond paragraph.",
        published_at=ago(hours=3),
        tags=[
            TagFactory(name="Reinforcement Learning", slug="rl"),
            TagFactory(name="AI Safety", slug="ai-safety"),
        ],
    )


def test_rss_parses_back_with_every_field(client, article):
    response = get_feed(client, "/feeds/rss/")
    assert response["Content-Type"] == CONTENT_TYPES["rss"]

    parsed = feedparser.parse(response.content)

    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "rss20"
    assert parsed.feed.title == "BotBeat"
    assert parsed.feed.link == "https://botbeat.example/"
    assert parsed.feed.language == "en"
    (entry,) = parsed.entries
    assert entry.title == "OpenAI & friends <advance> alignment"
    assert entry.link == article_url(article.slug) == entry.links[0].href
    assert entry.id == article_guid(article.pk)
    assert not entry.guidislink
    # The excerpt, as HTML (RSS's description is): its text is the excerpt.
    assert html.unescape(entry.summary) == make_excerpt(article.summary)
    assert entry.content[0].value == (
        "<p>First &lt;paragraph&gt; &amp; more.</p>\n\n<p>Second paragraph.</p>"
    )
    assert entry.author == "OpenAI"
    assert [tag.term for tag in entry.tags] == ["Reinforcement Learning", "AI Safety"]
    assert dt.datetime(*entry.published_parsed[:6], tzinfo=dt.UTC) == article.published_at.replace(
        microsecond=0
    )
    assert entry.updated.startswith(article.updated_at.isoformat()[:19])


def test_atom_parses_back_with_every_field(client, article):
    response = get_feed(client, "/feeds/atom/")
    assert response["Content-Type"] == CONTENT_TYPES["atom"]

    parsed = feedparser.parse(response.content)

    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    assert parsed.feed.title == "BotBeat"
    assert parsed.feed.id == "tag:botbeat.example,2026:feed"
    assert parsed.feed.links[0].href == "https://botbeat.example/"
    assert parsed.feed.links[1].rel == "self"
    assert parsed.feed.links[1].href == "http://testserver/feeds/atom/"
    (entry,) = parsed.entries
    assert entry.title == "OpenAI & friends <advance> alignment"
    assert entry.link == article_url(article.slug)
    assert entry.id == article_guid(article.pk)
    assert html.unescape(entry.summary) == make_excerpt(article.summary)
    (content,) = entry.content
    assert content.type == "text/plain"
    assert content.value == article.summary
    assert entry.author == "OpenAI"
    assert [tag.term for tag in entry.tags] == ["Reinforcement Learning", "AI Safety"]
    assert entry.published == article.published_at.isoformat()
    assert entry.updated == article.updated_at.isoformat()


def test_json_feed_has_the_specifications_fields_and_types(client, article):
    response = get_feed(client, "/feeds/json/")
    assert response["Content-Type"] == CONTENT_TYPES["json"]

    feed = response.json()

    assert set(feed) == set(JSON_FEED_TOP)
    for name, kind in JSON_FEED_TOP.items():
        assert isinstance(feed[name], kind), name
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["home_page_url"] == "https://botbeat.example/"
    assert feed["feed_url"] == "http://testserver/feeds/json/"
    (item,) = feed["items"]
    assert set(item) == set(JSON_FEED_ITEM)
    for name, kind in JSON_FEED_ITEM.items():
        assert isinstance(item[name], kind), name
    assert item == {
        "id": article_guid(article.pk),
        "url": article_url(article.slug),
        "title": "OpenAI & friends <advance> alignment",
        "summary": make_excerpt(article.summary),
        "content_text": article.summary,
        "date_published": article.published_at.isoformat().replace("+00:00", "Z"),
        "date_modified": article.updated_at.isoformat().replace("+00:00", "Z"),
        "authors": [{"name": "OpenAI"}],
        "tags": ["Reinforcement Learning", "AI Safety"],
    }
    # RFC 3339 dates, as the specification asks.
    assert dt.datetime.fromisoformat(item["date_published"]) == article.published_at


@pytest.mark.parametrize("fmt", FORMATS)
def test_drafts_and_scheduled_articles_are_never_in_a_feed(client, fmt):
    public = ArticleFactory(published_at=ago(hours=1))
    draft = ArticleFactory(status=Status.DRAFT, published_at=ago(hours=2))
    scheduled = ArticleFactory(published_at=ago(hours=-1))
    shown = links(client, fmt)
    assert shown == [article_url(public.slug)]
    assert article_url(draft.slug) not in shown
    assert article_url(scheduled.slug) not in shown


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_editor_gets_the_publics_feed(client, fmt):
    public = ArticleFactory()
    ArticleFactory(status=Status.DRAFT)
    client.force_login(EditorFactory())
    response = get_feed(client, f"/feeds/{fmt}/")
    assert response["Cache-Control"] == "public, max-age=30, s-maxage=60"
    assert links(client, fmt) == [article_url(public.slug)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_newest_first_and_at_most_fifty(client, fmt):
    base = ago(days=1)
    articles = [ArticleFactory(published_at=base + dt.timedelta(minutes=i)) for i in range(52)]
    shown = links(client, fmt)
    assert len(shown) == FEED_LENGTH
    assert shown == [article_url(a.slug) for a in reversed(articles)][:FEED_LENGTH]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_company_feed_holds_that_companys_public_articles(client, fmt):
    openai = CompanyFactory(name="OpenAI", slug="openai")
    first = ArticleFactory(company=openai, published_at=ago(hours=2))
    second = ArticleFactory(company=openai, published_at=ago(hours=1))
    ArticleFactory(company=openai, status=Status.DRAFT)
    ArticleFactory()  # another company's
    assert links(client, fmt, "company/openai/") == [
        article_url(second.slug),
        article_url(first.slug),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_tag_feed_holds_the_public_articles_carrying_it(client, fmt):
    tag = TagFactory(name="Generative AI", slug="generative-ai")
    other = TagFactory()
    tagged = ArticleFactory(tags=[other, tag], published_at=ago(hours=2))
    also = ArticleFactory(tags=[tag], published_at=ago(hours=1))
    ArticleFactory(tags=[other])
    ArticleFactory(tags=[tag], status=Status.DRAFT)
    assert links(client, fmt, "tag/generative-ai/") == [
        article_url(also.slug),
        article_url(tagged.slug),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_category_feed_holds_that_categorys_public_articles(client, fmt):
    funding = ArticleFactory(category=Category.FUNDING)
    ArticleFactory(category=Category.RESEARCH)
    assert links(client, fmt, "category/funding/") == [article_url(funding.slug)]
    assert links(client, fmt, "category/policy/") == []  # a category: no article, no 404


def test_the_selections_titles_name_them(client):
    openai = CompanyFactory(name="OpenAI", slug="openai")
    ArticleFactory(
        company=openai, category=Category.PRODUCT_LAUNCH, tags=[TagFactory(name="GPT", slug="gpt")]
    )
    titles = {
        path: get_feed(client, f"/feeds/json/{path}").json()["title"]
        for path in ("", "company/openai/", "tag/gpt/", "category/product_launch/")
    }
    assert titles == {
        "": "BotBeat",
        "company/openai/": "BotBeat: OpenAI",
        "tag/gpt/": "BotBeat: GPT",
        "category/product_launch/": "BotBeat: Product Launch",
    }
    atom = feedparser.parse(get_feed(client, "/feeds/atom/tag/gpt/").content)
    assert atom.feed.id == "tag:botbeat.example,2026:feed/tag/gpt"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "path",
    [
        "company/nobody/",
        "company/drafts-only/",
        "company/scheduled-only/",
        "tag/nothing/",
        "tag/on-a-draft/",
        "tag/on-a-scheduled-one/",
        "category/gossip/",
    ],
)
def test_what_no_public_article_carries_is_a_404_problem(client, fmt, path):
    ArticleFactory(company=CompanyFactory(slug="drafts-only"), status=Status.DRAFT)
    ArticleFactory(company=CompanyFactory(slug="scheduled-only"), published_at=ago(hours=-2))
    ArticleFactory(tags=[TagFactory(slug="on-a-draft")], status=Status.DRAFT)
    ArticleFactory(tags=[TagFactory(slug="on-a-scheduled-one")], published_at=ago(hours=-2))
    ArticleFactory()

    response = get_feed(client, f"/feeds/{fmt}/{path}", status=404)

    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
    assert response.json()["instance"] == f"/feeds/{fmt}/{path}"
    assert response["Cache-Control"] == "private, no-store"
    assert "Surrogate-Key" not in response


def test_an_unknown_feed_path_is_a_404_problem(client):
    response = get_feed(client, "/feeds/xml/", status=404)
    assert response["Content-Type"] == "application/problem+json"


def test_a_feed_without_its_slash_redirects_to_it(client):
    response = get_feed(client, "/feeds/rss", status=301)
    assert response["Location"] == "/feeds/rss/"


@pytest.mark.parametrize(("kind", "factory"), [("company", CompanyFactory), ("tag", TagFactory)])
def test_an_old_slug_redirects_to_the_feed_at_the_slug_now(client, kind, factory):
    thing = factory(slug="new-slug")
    if kind == "company":
        ArticleFactory(company=thing)
    else:
        ArticleFactory(tags=[thing])
    slug_renamed(obj=thing, old_slug="old-slug")

    response = get_feed(client, f"/feeds/atom/{kind}/old-slug/", status=301)

    assert response["Location"] == f"http://testserver/feeds/atom/{kind}/new-slug/"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_query_parameters_are_ignored(client, fmt):
    ArticleFactory()
    plain = get_feed(client, f"/feeds/{fmt}/")
    tracked = get_feed(client, f"/feeds/{fmt}/?utm_source=reader&page_size=3&preview=x")
    assert tracked.content == plain.content
    assert tracked["ETag"] == plain["ETag"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_matching_if_none_match_is_a_304_decided_before_rendering(
    client, fmt, django_assert_num_queries
):
    ArticleFactory(tags=[TagFactory()])
    first = get_feed(client, f"/feeds/{fmt}/")
    assert first["ETag"]
    assert "Last-Modified" not in first  # within the second its content was first seen

    with django_assert_num_queries(2):  # the rows and their tags, nothing rendered
        again = get_feed(client, f"/feeds/{fmt}/", status=304, if_none_match=first["ETag"])

    assert again["ETag"] == first["ETag"]
    assert again.content == b""
    assert again["Cache-Control"] == "public, max-age=30, s-maxage=60"


def test_a_feed_changes_etag_when_an_article_changes(client):
    article = ArticleFactory()
    before = get_feed(client, "/feeds/rss/")["ETag"]
    article.title = "A new title"
    article.save()
    after = get_feed(client, "/feeds/rss/", if_none_match=before)
    assert after["ETag"] != before
    assert b"A new title" in after.content


@pytest.mark.parametrize("fmt", FORMATS)
def test_cache_headers_and_the_keys_of_what_it_shows(client, fmt):
    company = CompanyFactory(slug="openai")
    first, second = TagFactory(), TagFactory()
    one = ArticleFactory(company=company, tags=[first, second])
    two = ArticleFactory(company=company)

    response = get_feed(client, f"/feeds/{fmt}/company/openai/")

    assert response["Cache-Control"] == "public, max-age=30, s-maxage=60"
    assert "Vary" not in response  # the same answer whoever asks
    keys = {
        "botbeat",
        "feed",
        f"article-{one.pk}",
        f"article-{two.pk}",
        f"company-{company.pk}",
        f"tag-{first.pk}",
        f"tag-{second.pk}",
    }
    assert set(response["Surrogate-Key"].split(" ")) == keys
    assert set(response["Cache-Tag"].split(",")) == keys
    assert response["RateLimit-Policy"].startswith('"read"')
    assert "RateLimit" in response


def test_an_empty_feed_keeps_its_bytes(client):
    first = get_feed(client, "/feeds/atom/category/policy/")
    second = get_feed(client, "/feeds/atom/category/policy/")
    assert first.content == second.content
    assert first["Surrogate-Key"] == "botbeat feed"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("", 2),  # the rows, their tags
        ("company/acme/", 2),  # the company's id in the rows' query
        ("tag/ai/", 4),  # the tag, its articles' ids (articles.filters.all_tags_q), as above
        ("category/research/", 2),
    ],
)
def test_a_feeds_queries_do_not_grow_with_its_length(
    client, fmt, path, queries, django_assert_num_queries
):
    acme, tag = CompanyFactory(slug="acme"), TagFactory(slug="ai")
    ArticleFactory(company=acme, tags=[tag, TagFactory()])
    with django_assert_num_queries(queries):
        get_feed(client, f"/feeds/{fmt}/{path}")
    for _ in range(19):
        ArticleFactory(company=acme, tags=[tag, TagFactory(), TagFactory()])
    with django_assert_num_queries(queries):
        assert len(entries(client, fmt, path)) == 20


@pytest.mark.parametrize(("fmt", "generator"), [("rss", RssFeed), ("atom", AtomFeed)])
def test_the_quick_xml_writer_writes_djangos_bytes(client, monkeypatch, fmt, generator):
    for n in range(3):
        ArticleFactory(
            title=f'Quotes "{n}" & <angles>',
            summary="Paragraph & <one>.\n\nTwo 'quoted'.",
            tags=[TagFactory(name=f"Tag & {n}")],
        )
    quick = get_feed(client, f"/feeds/{fmt}/").content
    monkeypatch.setattr(generator, "xml_generator", SimplerXMLGenerator)
    ITEMS.clear()  # written again, by Django's writer
    assert get_feed(client, f"/feeds/{fmt}/?django").content == quick


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_remembered_items_are_the_items_written_anew(client, fmt):
    acme = CompanyFactory(slug="acme")
    articles = [ArticleFactory(company=acme, tags=[TagFactory()]) for _ in range(3)]
    get_feed(client, f"/feeds/{fmt}/")  # every item written, and remembered
    remembered = get_feed(client, f"/feeds/{fmt}/company/acme/?again").content
    ITEMS.clear()
    assert get_feed(client, f"/feeds/{fmt}/company/acme/?anew").content == remembered

    # An item whose row changes is written again: the feed shows the change.
    article_rename(article=articles[0], slug="renamed", by=None)
    assert b"/renamed" in get_feed(client, f"/feeds/{fmt}/company/acme/").content


@pytest.mark.parametrize("fmt", XML_FORMATS)
def test_a_control_character_is_left_out_of_xml(client, fmt):
    ArticleFactory(title="Bell\x07 and tab\tkept", summary="Vertical\x0btab.")
    parsed = feedparser.parse(get_feed(client, f"/feeds/{fmt}/").content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.entries[0].title == "Bell and tab\tkept"
    assert get_feed(client, "/feeds/json/").json()["items"][0]["title"] == "Bell\x07 and tab\tkept"


@pytest.mark.parametrize(
    "path", ["/feeds/rss/", "/feeds/json/tag/ai/", "/sitemap.xml", "/sitemap-news.xml"]
)
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_write_method_is_a_405_problem(client, path, method):
    ArticleFactory(tags=[TagFactory(slug="ai")])
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("path", ["/feeds/atom/", "/sitemap.xml"])
def test_head_is_answered_like_get(client, path):
    ArticleFactory()
    response = client.head(path)
    assert response.status_code == 200
    assert response["Content-Type"] == client.get(path)["Content-Type"]


def test_options_says_what_a_feed_allows(client):
    response = client.options("/feeds/rss/")
    assert response.status_code == 200
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response.content == b""
