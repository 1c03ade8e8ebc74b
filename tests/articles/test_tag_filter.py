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

    # The tags, the candidates, the page, its tags; one tag on more articles than are listed
    # has no candidates: the page probes each article (articles.filters.any_tag_q).
    for count in (1, 2, 3, TAG_FILTER_MAX_ITEMS):
        with django_assert_num_queries(3 if count == 1 and listed_max < 3 else 4):
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


# tag_any (at least one) and exclude_tag (none), alone and with the others


def expected_by(articles, keep) -> list[str]:
    """The public articles whose tag ids `keep` accepts, newest first."""
    now = timezone.now()
    public = [a for a in articles if a.status == Status.PUBLISHED and a.published_at <= now]
    matching = [a for a in public if keep(set(a.tags.values_list("pk", flat=True)))]
    return [a.slug for a in sorted(matching, key=lambda a: (a.published_at, a.pk), reverse=True)]


@pytest.mark.parametrize("listed_max", [0, filters.TAGGED_LISTED_MAX])
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    every=st.sets(st.integers(0, 11), max_size=2),
    some=st.sets(st.integers(0, 11), max_size=3),
    none=st.sets(st.integers(0, 11), max_size=3),
)
def test_tag_tag_any_and_exclude_tag_combine(
    api, tagged_world, monkeypatch, listed_max, every, some, none
):
    # listed_max 0: tag_any probes each article of the feed; else its few candidates are listed.
    monkeypatch.setattr(filters, "TAGGED_LISTED_MAX", listed_max)
    tags, articles = tagged_world
    ids = [tag.pk for tag in tags]
    params = {
        "tag": [tags[i].slug for i in sorted(every)],
        "tag_any": [tags[i].slug for i in sorted(some)],
        "exclude_tag": [tags[i].slug for i in sorted(none)],
        "page_size": 4,
    }

    seen = walk(api, {name: value for name, value in params.items() if value})

    assert seen == expected_by(
        articles,
        lambda carried: (
            {ids[i] for i in every} <= carried
            and (not some or bool({ids[i] for i in some} & carried))
            and not {ids[i] for i in none} & carried
        ),
    )


def test_tag_any_and_exclude_tag_combine_with_every_other_filter(api, tagged_world):
    tags, articles = tagged_world
    company = articles[0].company
    for article in articles[:30:2]:
        article.company = company
        article.category = "funding"
        article.save()
    since = timezone.now() - dt.timedelta(hours=15)
    params = {
        "tag_any": [tags[0].slug, tags[5].slug],
        "exclude_tag": [tags[1].slug],
        "company": company.slug,
        "category": "funding",
        "published_after": since.isoformat().replace("+00:00", "Z"),
        "page_size": 2,
    }

    seen = walk(api, params)

    chosen = {a.pk for a in articles if a.company_id == company.pk and a.published_at >= since}
    assert seen == expected_by(
        [a for a in articles if a.pk in chosen and a.category == "funding"],
        lambda carried: bool({tags[0].pk, tags[5].pk} & carried) and tags[1].pk not in carried,
    )
    assert seen  # the data has some
    ordered = walk(api, {**params, "ordering": "published_at"})
    assert ordered == seen[::-1]


def test_tag_any_and_exclude_tag_combine_with_search(api):
    safety, robotics = TagFactory(slug="safety"), TagFactory(slug="robotics")
    wanted = ArticleFactory(title="Alignment progress", tags=[safety])
    ArticleFactory(title="Alignment robots", tags=[safety, robotics])
    ArticleFactory(title="Alignment elsewhere", tags=[TagFactory()])
    ArticleFactory(title="Unrelated", tags=[safety])

    for ordering in ("relevance", "-published_at"):
        params = {"q": "alignment", "tag_any": "safety", "exclude_tag": "robotics"}
        assert walk(api, {**params, "ordering": ordering}) == [wanted.slug]


def test_exclude_tag_keeps_articles_without_tags(api):
    tag = TagFactory(slug="robotics")
    untagged = ArticleFactory()
    ArticleFactory(tags=[tag])

    assert walk(api, {"exclude_tag": "robotics"}) == [untagged.slug]


@pytest.mark.parametrize("name", ["tag_any", "exclude_tag"])
def test_the_same_tag_twice_is_the_tag_once_for_the_others_too(api, tagged_world, name):
    tags, _ = tagged_world
    once = walk(api, {name: tags[3].slug})

    assert walk(api, {name: [tags[3].slug, tags[3].slug]}) == once


