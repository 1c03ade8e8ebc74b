"""The sitemaps (API.md, "Feeds and sitemaps"), through django.contrib.sitemaps.

- `/sitemap.xml`: every published article's `url` (the website's page) with its `lastmod`
  (`updated_at`), oldest first, so that a new article adds to the last page and leaves the
  others as they were. Past `ArticleSitemap.limit` entries (50,000, the protocol's most) it is
  a sitemap index instead, whose entries are the pages of `/sitemap-articles.xml?p=<n>`.
- `/sitemap-news.xml`: a Google News sitemap of the articles published in the last two days
  (https://developers.google.com/search/docs/crawling-indexing/sitemaps/news-sitemap), newest
  first, at most the 1,000 that Google reads.

Visibility is the public's whoever asks (botbeat.paths). Each answer names `feed` (tag_answer):
every article write purges it (botbeat/signals.py), and an answer of 50,000 entries naming each
article would cost the cache a member set entry per article. Its ETag and 304 come from
ConditionalGetMiddleware (the body's hash), as any answer's that respond() does not decide.
Django's `Last-Modified` (the newest `lastmod`) is dropped: it stays when an article leaves
the sitemap, which a client asking If-Modified-Since would then not learn.

The news sitemap changes with time alone, too: an article leaves it two days after its
publication. Its answer says when (`changes_at`, epoch seconds), and neither the response
cache nor any cache told by its Cache-Control keeps it past that moment (botbeat.cache).
"""

import datetime as dt
import time
from functools import cached_property
from typing import cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.cache import patch_cache_control

from articles.feeds import LANGUAGE, SITE_NAME
from articles.models import Article
from articles.serializers import article_url
from botbeat.cache import FEED_KEY, bounded_cache_control, tag_answer
from botbeat.errors import read_only

NEWS_WINDOW = dt.timedelta(days=2)
NEWS_LIMIT = 1000  # Google News reads no more from one sitemap
SECTION_URL_NAME = "sitemap-section"
# Django's, with `lastmod` to the second (its own gives the day): an edit the same day moves it.
SITEMAP_TEMPLATE = "articles/sitemap.xml"


class WebsiteSitemap(Sitemap):
    """Entries on the website (ARTICLE_URL_TEMPLATE's scheme and host), not on this API's host
    where Django would put them."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.ARTICLE_URL_TEMPLATE).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.ARTICLE_URL_TEMPLATE).netloc

    def location(self, item: dict) -> str:
        parts = urlsplit(article_url(item["slug"]))
        return parts._replace(scheme="", netloc="").geturl()

    @cached_property
    def paginator(self) -> Paginator:
        # Django's makes a new one, and counts again, at each use: the index view uses it for
        # the number of pages and the section view for its page.
        return Paginator(cast(QuerySet, self.items()), self.limit)


class ArticleSitemap(WebsiteSitemap):
    """Every published article, oldest first (ties by id: a total order, for stable pages)."""

    def items(self):
        return (
            Article.objects.published()
            .order_by("published_at", "id")
            .values("id", "slug", "updated_at")
        )

    def lastmod(self, item: dict) -> dt.datetime:
        return item["updated_at"]

    def get_latest_lastmod(self):
        # Django's reads every item for it; the index's entries share one, the newest.
        return (
            Article.objects.published()
            .order_by("-updated_at")
            .values_list("updated_at", flat=True)
            .first()
        )


class NewsSitemap(WebsiteSitemap):
    """The articles published in the last NEWS_WINDOW, newest first."""

    limit = NEWS_LIMIT

    def __init__(self):
        self.now = timezone.now()

    def items(self):
        return (
            Article.objects.published(self.now)
            .filter(published_at__gt=self.now - NEWS_WINDOW)
            .newest_first()
            .values("id", "slug", "title", "published_at")
        )

    def changes_at(self, rows) -> float | None:
        """When the oldest of `rows` leaves the window (epoch seconds), or None."""
        oldest = min((row["item"]["published_at"] for row in rows), default=None)
        return None if oldest is None else (oldest + NEWS_WINDOW).timestamp()


def _without_last_modified(response):
    response.headers.pop("Last-Modified", None)
    return response


@read_only
def sitemap(request):
    """`/sitemap.xml`: the articles' sitemap, or the index of its pages past one page's limit."""
    tag_answer(FEED_KEY)
    articles = ArticleSitemap()
    sitemaps: dict[str, Sitemap | type[Sitemap]] = {"articles": articles}
    if articles.paginator.num_pages > 1:
        response = sitemap_views.index(request, sitemaps, sitemap_url_name=SECTION_URL_NAME)
    else:
        response = sitemap_views.sitemap(request, sitemaps, template_name=SITEMAP_TEMPLATE)
    return _without_last_modified(response)


@read_only
def sitemap_section(request, section: str):
    """`/sitemap-<section>.xml?p=<n>`: a page of the index's (an unknown section or page, 404)."""
    tag_answer(FEED_KEY)
    sitemaps: dict[str, Sitemap | type[Sitemap]] = {"articles": ArticleSitemap()}
    response = sitemap_views.sitemap(
        request, sitemaps, section=section, template_name=SITEMAP_TEMPLATE
    )
    return _without_last_modified(response)


@read_only
def news_sitemap(request):
    """`/sitemap-news.xml`: the Google News sitemap of the last two days."""
    tag_answer(FEED_KEY)
    news = NewsSitemap()
    sitemaps: dict[str, Sitemap | type[Sitemap]] = {"news": news}
    response = sitemap_views.sitemap(request, sitemaps, template_name="articles/sitemap_news.xml")
    context = response.context_data
    assert context is not None  # the view gives its context; rendered after we return
    context["publication"] = {"name": SITE_NAME, "language": LANGUAGE}
    changes_at = news.changes_at(context["urlset"])
    # The response cache does not replay it past that moment (botbeat.cache); nor may any
    # cache it reaches keep it, which its own Cache-Control says: set here, and not by
    # CacheControlMiddleware, so that the 304s made from it say so too.
    setattr(response, "changes_at", changes_at)  # noqa: B010
    patch_cache_control(
        response,
        public=True,
        max_age=settings.API_CACHE_MAX_AGE,
        s_maxage=settings.API_CACHE_S_MAXAGE,
    )
    if changes_at is not None:
        response["Cache-Control"] = bounded_cache_control(
            response["Cache-Control"], changes_at - time.time()
        )
    return _without_last_modified(response)
