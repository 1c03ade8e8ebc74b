"""RSS 2.0, Atom and JSON Feed 1.1 of the newest published articles (API.md, "Feeds and
sitemaps"): all of them, or one company's, one tag's or one category's.

Built on django.contrib.syndication: one `ArticleFeed` view per format, which differ only in
their generator (`feed_type`): Django's RSS 2.0 and Atom, each with the item's content added,
and `JSONFeed` (https://jsonfeed.org/version/1.1) beside them. An item is the article's title,
its `url` (the website's page, as in the API), the excerpt as its summary, the summary as its
content, the company as its author, the tags as its categories (in the editors' order), and its
`published_at` and `updated_at`. Its id is the article's own (`tag:` URI), not its URL: a renamed
slug moves the page, and a reader must not take the article for a new one.

Visibility is the public's, whoever asks: drafts and scheduled articles never. A company or a
tag that no published article carries is a 404, as an unknown one or an unknown category is;
an old slug of a company or a tag answers 301 to the feed at its slug now, as the API's
addresses do (botbeat.redirects). A known category with no article is an empty feed.

Cheap: two queries whatever the feed (the newest FEED_LENGTH rows through the partial indexes on
`published_at`, then their tags: with_tags), two more for a tag's (the tag, and its articles'
ids when they are few: articles.filters.all_tags_q, as the API's `tag` filter finds them), no
instance built. The answer goes through
botbeat.conditional.respond (its ETag, a 304 decided before rendering, a Last-Modified that
moves with every change) and names what it shows (tag_answer: `feed` and each item's article,
company and tags), so that the response cache and the edge store it and a write purges it like
any public answer of the API (botbeat/cache.py, botbeat/paths.py).
"""

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from io import StringIO
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import orjson
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.core.signals import setting_changed
from django.db.models import Q, Subquery
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.urls import path, reverse
from django.utils.feedgenerator import (
    Atom1Feed,
    Rss201rev2Feed,
    SyndicationFeed,
    rfc3339_date,
)
from django.utils.html import escape, linebreaks
from django.utils.xmlutils import SimplerXMLGenerator

from articles.filters import all_tags_q
from articles.models import (
    EXCERPT_SOURCE_LENGTH,
    Category,
    Tag,
    article_feed_rows_newest,
    published_q,
    with_tags,
)
from articles.serializers import article_url, item_keys, make_excerpt
from botbeat.cache import FEED_KEY, tag_answer
from botbeat.conditional import Remembered, respond
from botbeat.errors import problem_response, read_only
from botbeat.redirects import slugs_now
from botbeat.renderers import iso_datetime
from companies.models import Company

FEED_LENGTH = 50  # the newest articles a feed carries (API.md)
SITE_NAME = "BotBeat"
LANGUAGE = "en"
# The `updated` of a feed with no item (an empty category): a fixed date, so that its bytes,
# hence its ETag, stay the same from one request to the next (Django's default is now).
EMPTY_FEED_UPDATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# The date of the `tag:` URIs that name the articles (RFC 4151): any day on which the website's
# host was ours; it must never change, or every reader would see every article anew.
TAG_URI_DATE = "2026"
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"
# What XML 1.0 cannot carry (django.utils.xmlutils refuses the same).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0B-\x0C\x0E-\x1F]")


def website_home() -> str:
    """The website's home page: the scheme and host of ARTICLE_URL_TEMPLATE."""
    parts = urlsplit(settings.ARTICLE_URL_TEMPLATE)
    return f"{parts.scheme}://{parts.netloc}/"


def tag_uri(specific: str) -> str:
    """A `tag:` URI (RFC 4151) on the website's host."""
    return f"tag:{urlsplit(settings.ARTICLE_URL_TEMPLATE).hostname},{TAG_URI_DATE}:{specific}"


def article_guid(article_id: int) -> str:
    """The article's id in every feed, which stays when its slug, hence its `url`, changes."""
    return tag_uri(f"article-{article_id}")


@dataclass(frozen=True)
class Selection:
    """What one feed shows: its title and description, its rows (feed_rows), and its own
    path below /feeds/<format>/, which names it in its id."""

    title: str
    description: str
    rows: list[dict]
    path: str = ""


def feed_rows(*conditions: Q, **filters) -> list[dict]:
    """The newest FEED_LENGTH published articles matching `filters`, as feed rows with their
    "tags" (articles.models: feed_rows, with_tags): two queries."""
    rows = list(
        article_feed_rows_newest().filter(published_q(), *conditions, **filters)[:FEED_LENGTH]
    )
    return with_tags(rows)