@pytest.mark.parametrize(
    ("params", "listed_max", "queries"),
    [
        # the tags, the candidates (few: listed), the page, its tags
        ({"tag_any": 0}, filters.TAGGED_LISTED_MAX, 4),
        # the tags, the page (each article probed), its tags
        ({"tag_any": 0}, 0, 3),
        ({"exclude_tag": 0}, filters.TAGGED_LISTED_MAX, 3),
        # each parameter's tags, tag's candidates, the page, its tags
        ({"tag": 1, "tag_any": 1, "exclude_tag": 2}, 0, 6),
    ],
)
def test_tag_any_and_exclude_tag_queries_do_not_grow_with_the_tags(
    api, monkeypatch, django_assert_num_queries, params, listed_max, queries
):
    monkeypatch.setattr(filters, "TAGGED_LISTED_MAX", listed_max)
    # three groups of tags: on three articles, on two more, on one
    tags = TagFactory.create_batch(3 * TAG_FILTER_MAX_ITEMS)
    for group, articles in enumerate((3, 2, 1)):
        start = group * TAG_FILTER_MAX_ITEMS
        ArticleFactory.create_batch(articles, tags=tags[start : start + TAG_FILTER_MAX_ITEMS])

    for count in (1, 2, TAG_FILTER_MAX_ITEMS):
        given = {
            name: [tag.slug for tag in tags[start * TAG_FILTER_MAX_ITEMS :][:count]]
            for name, start in params.items()
        }
        # One `tag` on more articles than are listed: no candidates (any_tag_q's probes).
        single = count == 1 and "tag" in params and listed_max < 3
        with django_assert_num_queries(queries - single):
            response = api.get(FEED, given)
        assert response.status_code == 200, response.content
        assert response.json()["results"]


# The same strictness as `tag`


@pytest.mark.parametrize("name", ["tag", "tag_any", "exclude_tag"])
def test_more_values_than_the_bound_is_a_400_naming_the_parameter(api, name):
    tags = TagFactory.create_batch(TAG_FILTER_MAX_ITEMS + 1)
    ArticleFactory(tags=tags)

    response = api.get(FEED, {name: [tag.slug for tag in tags]})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": name,
            "code": "max_items",
            "message": f"Give at most {TAG_FILTER_MAX_ITEMS} values.",
        }
    ]


@pytest.mark.parametrize("name", ["tag", "tag_any", "exclude_tag"])
def test_an_unknown_tag_is_a_400_naming_the_value(api, name):
    ArticleFactory(tags=[TagFactory(slug="robotics")])

    response = api.get(FEED, {name: ["robotics", "no-such-tag"]})

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == (name, "invalid_choice")
    assert "no-such-tag" in error["message"]


@pytest.mark.parametrize("name", ["tag_any", "exclude_tag"])
def test_a_tag_only_a_draft_has_is_unknown_to_the_public_not_to_editors(api, staff_api, name):
    draft = ArticleFactory(tags=[TagFactory(slug="secret")], status=Status.DRAFT)
    other = ArticleFactory()

    assert api.get(FEED, {name: "secret"}).status_code == 400
    staff = [item["slug"] for item in staff_api.get(FEED, {name: "secret"}).json()["results"]]
    assert staff == ([draft.slug] if name == "tag_any" else [other.slug])


@pytest.mark.parametrize("name", ["tag_any", "exclude_tag"])
def test_an_empty_value_is_a_400(api, name):
    ArticleFactory(tags=[TagFactory(slug="robotics")])

    response = api.get(f"{FEED}?{name}=robotics&{name}=")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == name
    assert response.json()["errors"][0]["code"] == "blank"


@pytest.mark.parametrize("name", ["tag_any", "exclude_tag"])
def test_the_bound_is_refused_before_any_query_for_the_others_too(
    api, name, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = api.get(FEED, {name: [f"tag-{n}" for n in range(150)]})

    assert response.status_code == 400


def test_the_schema_documents_the_three_tag_parameters_alike(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/articles/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}

    for name, says in (
        ("tag", "all must match"),
        ("tag_any", "at least one"),
        ("exclude_tag", "none"),
    ):
        parameter = parameters[name]
        assert parameter["schema"]["type"] == "array"
        assert parameter["schema"]["maxItems"] == TAG_FILTER_MAX_ITEMS
        assert parameter["explode"] is True
        assert parameter["schema"]["items"] == parameters["tag"]["schema"]["items"]
        assert says in parameter["description"]
    refused = operation["responses"]["400"]["description"]
    assert "`tag_any`" in refused and "`exclude_tag`" in refused
    assert "naming the value" in refused
