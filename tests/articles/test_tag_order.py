"""Tags in the editors' order (ArticleTag.position) everywhere an article shows them, and every
write that keeps that order: article_tags_set, tag_merge, the migration that numbered the links
that existed before."""

import importlib
import json

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import LINK_ORDER, Article, ArticleTag, Category, Tag
from articles.services import article_tags_set, article_upsert, tag_merge
from tests.factories import ArticleFactory, TagFactory

pytestmark = pytest.mark.django_db

FEED = "/api/v1/articles/"
numbering = importlib.import_module("articles.migrations.0007_article_tag_position")


def slugs(tags) -> list[str]:
    return [tag["slug"] for tag in tags]


def stored_order(article) -> list[str]:
    """The article's tags as its links order them, and their positions."""
    links = article.article_tags.order_by(*LINK_ORDER).select_related("tag")
    return [link.tag.slug for link in links]


def positions(article) -> dict[str, int]:
    return dict(article.article_tags.values_list("tag__slug", "position"))


@pytest.fixture
def tags():
    """Four tags whose names sort otherwise than the order they are given in."""
    return [
        TagFactory(slug="generative-ai", name="Generative AI"),
        TagFactory(slug="reinforcement-learning", name="Reinforcement Learning"),
        TagFactory(slug="ethics-bias", name="Ethics & Bias"),
        TagFactory(slug="ai-safety-alignment", name="AI Safety & Alignment"),
    ]


EDITORIAL = ["generative-ai", "reinforcement-learning", "ethics-bias", "ai-safety-alignment"]


# What the API shows


def test_feed_detail_and_panels_show_the_tags_in_the_editors_order(api, tags):
    # given an article and, of the same and of another company, two more with the same tags
    article = ArticleFactory(tags=tags, category=Category.RESEARCH)
    ArticleFactory(tags=tags, company=article.company)
    ArticleFactory(tags=list(reversed(tags)), category=Category.RESEARCH)

    # then every representation shows each article's tags in its own order, not by name
    feed = api.get(FEED).json()["results"]
    detail = api.get(f"{FEED}{article.slug}/").json()
    more = api.get(f"{FEED}{article.slug}/more-from-company/").json()["results"]
    (suggested,) = api.get(f"{FEED}{article.slug}/suggested/").json()["results"]
    assert [slugs(item["tags"]) for item in feed] == [
        EDITORIAL[::-1],
        EDITORIAL,
        EDITORIAL,
    ]
    assert slugs(detail["tags"]) == EDITORIAL
    assert slugs(more[0]["tags"]) == EDITORIAL
    assert slugs(suggested["tags"]) == EDITORIAL[::-1]
    # the shared tags, in the suggestion's own order
    assert slugs(suggested["reason"]["shared_tags"]) == EDITORIAL[::-1]


def test_links_of_one_position_come_by_name(api, tags):
    # given links made without a position (tags.add()), as any other code path may
    article = ArticleFactory()
    article.tags.add(*tags)

    # then they show as before positions existed: by name
    detail = api.get(f"{FEED}{article.slug}/").json()
    assert slugs(detail["tags"]) == sorted(EDITORIAL, key=lambda s: Tag.objects.get(slug=s).name)