def feed_selection(by: str | None, value: str | None) -> Selection | None:
    """The feed of every article (`by` None), or of one company, tag or category by its slug
    or value; None when it names nothing public."""
    if by is None:
        return Selection(SITE_NAME, f"The newest articles on {SITE_NAME}.", feed_rows())
    selected = f"{by}/{value}"
    if by == "category":
        if value not in Category.values:
            return None
        label = Category(value).label
        return Selection(
            f"{SITE_NAME}: {label}",
            f"The newest {label} articles on {SITE_NAME}.",
            feed_rows(category=value),
            selected,
        )
    if by == "company":
        # No row: no published article of this company, or no such company. Either way a 404,
        # as CompanyQuerySet.visible_to has it, and without a query of its own. The id by a
        # subquery, not a join on the slug, as the API's filter (articles.filters.CompanyFilter
        # says why): the database then walks article_company_feed and stops at the page.
        rows = feed_rows(company_id=Subquery(Company.objects.filter(slug=value).values("pk")[:1]))
        if not rows:
            return None
        name = rows[0]["company__name"]
        return Selection(
            f"{SITE_NAME}: {name}",
            f"The newest articles about {name} on {SITE_NAME}.",
            rows,
            selected,
        )
    # The tag first (its published_count decides how all_tags_q finds its articles, as the
    # API's `tag` filter does); no row: it carries no public article, a 404 as well.
    tag = Tag.objects.filter(slug=value).only("pk", "name", "published_count").first()
    if tag is None:
        return None
    rows = feed_rows(all_tags_q([tag]))
    if not rows:
        return None
    name = tag.name
    return Selection(
        f"{SITE_NAME}: {name}", f"The newest articles tagged {name} on {SITE_NAME}.", rows, selected
    )


class QuickXMLGenerator(SimplerXMLGenerator):
    """Django's XML writer, byte for byte (tests/feeds/test_feeds.py compares them), that
    writes an element without children at once: Django's writes its start, each attribute, its
    text and its end apart, each through a text wrapper, which was half of the RSS feed's time.

    A control character, which XML 1.0 cannot carry, is left out where Django's raises (an
    article's text with one would make its feeds a 500); the JSON feed keeps it."""

    def addQuickElement(self, name, contents=None, attrs=None):
        if contents:
            contents = CONTROL_CHARACTERS.sub("", contents)
        parts = ["<", name]
        for key, value in sorted((attrs or {}).items()):
            if isinstance(value, str):
                value = CONTROL_CHARACTERS.sub("", value)
            parts.append(f" {key}={quoteattr(value)}")
        parts += [">", xml_escape(contents), "</", name, ">"] if contents else ["/>"]
        # XMLGenerator's own writing, which typeshed leaves out.
        self._finish_pending_start_element()  # type: ignore[attr-defined]
        self._write("".join(parts))  # type: ignore[attr-defined]


class FeedGenerator(SyndicationFeed):
    """What the three generators share: their media type, a fixed date when empty, and items
    given as written already (`fragments`, ArticleFeed.get_feed), with the dates of each
    (`dates`: Django takes the feed's own date from its items')."""

    content_type: str
    xml_generator: type[SimplerXMLGenerator] = QuickXMLGenerator
    fragments: list
    dates: list[dt.datetime]

    def latest_post_date(self):
        return max(self.dates) if self.dates else EMPTY_FEED_UPDATED

    def fragment(self, item: dict):
        """One item as this format writes it, alone (XML text; JSON Feed: its object)."""
        outfile = StringIO()
        handler = self.xml_generator(outfile, "utf-8", short_empty_elements=True)
        self.write_item(handler, item)
        return outfile.getvalue()

    def write_item(self, handler, item: dict) -> None:
        raise NotImplementedError

    def write_items(self, handler):
        # Each item as remembered (or written just now by `fragment`), in a piece.
        handler._finish_pending_start_element()
        for fragment in self.fragments:
            handler._write(fragment)


