"""More from the company, and suggested articles from other companies."""

import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Category, Status
from tests.factories import ArticleFactory, CompanyFactory, TagFactory

pytestmark = pytest.mark.django_db


def hours_ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


def panel(api, article, name: str, **params) -> list[str]:
    response = api.get(f"/api/v1/articles/{article.slug}/{name}/", params)
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


# More from the company


def test_more_from_company_is_newest_first_and_excludes_the_article(api):
    openai = CompanyFactory()
    article = ArticleFactory(company=openai, published_at=hours_ago(2))
    older = ArticleFactory(company=openai, published_at=hours_ago(5))
    newer = ArticleFactory(company=openai, published_at=hours_ago(1))
    middle = ArticleFactory(company=openai, published_at=hours_ago(3))
    ArticleFactory()  # another company

    assert panel(api, article, "more-from-company") == [newer.slug, middle.slug, older.slug]


def test_more_from_company_hides_drafts_and_scheduled(api):
    openai = CompanyFactory()
    article = ArticleFactory(company=openai)
    public = ArticleFactory(company=openai, published_at=hours_ago(3))
    ArticleFactory(company=openai, status=Status.DRAFT)
    ArticleFactory(company=openai, published_at=timezone.now() + dt.timedelta(hours=1))

    assert panel(api, article, "more-from-company") == [public.slug]


def test_more_from_company_limit(api):
    openai = CompanyFactory()
    article = ArticleFactory(company=openai)
    for hours in range(2, 30):
        ArticleFactory(company=openai, published_at=hours_ago(hours))

    assert len(panel(api, article, "more-from-company")) == 3
    assert len(panel(api, article, "more-from-company", limit=1)) == 1
    assert len(panel(api, article, "more-from-company", limit=20)) == 20


@pytest.mark.parametrize("name", ["more-from-company", "suggested"])
@pytest.mark.parametrize("limit", ["0", "21", "-1", "three", "", "1e3"])
def test_limit_out_of_range_is_400(api, name, limit):
    article = ArticleFactory()

    response = api.get(f"/api/v1/articles/{article.slug}/{name}/", {"limit": limit})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "limit"


@pytest.mark.parametrize("name", ["more-from-company", "suggested"])
def test_panels_refuse_unknown_parameters(api, name):
    article = ArticleFactory()

    response = api.get(f"/api/v1/articles/{article.slug}/{name}/", {"page_size": 3})

    assert response.status_code == 400


# Suggested


def test_suggested_excludes_the_same_company(api):
    openai = CompanyFactory()
    tag = TagFactory()
    article = ArticleFactory(company=openai, tags=[tag])
    ArticleFactory(company=openai, tags=[tag])
    other = ArticleFactory(tags=[tag])

    assert panel(api, article, "suggested") == [other.slug]


def test_suggested_ranks_by_shared_tags(api):
    a, b, c = TagFactory(), TagFactory(), TagFactory()
    article = ArticleFactory(tags=[a, b, c])
    one = ArticleFactory(tags=[a], published_at=hours_ago(1))
    three = ArticleFactory(tags=[a, b, c], published_at=hours_ago(3))
    two = ArticleFactory(tags=[a, b], published_at=hours_ago(2))

    assert panel(api, article, "suggested") == [three.slug, two.slug, one.slug]


def test_a_rare_tag_counts_more_than_a_common_one(api):
    common, rare = TagFactory(slug="common"), TagFactory(slug="rare")
    article = ArticleFactory(tags=[common, rare])
    shares_common = ArticleFactory(tags=[common], published_at=hours_ago(1))
    shares_rare = ArticleFactory(tags=[rare], published_at=hours_ago(2))
    for _ in range(5):  # make `common` common
        ArticleFactory(tags=[common], published_at=hours_ago(10))

    assert panel(api, article, "suggested", limit=2) == [shares_rare.slug, shares_common.slug]


def test_same_category_breaks_ties_among_related(api):
    tag = TagFactory()
    article = ArticleFactory(tags=[tag], category=Category.RESEARCH)
    newer_other_category = ArticleFactory(
        tags=[tag], category=Category.FUNDING, published_at=hours_ago(1)
    )
    older_same_category = ArticleFactory(
        tags=[tag], category=Category.RESEARCH, published_at=hours_ago(2)
    )

    assert panel(api, article, "suggested") == [
        older_same_category.slug,
        newer_other_category.slug,
    ]


def test_same_category_does_not_beat_a_shared_tag(api):
    tag = TagFactory()
    article = ArticleFactory(tags=[tag], category=Category.RESEARCH)
    related = ArticleFactory(tags=[tag], category=Category.FUNDING, published_at=hours_ago(2))
    unrelated = ArticleFactory(category=Category.RESEARCH, published_at=hours_ago(1))

    assert panel(api, article, "suggested") == [related.slug, unrelated.slug]


def test_recency_breaks_remaining_ties(api):
    tag = TagFactory()
    article = ArticleFactory(tags=[tag])
    older = ArticleFactory(tags=[tag], published_at=hours_ago(2))
    newer = ArticleFactory(tags=[tag], published_at=hours_ago(1))

    assert panel(api, article, "suggested") == [newer.slug, older.slug]


def test_suggested_falls_back_to_recent_articles_same_category_first(api):
    article = ArticleFactory(category=Category.RESEARCH, tags=[TagFactory()])
    newest_funding = ArticleFactory(category=Category.FUNDING, published_at=hours_ago(1))
    research = ArticleFactory(category=Category.RESEARCH, published_at=hours_ago(5))
    older_funding = ArticleFactory(category=Category.FUNDING, published_at=hours_ago(2))
    ArticleFactory(category=Category.FUNDING, published_at=hours_ago(9))

    assert panel(api, article, "suggested") == [
        research.slug,
        newest_funding.slug,
        older_funding.slug,
    ]


