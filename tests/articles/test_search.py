"""`q` ranked by relevance: a bounded set (the newest SEARCH_RANKED_MAX matches), ranked, stable
across pages; the date orderings list every match."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from articles import filters
from articles.filters import SEARCH_RANKED_MAX, rank_query
from articles.models import Status
from tests.articles.pages import walk
from tests.factories import ArticleFactory, TagFactory

pytestmark = pytest.mark.django_db

FEED = "/api/v1/articles/"


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("ranking needs PostgreSQL")


def hours_ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


@pytest.fixture
def bound_of_four(monkeypatch):
    monkeypatch.setattr(filters, "SEARCH_RANKED_MAX", 4)


def test_relevance_ranks_only_the_newest_matches(api, bound_of_four):
    matches = [ArticleFactory(title=f"Robots {n}", published_at=hours_ago(n)) for n in range(7)]
    ArticleFactory(title="Nothing to see", published_at=hours_ago(0.5))
    ArticleFactory(title="Robots tomorrow", published_at=hours_ago(-24))  # scheduled
    ArticleFactory(title="Robots draft", status=Status.DRAFT)

    ranked = walk(api, {"q": "robots", "page_size": 3})
    every = walk(api, {"q": "robots", "ordering": "-published_at", "page_size": 3})

    assert sorted(ranked) == sorted(a.slug for a in matches[:4])
    assert every == [a.slug for a in matches]


def test_the_bound_follows_the_other_filters(api, bound_of_four):
    # The newest matches of the filtered feed, not the newest matches filtered afterwards.
    research = [
        ArticleFactory(title="Robots at work", category="research", published_at=hours_ago(n))
        for n in (5, 6, 7, 8, 9)
    ]
    for n in range(4):
        ArticleFactory(title="Robots raise money", category="funding", published_at=hours_ago(n))

    ranked = walk(api, {"q": "robots", "category": "research"})

    assert sorted(ranked) == sorted(a.slug for a in research[:4])


@pytest.mark.parametrize("listed_max", [0, filters.TAGGED_LISTED_MAX])
def test_the_bound_follows_a_tag_filter(api, bound_of_four, monkeypatch, listed_max):
    # Either way the tag filter finds its articles (scanned or listed by id).
    monkeypatch.setattr(filters, "TAGGED_LISTED_MAX", listed_max)
    tag = TagFactory(slug="robotics")
    tagged = [
        ArticleFactory(title="Robots at work", tags=[tag], published_at=hours_ago(n))
        for n in (5, 6, 7, 8, 9)
    ]
    ArticleFactory(title="Unrelated", tags=[tag], published_at=hours_ago(1))
    for n in range(4):
        ArticleFactory(title="Robots untagged", published_at=hours_ago(n))

    ranked = walk(api, {"q": "robots", "tag": "robotics"})

    assert sorted(ranked) == sorted(a.slug for a in tagged[:4])


def test_ranked_pages_neither_skip_nor_repeat_when_ranks_tie(api, bound_of_four):
    same = hours_ago(1)
    for n in range(6):
        ArticleFactory(title="Chip chip" if n % 2 else "Chip", published_at=same)

    seen = walk(api, {"q": "chip", "page_size": 1})

    assert len(seen) == len(set(seen)) == 4


@pytest.mark.postgres
def test_relevance_is_best_first_then_newest(api, postgres):
    mentions = ArticleFactory(summary="A chip.", published_at=hours_ago(1))
    about = ArticleFactory(title="Chip wars: the chip race", published_at=hours_ago(5))
    tie_old = ArticleFactory(summary="A chip.", published_at=hours_ago(3))

    assert walk(api, {"q": "chip"}) == [about.slug, mentions.slug, tie_old.slug]


@pytest.mark.postgres
def test_relevance_weighs_each_word_asked_for(api, postgres):
    both = ArticleFactory(title="Robots and chips", published_at=hours_ago(3))
    one = ArticleFactory(title="Robots everywhere", summary="chips", published_at=hours_ago(1))
    alone = ArticleFactory(title="Robots alone", published_at=hours_ago(2))

    assert walk(api, {"q": "robots chips"}) == [both.slug, one.slug]
    assert walk(api, {"q": "robots -chips"}) == [alone.slug]


@pytest.mark.postgres
def test_the_plan_ranks_the_bounded_set_only(api, postgres, monkeypatch):
    """EXPLAIN ANALYZE of the page: the sort by ts_rank reads SEARCH_RANKED_MAX rows, not every
    match."""
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(filters, "SEARCH_RANKED_MAX", 3)
    ArticleFactory.create_batch(8, title="Robots")
    with CaptureQueriesContext(connection) as queries:
        api.get(FEED, {"q": "robots"})
    page = next(q["sql"] for q in queries.captured_queries if "ts_rank" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {page}")
        plan = cursor.fetchone()[0][0]["Plan"]

    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    (ranking,) = [n for n in nodes(plan) if "ts_rank" in " ".join(n.get("Sort Key", []))]
    assert ranking["Plans"][0]["Actual Rows"] == 3


def test_rank_query_keeps_the_words_asked_for():
    assert rank_query("-only -negations") is None
    assert rank_query("or") is None
    assert rank_query('"quoted words" or -not these') is not None
    words = " ".join(f"w{n}" for n in range(20))
    assert str(rank_query(words)).count("w") == filters.SEARCH_MAX_TERMS


def test_ordering_relevance_documents_its_bound(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = schema["paths"]["/api/v1/articles/"]["get"]["parameters"]
    described = {p["name"]: p.get("description", "") for p in parameters}

    assert f"newest {SEARCH_RANKED_MAX:,}" in described["q"]
    assert f"newest {SEARCH_RANKED_MAX:,}" in described["ordering"]
