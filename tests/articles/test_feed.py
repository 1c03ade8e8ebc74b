import base64
import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from articles.models import Category, Status
from tests.factories import ArticleFactory, CompanyFactory, TagFactory

pytestmark = pytest.mark.django_db

FEED = "/api/v1/articles/"


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


def hours_ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


def walk(api, url: str) -> list[str]:
    """Every slug of a feed, following next links to the end."""
    seen = []
    while url:
        response = api.get(url)
        seen.extend(slugs(response))
        url = response.json()["next"]
    return seen


def test_feed_is_newest_first(api):
    old = ArticleFactory(published_at=hours_ago(3))
    new = ArticleFactory(published_at=hours_ago(1))
    middle = ArticleFactory(published_at=hours_ago(2))

    assert slugs(api.get(FEED)) == [new.slug, middle.slug, old.slug]


def test_feed_item_shape(api):
    tag = TagFactory(name="AI Safety", slug="ai-safety")
    article = ArticleFactory(
        category=Category.PRODUCT_LAUNCH, tags=[tag], company__name="Intel", company__slug="intel"
    )

    item = api.get(FEED).json()["results"][0]

    assert item == {
        "slug": article.slug,
        "url": f"https://botbeat.example/articles/{article.slug}/",
        "title": article.title,
        "category": {"value": "product_launch", "label": "Product Launch"},
        "company": {"slug": "intel", "name": "Intel", "logo_url": None},
        "published_at": article.published_at.isoformat().replace("+00:00", "Z"),
        "excerpt": article.summary,
        "tags": [{"slug": "ai-safety", "name": "AI Safety"}],
        "comment_count": 0,
    }


def test_excerpt_cuts_a_long_summary_between_words(api):
    ArticleFactory(summary="word " * 200)

    excerpt = api.get(FEED).json()["results"][0]["excerpt"]

    assert len(excerpt) <= 280
    assert excerpt.endswith("word\u2026")


def test_feed_hides_drafts_and_scheduled_articles(api, staff_api):
    public = ArticleFactory()
    draft = ArticleFactory(status=Status.DRAFT)
    scheduled = ArticleFactory(published_at=timezone.now() + dt.timedelta(days=1))

    assert slugs(api.get(FEED)) == [public.slug]
    assert set(slugs(staff_api.get(FEED))) == {public.slug, draft.slug, scheduled.slug}


def test_filter_by_company(api):
    openai = CompanyFactory(slug="openai")
    mine = ArticleFactory(company=openai)
    ArticleFactory()

    assert slugs(api.get(FEED, {"company": "openai"})) == [mine.slug]


def test_filter_by_one_tag(api):
    safety = TagFactory(slug="safety")
    tagged = ArticleFactory(tags=[safety])
    ArticleFactory(tags=[TagFactory()])

    assert slugs(api.get(FEED, {"tag": "safety"})) == [tagged.slug]


def test_repeated_tag_requires_every_tag(api):
    safety, rl = TagFactory(slug="safety"), TagFactory(slug="rl")
    both = ArticleFactory(tags=[safety, rl])
    ArticleFactory(tags=[safety])
    ArticleFactory(tags=[rl])

    assert slugs(api.get(f"{FEED}?tag=safety&tag=rl")) == [both.slug]


def test_filter_by_category(api):
    funding = ArticleFactory(category=Category.FUNDING)
    ArticleFactory(category=Category.RESEARCH)

    assert slugs(api.get(FEED, {"category": "funding"})) == [funding.slug]


def test_published_after_is_inclusive_and_before_is_exclusive(api):
    at = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
    before = ArticleFactory(published_at=at - dt.timedelta(seconds=1))
    exactly = ArticleFactory(published_at=at)
    after = ArticleFactory(published_at=at + dt.timedelta(hours=1))

    stamp = at.isoformat()
    assert slugs(api.get(FEED, {"published_after": stamp})) == [after.slug, exactly.slug]
    assert slugs(api.get(FEED, {"published_before": stamp})) == [before.slug]