class RssFeed(FeedGenerator, Rss201rev2Feed):
    """Django's RSS 2.0, with each item's content (`content:encoded`, HTML) and its date of
    change (`atom:updated`, the Atom namespace RSS feeds already declare)."""

    def write(self, outfile, encoding):
        # RssFeed.write, with the quicker writer.
        handler = self.xml_generator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        self.add_stylesheets(handler)
        # Dicts, as Django passes them (typeshed wants SAX's AttributesImpl).
        handler.startElement("rss", self.rss_attributes())
        handler.startElement("channel", self.root_attributes())  # type: ignore[arg-type]
        self.add_root_elements(handler)
        self.write_items(handler)
        self.endChannelElement(handler)
        handler.endElement("rss")

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:content": CONTENT_NAMESPACE}

    def write_item(self, handler, item):
        # Rss201rev2Feed.write_items, for one item.
        handler.startElement("item", self.item_attributes(item))
        self.add_item_elements(handler, item)
        handler.endElement("item")

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("atom:updated", rfc3339_date(item["updateddate"]))
        handler.addQuickElement("content:encoded", linebreaks(item["content"], autoescape=True))


class AtomFeed(FeedGenerator, Atom1Feed):
    """Django's Atom, with each item's content, as text."""

    def write(self, outfile, encoding):
        # Atom1Feed.write, with the quicker writer.
        handler = self.xml_generator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())  # type: ignore[arg-type]
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")

    def write_item(self, handler, item):
        # Atom1Feed.write_items, for one item.
        handler.startElement("entry", self.item_attributes(item))
        self.add_item_elements(handler, item)
        handler.endElement("entry")

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "text"})


class JSONFeed(FeedGenerator):
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1): the feed's and its items' fields from
    what Django's generators are given, their texts plain (`summary`, `content_text`)."""

    content_type = "application/feed+json"
    version = "https://jsonfeed.org/version/1.1"

    def write(self, outfile, encoding):
        feed = self.feed
        document = {
            "version": self.version,
            "title": feed["title"],
            "home_page_url": feed["link"],
            "feed_url": feed["feed_url"],
            "description": feed["description"],
            "language": feed["language"],
            "items": self.fragments,
        }
        outfile.write(orjson.dumps(document).decode())

    def fragment(self, item: dict) -> dict:
        return {
            "id": item["unique_id"],
            "url": item["link"],
            "title": item["title"],
            "summary": item["summary_text"],
            "content_text": item["content"],
            "date_published": iso_datetime(item["pubdate"]),
            "date_modified": iso_datetime(item["updateddate"]),
            "authors": [{"name": item["author_name"]}],
            "tags": list(item["categories"]),
        }


