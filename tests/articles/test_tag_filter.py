"""The feed's `tag` filter: every tag must match, at most TAG_FILTER_MAX_ITEMS of them, in a
fixed number of queries whatever their number and whichever way the matches are found."""

import datetime as dt
import random

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles import filters
from articles.filters import TAG_FILTER_MAX_ITEMS
from articles.models import Status
from tests.articles.pages import walk
from tests.factories import ArticleFactory, TagFactory

pytestmark = pytest.mark.django_db

FEED = "/api/v1/articles/"


@pytest.fixture
def tagged_world(db):
    """Twelve tags, from common to rare, on 60 articles (a few drafts and scheduled)."""
    rng = random.Random(7)
    tags = TagFactory.create_batch(12)
    articles = []
    for n in range(60):
        carried = [tag for i, tag in enumerate(tags) if rng.random() < 0.8 / (i + 1) + 0.1]
        state = rng.random()
        articles.append(
            ArticleFactory(
                tags=carried,
                published_at=timezone.now()
                - dt.timedelta(hours=n // 3)  # ties of three share a timestamp
                + (dt.timedelta(days=2) if 0.9 < state < 0.95 else dt.timedelta()),
                status=Status.DRAFT if state >= 0.95 else Status.PUBLISHED,
            )
        )
    return tags, articles


def expected(articles, wanted) -> list[str]:
    now = timezone.now()
    public = [a for a in articles if a.status == Status.PUBLISHED and a.published_at <= now]
    matching = [
        a for a in public if {t.pk for t in wanted} <= set(a.tags.values_list("pk", flat=True))
    ]
    return [a.slug for a in sorted(matching, key=lambda a: (a.published_at, a.pk), reverse=True)]


@pytest.mark.parametrize("listed_max", [0, 1, filters.TAGGED_LISTED_MAX])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(chosen=st.sets(st.integers(0, 11), min_size=1, max_size=5))
def test_every_tag_must_match_listed_or_scanned(api, tagged_world, monkeypatch, listed_max, chosen):
    # listed_max 0 and 1: the feed scanned against a hash of the candidates; else listed ids.
    monkeypatch.setattr(filters, "TAGGED_LISTED_MAX", listed_max)
    tags, articles = tagged_world
    wanted = [tags[i] for i in sorted(chosen)]

    seen = walk(api, {"tag": [tag.slug for tag in wanted], "page_size": 4})

    assert seen == expected(articles, wanted)


def test_the_same_tag_twice_is_the_tag_once(api, tagged_world):
    tags, articles = tagged_world

    assert walk(api, {"tag": [tags[3].slug, tags[3].slug]}) == expected(articles, [tags[3]])


@pytest.mark.parametrize("listed_max", [0, filters.TAGGED_LISTED_MAX])
def test_tag_queries_do_not_grow_with_the_tags(
    api, monkeypatch, listed_max, django_assert_num_queries
):
    monkeypatch.setattr(filters, "TAGGED_LISTED_MAX", listed_max)
    tags = TagFactory.create_batch(TAG_FILTER_MAX_ITEMS)
    ArticleFactory.create_batch(3, tags=tags)

    # The tags, the candidates, the page, its tags.
    for count in (1, 2, 3, TAG_FILTER_MAX_ITEMS):
        with django_assert_num_queries(4):
            response = api.get(FEED, {"tag": [tag.slug for tag in tags[:count]]})
        assert len(response.json()["results"]) == 3


def test_more_tags_than_the_bound_is_a_400_naming_the_field(api):
    tags = TagFactory.create_batch(TAG_FILTER_MAX_ITEMS + 1)
    ArticleFactory(tags=tags)

    response = api.get(FEED, {"tag": [tag.slug for tag in tags]})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "field": "tag",
            "code": "max_items",
            "message": f"Give at most {TAG_FILTER_MAX_ITEMS} values.",
        }
    ]


def test_the_bound_is_refused_before_any_query(api, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api.get(FEED, {"tag": [f"tag-{n}" for n in range(150)]})

    assert response.status_code == 400


def test_the_schema_gives_the_bound(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = schema["paths"]["/api/v1/articles/"]["get"]["parameters"]
    (tag,) = [p for p in parameters if p["name"] == "tag"]

    assert tag["schema"]["maxItems"] == TAG_FILTER_MAX_ITEMS
    assert f"up to {TAG_FILTER_MAX_ITEMS}" in tag["description"]