def test_the_page_s_tags_are_still_one_query_from_the_order_index(api, tags):
    ArticleFactory.create_batch(3, tags=tags)

    with CaptureQueriesContext(connection) as queries:
        api.get(FEED)

    (links,) = [q["sql"] for q in queries if "articles_articletag" in q["sql"]]
    assert '"articles_articletag"."position"' in links.split("ORDER BY")[1]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")  # a tiny table: ask for the index's use
            cursor.execute(f"EXPLAIN {links}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("SET enable_seqscan = on")
        # Index-only once the table is vacuumed; in a test's transaction, a bitmap over it.
        assert "on article_tag_in_order" in plan or "using article_tag_in_order" in plan, plan


# article_tags_set


def test_article_tags_set_keeps_the_order_given(tags):
    article = ArticleFactory()

    article_tags_set(article=article, tags=tags)

    assert stored_order(article) == EDITORIAL
    assert sorted(positions(article).values()) == [0, 1, 2, 3]


def test_article_tags_set_reorders_removes_and_adds_in_one_call(tags):
    article = ArticleFactory(tags=tags[:3])
    kept = {link.tag.slug: link.pk for link in article.article_tags.select_related("tag")}
    robotics = TagFactory(slug="robotics", name="Robotics")

    article_tags_set(article=article, tags=[tags[2], robotics, tags[0]])

    assert stored_order(article) == ["ethics-bias", "robotics", "generative-ai"]
    assert positions(article) == {"ethics-bias": 0, "robotics": 1, "generative-ai": 2}
    # the links kept are the same rows, moved
    links = dict(article.article_tags.values_list("tag__slug", "pk"))
    assert links["ethics-bias"] == kept["ethics-bias"]
    assert links["generative-ai"] == kept["generative-ai"]
    assert Tag.objects.get(slug="reinforcement-learning").published_count == 0
    assert Tag.objects.get(slug="robotics").published_count == 1


def test_article_tags_set_writes_nothing_when_the_order_is_the_same(tags):
    article = ArticleFactory(tags=tags)

    with CaptureQueriesContext(connection) as queries:
        article_tags_set(article=article, tags=tags)

    writes = [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "DELETE"))]
    writes += [q["sql"] for q in queries if 'UPDATE "articles_articletag"' in q["sql"]]
    assert writes == []


def test_a_tag_given_twice_keeps_its_first_place(tags):
    article = ArticleFactory()

    article_tags_set(article=article, tags=[tags[1], tags[0], tags[1]])

    assert stored_order(article) == ["reinforcement-learning", "generative-ai"]


# tag_merge


def test_the_merged_in_tag_takes_the_source_s_place(api, tags):
    # given an article whose third tag is a duplicate of a tag it does not have
    duplicate = TagFactory(slug="gen-ai", name="Gen AI")
    article = ArticleFactory(tags=[tags[1], tags[2], duplicate, tags[3]])

    # when the duplicate is merged into the tag
    tag_merge(source=duplicate, target=tags[0], by=None)

    # then the tag stands where the duplicate stood
    expected = ["reinforcement-learning", "ethics-bias", "generative-ai", "ai-safety-alignment"]
    assert stored_order(article) == expected
    assert slugs(api.get(f"{FEED}{article.slug}/").json()["tags"]) == expected


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        # the source first: the target moves up to the source's place
        (["gen-ai", "ethics-bias", "generative-ai"], ["generative-ai", "ethics-bias"]),
        # the target first: it stays
        (["generative-ai", "ethics-bias", "gen-ai"], ["generative-ai", "ethics-bias"]),
    ],
)
def test_an_article_with_both_tags_keeps_one_link_at_the_first_place(tags, order, expected):
    duplicate = TagFactory(slug="gen-ai", name="Gen AI")
    by_slug = {tag.slug: tag for tag in [*tags, duplicate]}
    article = ArticleFactory(tags=[by_slug[slug] for slug in order])
    # another article with the duplicate only, and one with the target only
    only_source = ArticleFactory(tags=[tags[2], duplicate])
    only_target = ArticleFactory(tags=[tags[0], tags[3]])

    carried = tag_merge(source=duplicate, target=tags[0], by=None)

    assert carried == 2
    assert stored_order(article) == expected
    assert positions(article)["generative-ai"] == 0
    assert article.article_tags.count() == 2
    assert stored_order(only_source) == ["ethics-bias", "generative-ai"]
    assert stored_order(only_target) == ["generative-ai", "ai-safety-alignment"]
    assert Tag.objects.get(pk=tags[0].pk).published_count == 3


# The import