def test_suggested_fills_with_fallback_after_related(api):
    tag = TagFactory()
    article = ArticleFactory(tags=[tag])
    related = ArticleFactory(tags=[tag], published_at=hours_ago(5))
    recent = ArticleFactory(published_at=hours_ago(1))

    assert panel(api, article, "suggested") == [related.slug, recent.slug]


def test_suggested_is_empty_only_without_other_companies(api):
    openai = CompanyFactory()
    article = ArticleFactory(company=openai)
    ArticleFactory(company=openai)

    assert panel(api, article, "suggested") == []


def test_suggested_never_shows_drafts_or_scheduled(api):
    tag = TagFactory()
    article = ArticleFactory(tags=[tag])
    ArticleFactory(tags=[tag], status=Status.DRAFT)
    ArticleFactory(tags=[tag], published_at=timezone.now() + dt.timedelta(hours=1))
    public = ArticleFactory(published_at=hours_ago(3))

    assert panel(api, article, "suggested") == [public.slug]


def test_suggested_reason(api):
    rl = TagFactory(slug="rl", name="Reinforcement Learning")
    safety = TagFactory(slug="safety", name="AI Safety")
    article = ArticleFactory(tags=[rl, safety], category=Category.RESEARCH)
    ArticleFactory(tags=[safety, TagFactory(), rl], category=Category.FUNDING)

    item = api.get(f"/api/v1/articles/{article.slug}/suggested/").json()["results"][0]

    # The shared tags in the order the suggestion shows its own.
    assert item["reason"] == {
        "shared_tags": [
            {"slug": "safety", "name": "AI Safety"},
            {"slug": "rl", "name": "Reinforcement Learning"},
        ],
        "same_category": False,
    }
    assert [tag["slug"] for tag in item["tags"]][::2] == ["safety", "rl"]


def test_suggested_is_deterministic(api):
    tags = [TagFactory() for _ in range(3)]
    article = ArticleFactory(tags=tags)
    same_time = hours_ago(1)
    for i in range(10):
        ArticleFactory(tags=tags[: i % 3 + 1], published_at=same_time)

    runs = {tuple(panel(api, article, "suggested", limit=10)) for _ in range(3)}

    assert len(runs) == 1


def test_panel_query_counts_do_not_grow_with_limit(api, django_assert_num_queries):
    tag = TagFactory()
    openai = CompanyFactory()
    article = ArticleFactory(company=openai, tags=[tag])
    for hours in range(2, 25):
        ArticleFactory(company=openai, tags=[tag], published_at=hours_ago(hours))
        ArticleFactory(tags=[tag, TagFactory()], published_at=hours_ago(hours))

    # the article, the page of articles, their tags
    with django_assert_num_queries(3):
        api.get(f"/api/v1/articles/{article.slug}/more-from-company/", {"limit": 1})
    with django_assert_num_queries(3):
        api.get(f"/api/v1/articles/{article.slug}/more-from-company/", {"limit": 20})

    # the article, its tags and their counts, the articles sharing them all (their candidates,
    # those of the same category), the page of articles, their tags
    with django_assert_num_queries(6):
        api.get(f"/api/v1/articles/{article.slug}/suggested/", {"limit": 1})
    with django_assert_num_queries(6):
        api.get(f"/api/v1/articles/{article.slug}/suggested/", {"limit": 20})


@pytest.mark.parametrize("listed_max", [0, 2000])
@pytest.mark.parametrize("budget", [1, 4, 10_000])
def test_suggested_ranking_matches_a_brute_force_ranking(api, monkeypatch, budget, listed_max):
    """The shortcuts of articles.selectors._rank_related (those sharing every tag, found either
    way all_tags_q finds them; then the rare tags) change nothing."""
    import random

    from articles import filters, selectors

    monkeypatch.setattr(selectors, "RARE_TAGS_BUDGET", budget)
    monkeypatch.setattr(filters, "TAGGED_LISTED_MAX", listed_max)
    rng = random.Random(7)
    companies = [CompanyFactory() for _ in range(3)]
    tags = [TagFactory() for _ in range(10)]
    articles = []
    for _ in range(50):
        # A long tail: low-numbered tags are common.
        chosen = {t for t in tags if rng.random() < 0.6 / (tags.index(t) + 1) ** 0.7}
        articles.append(
            ArticleFactory(
                company=rng.choice(companies),
                category=rng.choice([Category.RESEARCH, Category.FUNDING]),
                tags=list(chosen),
                published_at=hours_ago(rng.randrange(1, 20)),
            )
        )
    links = {a.pk: {t.pk for t in a.tags.all()} for a in articles}
    counts = {t.pk: sum(t.pk in ts for ts in links.values()) for t in tags}

    for article in articles[:10]:
        mine = links[article.pk]
        scored = []
        for other in articles:
            shared = mine & links[other.pk]
            if other.company_id == article.company_id or not shared:
                continue
            score = sum(selectors.TAG_WEIGHT_SCALE // counts[t] for t in shared)
            key = (score, other.category == article.category, other.published_at, other.pk)
            scored.append((key, other.slug))
        expected = [slug for _, slug in sorted(scored, reverse=True)][:5]

        got = panel(api, article, "suggested", limit=5)

        assert got[: len(expected)] == expected
