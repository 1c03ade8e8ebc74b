import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Status
from tests.factories import ArticleFactory, TagFactory

pytestmark = pytest.mark.django_db

IN_A_DAY = timezone.now() + dt.timedelta(days=1)


def test_tag_counts_only_published_articles(api):
    tag = TagFactory(slug="safety", name="AI Safety")
    ArticleFactory(tags=[tag])
    ArticleFactory(tags=[tag], status=Status.DRAFT)
    ArticleFactory(tags=[tag], published_at=timezone.now() + dt.timedelta(days=1))

    response = api.get("/api/v1/tags/safety/")

    assert response.json() == {"slug": "safety", "name": "AI Safety", "article_count": 1}


def test_tag_list_is_by_name(api):
    ArticleFactory(tags=[TagFactory(name="Zeta"), TagFactory(name="Alpha")])

    body = api.get("/api/v1/tags/").json()

    assert [t["name"] for t in body["results"]] == ["Alpha", "Zeta"]
    assert body["count"] == 2


def test_a_tag_of_drafts_only_is_hidden_from_the_public(api, staff_api):
    ArticleFactory(tags=[TagFactory(slug="gpt-7")], status=Status.DRAFT)

    assert api.get("/api/v1/tags/gpt-7/").status_code == 404
    assert api.get("/api/v1/tags/").json()["count"] == 0
    assert staff_api.get("/api/v1/tags/gpt-7/").status_code == 200


def test_tag_list_query_count_does_not_grow(api, django_assert_num_queries):
    ArticleFactory(tags=[TagFactory()])
    # The count, the page, the page's scheduled articles (for their published counts).
    with django_assert_num_queries(3):
        api.get("/api/v1/tags/")
    ArticleFactory(tags=[TagFactory() for _ in range(10)])
    ArticleFactory(tags=[TagFactory() for _ in range(100)], published_at=IN_A_DAY)
    with django_assert_num_queries(3):
        api.get("/api/v1/tags/", {"page_size": 100})
