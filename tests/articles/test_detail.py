import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Status, Takeaway
from tests.factories import ArticleFactory, CommentFactory, TagFactory

pytestmark = pytest.mark.django_db


def url(article) -> str:
    return f"/api/v1/articles/{article.slug}/"


def test_detail_body_is_the_contract(api):
    article = ArticleFactory(
        slug="openai-alignment",
        title="OpenAI Researchers Advance AI Alignment",
        company__slug="openai",
        company__name="OpenAI",
        company__logo_url="https://example.com/openai.png",
        published_at=dt.datetime(2026, 6, 18, 17, 0, tzinfo=dt.UTC),
        summary="First paragraph.\n\nSecond paragraph.",
        editorial_opinion="Important progress.",
        source_name="Hacker News",
        source_url="https://alignment.openai.com/beneficial-rl/",
        authors=["Akshay V. Jagadeesh", "Karan Singhal"],
        tags=[TagFactory(slug="rl", name="Reinforcement Learning")],
        takeaways=["first", "second", "third"],
    )
    CommentFactory(article=article)

    response = api.get(url(article))

    assert response.status_code == 200
    assert response.json() == {
        "slug": "openai-alignment",
        "url": "https://botbeat.example/articles/openai-alignment/",
        "title": "OpenAI Researchers Advance AI Alignment",
        "category": {"value": "research", "label": "Research"},
        "company": {
            "slug": "openai",
            "name": "OpenAI",
            "logo_url": "https://example.com/openai.png",
        },
        "published_at": "2026-06-18T17:00:00Z",
        "excerpt": "First paragraph. Second paragraph.",
        "tags": [{"slug": "rl", "name": "Reinforcement Learning"}],
        "comment_count": 1,
        "status": "published",
        "takeaways": ["first", "second", "third"],
        "summary": "First paragraph.\n\nSecond paragraph.",
        "editorial_opinion": "Important progress.",
        "source": {"name": "Hacker News", "url": "https://alignment.openai.com/beneficial-rl/"},
        "authors": ["Akshay V. Jagadeesh", "Karan Singhal"],
        "comments_open": True,
        "updated_at": article.updated_at.isoformat().replace("+00:00", "Z"),
    }


def test_detail_without_source_has_null_source(api):
    article = ArticleFactory(source_name="", source_url="")

    assert api.get(url(article)).json()["source"] is None


def test_comment_count_counts_only_visible_comments(api):
    article = ArticleFactory()
    CommentFactory(article=article)
    CommentFactory(article=article, status="hidden")
    CommentFactory(article=article, status="removed")

    assert api.get(url(article)).json()["comment_count"] == 1


@pytest.mark.parametrize(
    "kind",
    [
        {"status": Status.DRAFT},
        {"published_at": timezone.now() + dt.timedelta(days=1)},
    ],
    ids=["draft", "scheduled"],
)
@pytest.mark.parametrize("suffix", ["", "more-from-company/", "suggested/"])
def test_hidden_articles_answer_404_to_the_public_and_200_to_staff(api, staff_api, kind, suffix):
    article = ArticleFactory(**kind)

    public = api.get(url(article) + suffix)

    assert public.status_code == 404
    assert public.json()["code"] == "not_found"
    assert staff_api.get(url(article) + suffix).status_code == 200


def test_unknown_slug_is_404_problem(api):
    response = api.get("/api/v1/articles/no-such-article/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_detail_refuses_query_parameters(api):
    article = ArticleFactory()

    response = api.get(url(article), {"tag": "x"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_parameter"


def test_detail_carries_etag_and_answers_304(api):
    article = ArticleFactory()
    first = api.get(url(article))
    etag = first["ETag"]

    again = api.get(url(article), HTTP_IF_NONE_MATCH=etag)

    assert etag
    assert again.status_code == 304
    assert again.content == b""


def test_etag_changes_when_the_article_changes(api):
    article = ArticleFactory()
    etag = api.get(url(article))["ETag"]
    article.title = "A new title"
    article.save()

    response = api.get(url(article), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


def test_public_answers_are_cacheable_by_a_cdn_and_staff_answers_are_not(api, staff_api):
    article = ArticleFactory()

    public = api.get(url(article))
    staff = staff_api.get(url(article))

    assert "public" in public["Cache-Control"]
    assert "s-maxage=" in public["Cache-Control"]
    assert "Cookie" in public["Vary"] and "Authorization" in public["Vary"]
    assert "private" in staff["Cache-Control"] and "no-store" in staff["Cache-Control"]


def test_detail_query_count_does_not_grow_with_tags_and_takeaways(api, django_assert_num_queries):
    small = ArticleFactory(tags=[TagFactory()], takeaways=["one"])
    big = ArticleFactory(tags=[TagFactory() for _ in range(8)], takeaways=["x"] * 10)
    api.get(url(small))  # SQLite: a connection's first JSON query probes its JSON support

    with django_assert_num_queries(2):  # the article with its takeaways, its tags
        api.get(url(small))
    with django_assert_num_queries(2):
        response = api.get(url(big))
    assert len(response.json()["takeaways"]) == 10


def test_takeaways_keep_their_order_and_an_article_may_have_none(api):
    ordered, bare = ArticleFactory(), ArticleFactory()
    for position in (3, 0, 10, 2, 1):  # stored out of order
        Takeaway.objects.create(article=ordered, position=position, text=f"Takeaway {position}")

    assert api.get(url(ordered)).json()["takeaways"] == [
        f"Takeaway {position}" for position in (0, 1, 2, 3, 10)
    ]
    assert api.get(url(bare)).json()["takeaways"] == []