def line(tags: list[str]) -> bytes:
    return json.dumps(
        {
            "slug": "ordered",
            "title": "Ordered",
            "company": "OpenAI",
            "category": "research",
            "published_at": "2026-06-18T17:00:00Z",
            "tags": tags,
        }
    ).encode()


def upsert(tags: list[str]):
    from articles.imports import parse_line

    return article_upsert(data=parse_line(line(tags)))


def test_the_import_keeps_the_line_s_order_and_reorders_on_another():
    names = ["Generative AI", "Reinforcement Learning", "Ethics & Bias", "AI Safety & Alignment"]
    article, result = upsert(names)
    assert result == "created"
    assert stored_order(article) == EDITORIAL
    updated_at = Article.objects.get().updated_at

    # the same order again: nothing changes, not even updated_at
    assert upsert(names)[1] == "unchanged"
    assert Article.objects.get().updated_at == updated_at

    # another order of the same tags: an update, of the order only
    article, result = upsert(names[::-1])
    assert result == "updated"
    assert stored_order(article) == EDITORIAL[::-1]
    assert Article.objects.get().updated_at > updated_at
    assert all(tag.published_count == 1 for tag in Tag.objects.all())


# The migration that numbered the links existing before


def test_the_migration_numbers_existing_links_in_the_order_shown_before(api, monkeypatch, tags):
    # given links as they were before positions (all 0), a page of them shown by name
    first = ArticleFactory(tags=tags)
    second = ArticleFactory(tags=[tags[3], tags[0]])
    ArticleFactory(tags=[tags[2]])
    ArticleTag.objects.update(position=0)
    before = {item["slug"]: slugs(item["tags"]) for item in api.get(FEED).json()["results"]}

    # when the migration numbers them, a few at a time
    monkeypatch.setattr(numbering, "BATCH", 2)
    numbering.number_links_by_name(apps, None)

    # then every article shows the same order as before, now from distinct positions
    after = {item["slug"]: slugs(item["tags"]) for item in api.get(FEED).json()["results"]}
    assert after == before
    assert before[first.slug] == [
        "ai-safety-alignment",
        "ethics-bias",
        "generative-ai",
        "reinforcement-learning",
    ]
    assert positions(first) == {slug: n for n, slug in enumerate(before[first.slug])}
    assert positions(second) == {"ai-safety-alignment": 0, "generative-ai": 1}


# The response cache: a new order shows at once


@pytest.fixture
def cached(settings, empty_cache):
    """The server-side response cache on (the local memory one)."""
    import botbeat.cache

    botbeat.cache._redis_store = None
    settings.RESPONSE_CACHE = True
    yield
    botbeat.cache._redis_store = None


@pytest.mark.django_db(transaction=True)
def test_every_reordering_write_purges_the_answers_that_show_the_article(
    api, cached, django_assert_num_queries
):
    tags = [TagFactory(slug=f"t{n}", name=f"T{n}") for n in range(3)]
    article = ArticleFactory(slug="ordered", tags=tags)
    detail = f"{FEED}{article.slug}/"

    def shown() -> tuple[list[str], list[str]]:
        feed = api.get(FEED).json()["results"][0]
        return slugs(api.get(detail).json()["tags"]), slugs(feed["tags"])

    assert shown() == (["t0", "t1", "t2"], ["t0", "t1", "t2"])
    with django_assert_num_queries(0):  # served from the cache from now on
        api.get(detail)

    article_tags_set(article=article, tags=tags[::-1])
    assert shown() == (["t2", "t1", "t0"], ["t2", "t1", "t0"])

    upsert(["T1", "T0", "T2"])  # the import's reorder
    assert shown() == (["t1", "t0", "t2"], ["t1", "t0", "t2"])

    merged = TagFactory(slug="t9", name="T9")
    tag_merge(source=tags[0], target=merged, by=None)
    assert shown() == (["t1", "t9", "t2"], ["t1", "t9", "t2"])