def test_date_filters_take_a_plain_date_as_midnight_utc(api):
    ArticleFactory(published_at=dt.datetime(2026, 6, 17, 23, 59, tzinfo=dt.UTC))
    on_the_day = ArticleFactory(published_at=dt.datetime(2026, 6, 18, 0, 0, tzinfo=dt.UTC))
    ArticleFactory(published_at=dt.datetime(2026, 6, 19, 0, 0, tzinfo=dt.UTC))

    response = api.get(FEED, {"published_after": "2026-06-18", "published_before": "2026-06-19"})

    assert slugs(response) == [on_the_day.slug]


def test_search_finds_words_in_title_summary_takeaways_and_opinion(api):
    in_title = ArticleFactory(title="Quantum chips arrive")
    in_summary = ArticleFactory(summary="A story about quantum error correction.")
    in_takeaway = ArticleFactory(takeaways=["Quantum advantage is near"])
    in_opinion = ArticleFactory(editorial_opinion="Quantum hype needs care.")
    ArticleFactory(title="Unrelated")

    found = slugs(api.get(FEED, {"q": "quantum"}))

    assert set(found) == {in_title.slug, in_summary.slug, in_takeaway.slug, in_opinion.slug}


def test_filters_combine(api):
    openai = CompanyFactory(slug="openai")
    safety = TagFactory(slug="safety")
    match = ArticleFactory(
        company=openai, tags=[safety], category=Category.RESEARCH, title="Alignment at scale"
    )
    ArticleFactory(company=openai, tags=[safety], category=Category.FUNDING, title="Alignment $")
    ArticleFactory(company=openai, category=Category.RESEARCH, title="Alignment again")
    ArticleFactory(tags=[safety], category=Category.RESEARCH, title="Alignment elsewhere")

    response = api.get(
        FEED,
        {
            "company": "openai",
            "tag": "safety",
            "category": "research",
            "q": "alignment",
            "published_after": "2000-01-01",
        },
    )

    assert slugs(response) == [match.slug]


@pytest.mark.postgres
def test_search_is_ranked_on_postgresql(api):
    if connection.vendor != "postgresql":
        pytest.skip("ranking needs PostgreSQL")
    mentions = ArticleFactory(summary="The chip is fast.", published_at=hours_ago(1))
    about = ArticleFactory(title="Chip wars: the chip race", published_at=hours_ago(5))

    assert slugs(api.get(FEED, {"q": "chip"})) == [about.slug, mentions.slug]
    assert slugs(api.get(FEED, {"q": "chip", "ordering": "-published_at"})) == [
        mentions.slug,
        about.slug,
    ]


@pytest.mark.postgres
def test_ranked_search_pages_through_every_match_once(api):
    if connection.vendor != "postgresql":
        pytest.skip("ranking needs PostgreSQL")
    for i in range(9):
        ArticleFactory(title="chip " * (i % 3 + 1), published_at=hours_ago(1))

    seen = walk(api, f"{FEED}?q=chip&page_size=2")

    assert len(seen) == len(set(seen)) == 9


def test_ordering_oldest_first(api):
    old = ArticleFactory(published_at=hours_ago(2))
    new = ArticleFactory(published_at=hours_ago(1))

    assert slugs(api.get(FEED, {"ordering": "published_at"})) == [old.slug, new.slug]


@pytest.mark.parametrize("ordering", ["-published_at", "published_at"])
def test_pagination_visits_every_article_once_when_they_share_a_timestamp(api, ordering):
    same_time = hours_ago(1)
    articles = [ArticleFactory(published_at=same_time) for _ in range(7)]
    articles += [ArticleFactory(published_at=hours_ago(2)) for _ in range(3)]

    seen = walk(api, f"{FEED}?page_size=3&ordering={ordering}")

    assert sorted(seen) == sorted(a.slug for a in articles)
    assert len(seen) == len(set(seen)) == 10