class ArticleFeed(Feed):
    """One format's feeds (`feed_type`), of every article or by company, tag or category (the
    URL's `by` and `value`)."""

    language = LANGUAGE
    item_guid_is_permalink = False

    feed_type: type[FeedGenerator]

    def __init__(self, feed_type: type[FeedGenerator]):
        self.feed_type = feed_type

    def __call__(self, request, by=None, value=None):
        selection = feed_selection(by, value)
        if selection is None:
            return self.not_found(request, by, value)
        tag_answer(FEED_KEY)  # which articles it holds changes with any publication
        for row in selection.rows:
            tag_answer(*item_keys(row))
        return respond(
            request,
            [selection.title, selection.rows],
            lambda: self.render(request, selection),
            dated=True,
        )

    def get_feed(self, obj: Selection, request) -> FeedGenerator:
        """Django's feed, but each item written once per process for as long as its row stays
        the same (ITEMS): feeds share most of their items (the newest articles are in the
        feed of all, of their company, of their tags, of their category), and an item is a
        pure function of its row and the format. Django's per-item work (an attribute lookup
        per field, its writer's per-element calls) was most of a feed's time; a remembered
        item costs a digest."""
        feed = super().get_feed(Selection(obj.title, obj.description, [], obj.path), request)
        assert isinstance(feed, FeedGenerator)
        feed.fragments, feed.dates = [], []
        for row in obj.rows:
            key = _item_digest(self.feed_type, request, row)
            fragment = ITEMS.get(key)
            if fragment is None:
                one = super().get_feed(Selection(obj.title, obj.description, [row]), request)
                fragment = feed.fragment(one.items[0])
                ITEMS.put(key, fragment)
            feed.fragments.append(fragment)
            feed.dates += [row["updated_at"], row["published_at"]]
        return feed

    def render(self, request, selection: Selection) -> HttpResponse:
        """Feed.__call__'s answer, without its Last-Modified: the newest item's date does not
        move when an article leaves the feed, so a client would be told "not modified" after
        it did. respond() dates the answer instead (botbeat.conditional)."""
        generator = self.get_feed(selection, request)
        # Into a string, then the answer at once: the XML writer's many small writes, each
        # encoded and appended by HttpResponse.write, cost a third of the render.
        return HttpResponse(
            generator.writeString("utf-8"), content_type=self.feed_type.content_type
        )

    @staticmethod
    def not_found(request, by: str | None, value: str | None):
        """A 301 to the feed at the slug now when `value` is an old slug of a company or a tag
        the public may see (botbeat.redirects), else the 404 problem."""
        model = {"company": Company, "tag": Tag}.get(by or "")
        if model is not None and value is not None and request.method in {"GET", "HEAD"}:
            new = slugs_now(model, [value], AnonymousUser()).get(value)
            if new is not None and request.resolver_match is not None:
                path = reverse(request.resolver_match.view_name, kwargs={"value": new})
                return HttpResponsePermanentRedirect(request.build_absolute_uri(path))
        if model is None:
            detail = "No such category."
        else:
            detail = f"No {by} of this slug has published articles."
        return problem_response(request, 404, "not_found", detail)

    def _get_dynamic_attr(self, attname, obj, default=None):
        """Django's, without its inspection of the method's signature, which it repeats for
        every attribute of every item (a fifth of a JSON feed's time): here every method
        takes the one object (the selection, or an item's row), and the rest are values."""
        attr = getattr(self, attname, None)
        if attr is None:
            return default
        return attr(obj) if callable(attr) else attr

    def title(self, selection: Selection) -> str:
        return selection.title

    def description(self, selection: Selection) -> str:
        return selection.description

    def link(self, selection: Selection) -> str:
        return website_home()

    def feed_guid(self, selection: Selection) -> str:
        # Atom's feed id: each feed its own (Django's default, the link, is the same for all).
        return tag_uri(f"feed/{selection.path}".rstrip("/"))

    def items(self, selection: Selection) -> list[dict]:
        return selection.rows

    def item_title(self, row: dict) -> str:
        return row["title"]

    def item_link(self, row: dict) -> str:
        return article_url(row["slug"])

    def item_guid(self, row: dict) -> str:
        return article_guid(row["id"])

    def item_description(self, row: dict) -> str:
        # HTML, as RSS's description and Atom's `summary type="html"` are: the excerpt is text.
        return escape(excerpt_of(row))

    def item_author_name(self, row: dict) -> str:
        return row["company__name"]

    def item_categories(self, row: dict) -> list[str]:
        return [name for _, _, name in row["tags"]]

    def item_pubdate(self, row: dict) -> dt.datetime:
        return row["published_at"]

    def item_updateddate(self, row: dict) -> dt.datetime:
        return row["updated_at"]

    def item_extra_kwargs(self, row: dict) -> dict:
        return {"content": row["summary"], "summary_text": excerpt_of(row)}


# The items written, by format and row (ArticleFeed.get_feed): about 1.5 KB each. A setting
# may change how an item is written (ARTICLE_URL_TEMPLATE): tests override them.
ITEMS = Remembered()
setting_changed.connect(ITEMS.clear, dispatch_uid="botbeat-feed-items")


def _item_digest(feed_type: type[FeedGenerator], request, row: dict) -> bytes:
    # The request's scheme and host: Django's add_domain writes links from them when the
    # settings' are relative (they are not; what it reads is in the digest all the same).
    raw = orjson.dumps([feed_type.__name__, request.scheme, request.get_host(), row])
    return hashlib.md5(raw, usedforsecurity=False).digest()


def excerpt_of(row: dict) -> str:
    """The excerpt, as a list item's (articles.serializers.make_excerpt)."""
    return make_excerpt(row["summary"][:EXCERPT_SOURCE_LENGTH])


FORMATS: dict[str, type[FeedGenerator]] = {"rss": RssFeed, "atom": AtomFeed, "json": JSONFeed}
FEEDS = {name: read_only(ArticleFeed(feed_type)) for name, feed_type in FORMATS.items()}


def feed_paths() -> list:
    """The routes, for botbeat/urls.py: per format, every article's feed and by company, tag
    and category, named `feed-<format>`, `feed-<format>-company` and so on."""
    routes = []
    for name, view in FEEDS.items():
        routes += [
            path(f"{name}/", view, name=f"feed-{name}"),
            path(
                f"{name}/company/<slug:value>/",
                view,
                {"by": "company"},
                name=f"feed-{name}-company",
            ),
            path(f"{name}/tag/<slug:value>/", view, {"by": "tag"}, name=f"feed-{name}-tag"),
            path(
                f"{name}/category/<slug:value>/",
                view,
                {"by": "category"},
                name=f"feed-{name}-category",
            ),
        ]
    return routes