def test_previous_link_walks_back_to_the_first_page(api):
    for hours in range(1, 8):
        ArticleFactory(published_at=hours_ago(hours))
    first = api.get(FEED, {"page_size": 3}).json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()

    back = api.get(third["previous"]).json()
    front = api.get(back["previous"]).json()

    assert first["previous"] is None
    assert [i["slug"] for i in back["results"]] == [i["slug"] for i in second["results"]]
    assert [i["slug"] for i in front["results"]] == [i["slug"] for i in first["results"]]
    assert front["previous"] is None
    assert third["next"] is None


def test_page_size_defaults_to_20(api):
    for _ in range(21):
        ArticleFactory()

    body = api.get(FEED).json()

    assert len(body["results"]) == 20
    assert body["next"] is not None


def encode(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": "0"},
        {"page_size": "101"},
        {"page_size": "-5"},
        {"page_size": "ten"},
        {"page_size": "99999999999999999999999"},
        {"page_size": ""},
        {"cursor": "not a cursor!"},
        {"cursor": "bm9wZQ"},
        {
            "cursor": encode(
                {"o": "published_at", "k": ["2026-01-01T00:00:00+00:00", 1], "r": False}
            )
        },
        {"cursor": encode({"o": "-published_at", "k": ["yesterday", 1], "r": False})},
        {"cursor": encode({"o": "-published_at", "k": ["2026-01-01T00:00:00+00:00"], "r": False})},
        {"cursor": encode({"o": "-published_at", "k": ["2026-01-01T00:00:00", 1], "r": False})},
        {
            "cursor": encode(
                {"o": "-published_at", "k": ["2026-01-01T00:00:00+00:00", 2**70], "r": False}
            )
        },
        {"cursor": encode({"o": "-published_at", "k": ["2026-01-01T00:00:00+00:00", 1], "r": 1})},
        {"cursor": encode([1, 2, 3])},
        {"cursor": "x" * 600},
        {"company": "no-such-company"},
        {"tag": "no-such-tag"},
        {"category": "gossip"},
        {"category": ""},
        {"published_after": "yesterday"},
        {"published_after": "2026-13-01"},
        {"published_before": "2026-06-18T25:00:00Z"},
        {"published_after": "0001-01-01T00:00:00+05:00"},
        {"published_after": ""},
        {"ordering": "title"},
        {"ordering": ""},
        {"ordering": "relevance"},
        {"q": ""},
        {"q": "   "},
        {"q": "x" * 201},
        {"q": "nul\x00byte"},
        {"colour": "blue"},
        {"format": "api"},
    ],
)
def test_bad_feed_parameters_answer_400_problem(api, params):
    ArticleFactory()

    response = api.get(FEED, params)

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert body["errors"], body
    assert body["errors"][0]["field"] in params


def test_a_repeated_single_valued_parameter_is_400(api):
    response = api.get(f"{FEED}?category=research&category=funding")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "category", "code": "repeated", "message": "Give this parameter at most once."}
    ]


def test_a_cursor_of_a_deleted_article_still_pages_on(api):
    articles = [ArticleFactory(published_at=hours_ago(h)) for h in range(1, 6)]
    first = api.get(FEED, {"page_size": 2}).json()
    articles[1].delete()  # the last item of the first page

    rest = walk(api, first["next"])

    assert rest == [a.slug for a in articles[2:]]


def test_feed_query_count_does_not_grow_with_page_size(api, django_assert_num_queries):
    tags = [TagFactory() for _ in range(3)]
    ArticleFactory(tags=tags)
    with django_assert_num_queries(2):  # the page (with comment counts), its tags
        api.get(FEED, {"page_size": 1})

    for _ in range(25):
        ArticleFactory(tags=tags, company=CompanyFactory())
    with django_assert_num_queries(2):
        response = api.get(FEED, {"page_size": 20})
    assert len(response.json()["results"]) == 20
