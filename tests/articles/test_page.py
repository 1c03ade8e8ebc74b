"""GET /api/v1/articles/{slug}/page/: the four answers the article's page needs, in one.

The world is the hardening tests' (tests/hardening/conftest.py): the demo's seven articles, the
seed article's thread with comments of every status, a draft and a scheduled article, readers,
an Editor and a Moderator, each with a fixed token.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from articles.models import Article
from botbeat import cache as response_cache
from comments.services import comment_hide
from tests.hardening.conftest import DRAFT_SLUG, SCHEDULED_SLUG, SEED_SLUG, TOKENS, build_world

pytestmark = pytest.mark.django_db

BASE = "/api/v1/articles/{slug}/"

# Parameter combinations of the page, each with the parameters of the four paths it stands for.
COMBINATIONS = {
    "defaults": {},
    "limits": {"more_limit": "1", "suggested_limit": "5"},
    "thread": {"comments_page_size": "2", "comments_ordering": "newest"},
    "sparse": {"fields": "slug,title,company.name,tags.slug,takeaways"},
    "expanded": {"expand": "company,tags"},
    "both": {
        "expand": "company",
        "fields": "slug,title,company.name,company.article_count",
        "suggested_limit": "20",
        "comments_ordering": "oldest",
        "comments_page_size": "500",
    },
}


@pytest.fixture
def world(db, fast_password_hasher, empty_cache):
    return build_world()


def signed_in(name: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKENS[name]}")
    return client


def the_four(client, slug: str, params: dict[str, str]) -> dict:
    """The four answers the page replaces, each from its own path, assembled as the page
    assembles them."""
    base = BASE.format(slug=slug)
    own = {name: params[name] for name in ("fields", "expand") if name in params}
    thread = {
        name: params[f"comments_{name}"]
        for name in ("page_size", "ordering")
        if f"comments_{name}" in params
    }
    answers = {
        "article": client.get(base, own),
        "more_from_company": client.get(
            f"{base}more-from-company/", {"limit": params.get("more_limit", "3")}
        ),
        "suggested": client.get(f"{base}suggested/", {"limit": params.get("suggested_limit", "3")}),
        "comments": client.get(f"{base}comments/", thread),
    }
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.content)
    return {name: answer.json() for name, answer in answers.items()}


def page(client, slug: str, params: dict[str, str] | None = None):
    return client.get(f"{BASE.format(slug=slug)}page/", params or {})


@pytest.mark.parametrize("params", COMBINATIONS.values(), ids=COMBINATIONS.keys())
def test_the_page_is_the_four_answers_it_replaces(world, params):
    answer = page(APIClient(), SEED_SLUG, params)

    assert answer.status_code == 200, answer.content
    assert answer.json() == the_four(APIClient(), SEED_SLUG, params)
    assert list(answer.json()) == ["article", "more_from_company", "suggested", "comments"]


def test_the_seed_page_shows_what_the_seed_page_shows(world):
    body = page(APIClient(), SEED_SLUG).json()

    assert body["article"]["slug"] == SEED_SLUG
    assert body["article"]["company"]["name"] == "OpenAI"
    assert len(body["article"]["takeaways"]) == 3
    assert len(body["more_from_company"]["results"]) == 3
    assert {item["company"]["slug"] for item in body["more_from_company"]["results"]} == {"openai"}
    assert "openai" not in {item["company"]["slug"] for item in body["suggested"]["results"]}
    # The thread as the public sees it: the hidden comment without replies is gone, the one
    # with a visible reply keeps its place without its body.
    thread = body["comments"]["results"]
    assert len(thread) == 5
    assert [item["body"] for item in thread if item["status"] == "hidden"] == [None]


def test_the_thread_continues_on_the_comments_path(world):
    first = page(APIClient(), SEED_SLUG, {"comments_page_size": "2"}).json()["comments"]

    assert first["previous"] is None
    assert "/comments/?" in first["next"] and "page_size=2" in first["next"]
    rest = APIClient().get(first["next"])
    assert rest.status_code == 200
    seen = [item["id"] for item in first["results"] + rest.json()["results"]]
    whole = APIClient().get(f"{BASE.format(slug=SEED_SLUG)}comments/").json()["results"]
    assert seen == [item["id"] for item in whole][: len(seen)]


def test_a_signed_in_reader_gets_the_publics_bytes(world):
    public = page(APIClient(), SEED_SLUG)
    for name in ("alice", "staff"):
        reader = page(signed_in(name), SEED_SLUG)

        assert reader.content == public.content, name
        assert reader["ETag"] == public["ETag"]
        assert reader["Cache-Control"].startswith("public")


@pytest.mark.parametrize("params", [{}, COMBINATIONS["both"]], ids=["defaults", "both"])
def test_an_editor_gets_a_drafts_page_as_the_four_answers_say(world, params):
    editor = signed_in("editor")

    answer = page(editor, DRAFT_SLUG, params)

    assert answer.status_code == 200
    assert answer.json() == the_four(editor, DRAFT_SLUG, params)
    assert answer["Cache-Control"] == "private, no-store"
    assert answer.json()["comments"]["results"][0]["body"] == "SECRET-COMMENT-ON-DRAFT"


def test_a_moderator_sees_the_withheld_comments_as_on_the_comments_path(world):
    moderator = signed_in("moderator")

    answer = page(moderator, SEED_SLUG)

    assert answer.json() == the_four(moderator, SEED_SLUG, {})
    assert len(answer.json()["comments"]["results"]) == 7


@pytest.mark.parametrize("slug", [DRAFT_SLUG, SCHEDULED_SLUG, "no-such-article"])
def test_what_the_public_may_not_see_is_a_404(world, slug):
    answer = page(APIClient(), slug)

    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("more_limit", "0"),
        ("more_limit", "21"),
        ("suggested_limit", "x"),
        ("comments_page_size", "501"),
        ("comments_page_size", "05"),
        ("comments_ordering", "most_liked"),
        ("comments_ordering", "NEWEST"),
        ("fields", "slug,nope"),
        ("fields", "company.article_count"),
        ("expand", "comments"),
        ("limit", "3"),  # the panels' name: the page's are its own
        ("page_size", "3"),
        ("ordering", "newest"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(world, name, value):
    answer = page(APIClient(), SEED_SLUG, {name: value})

    assert answer.status_code == 400
    assert [error["field"] for error in answer.json()["errors"]] == [name]


def test_a_repeated_parameter_is_a_400(world):
    answer = APIClient().get(f"{BASE.format(slug=SEED_SLUG)}page/?more_limit=1&more_limit=2")

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "repeated"


def queries_of(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["anonymous", "moderator"])
@pytest.mark.parametrize("params", COMBINATIONS.values(), ids=COMBINATIONS.keys())
def test_the_page_costs_no_more_queries_than_the_four_paths(world, who, params):
    client = APIClient() if who == "anonymous" else signed_in(who)
    base = BASE.format(slug=SEED_SLUG)
    own = {name: params[name] for name in ("fields", "expand") if name in params}
    queries_of(client, f"{base}page/", params)  # a connection's first JSON query probes it
    four = (
        queries_of(client, base, own)
        + queries_of(client, f"{base}more-from-company/", {"limit": params.get("more_limit", 3)})
        + queries_of(client, f"{base}suggested/", {"limit": params.get("suggested_limit", 3)})
        + queries_of(client, f"{base}comments/")
    )

    assert queries_of(client, f"{base}page/", params) <= four


def test_the_pages_queries_are_pinned(world, django_assert_num_queries):
    url = f"{BASE.format(slug=SEED_SLUG)}page/"
    APIClient().get(url)
    # The article with its takeaways, its tags; more from the company, their tags; the
    # suggestions here (the article's tags, those sharing them all in its category and in
    # others, the ranking, the scores' articles, the rows, their tags); the thread. The four
    # paths take 16: the three others each look the article up again.
    with django_assert_num_queries(13):
        APIClient().get(url)


def test_one_etag_and_a_304(world):
    url = f"{BASE.format(slug=SEED_SLUG)}page/"
    first = APIClient().get(url)

    again = APIClient().get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_a_change_to_any_section_changes_the_etag(world):
    url = f"{BASE.format(slug=SEED_SLUG)}page/"
    etag = APIClient().get(url)["ETag"]
    comment_hide(comment=world.comments["bob_top"], moderator=world.moderator)

    answer = APIClient().get(url, HTTP_IF_NONE_MATCH=etag)

    assert answer.status_code == 200
    assert answer["ETag"] != etag


def surrogate_keys(client, url: str, params: dict | None = None) -> set[str]:
    return set(client.get(url, params or {})["Surrogate-Key"].split())


@pytest.mark.parametrize("params", COMBINATIONS.values(), ids=COMBINATIONS.keys())
def test_its_keys_are_the_four_answers_keys(world, params):
    base = BASE.format(slug=SEED_SLUG)
    client = APIClient()
    own = {name: params[name] for name in ("fields", "expand") if name in params}
    thread = {
        name: params[f"comments_{name}"]
        for name in ("page_size", "ordering")
        if f"comments_{name}" in params
    }
    four = (
        surrogate_keys(client, base, own)
        | surrogate_keys(
            client, f"{base}more-from-company/", {"limit": params.get("more_limit", 3)}
        )
        | surrogate_keys(client, f"{base}suggested/", {"limit": params.get("suggested_limit", 3)})
        | surrogate_keys(client, f"{base}comments/", thread)
    )

    assert surrogate_keys(client, f"{base}page/", params) == four


# Cached and purged like every public answer: the response cache on the local memory cache
# (tests/test_response_cache.py runs the same machinery on Redis too).


@pytest.fixture
def cached(settings, world):
    settings.RESPONSE_CACHE = True
    response_cache._redis_store = None
    return world


def cached_page(django_assert_num_queries, url: str):
    first = APIClient().get(url)
    with django_assert_num_queries(0):
        again = APIClient().get(url)
    assert again.content == first.content
    return first


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "write",
    ["comment", "article", "panel article", "suggested article", "company", "tag"],
)
def test_the_page_is_cached_and_every_write_it_shows_purges_it(
    cached, django_assert_num_queries, write
):
    from articles.models import Tag

    world = cached
    url = f"{BASE.format(slug=SEED_SLUG)}page/"
    before = cached_page(django_assert_num_queries, url).json()
    more = before["more_from_company"]["results"][0]["slug"]
    suggested = before["suggested"]["results"][0]["slug"]

    if write == "comment":
        comment_hide(comment=world.comments["bob_top"], moderator=world.moderator)
    elif write in {"article", "panel article", "suggested article"}:
        slug = {"article": SEED_SLUG, "panel article": more, "suggested article": suggested}[write]
        article = Article.objects.get(slug=slug)
        article.title = "A new title"
        article.save()
    elif write == "company":
        world.seed.company.name = "OpenAI, renamed"
        world.seed.company.save()
    else:
        tag = Tag.objects.get(slug=before["suggested"]["results"][0]["tags"][0]["slug"])
        tag.name = "A renamed tag"
        tag.save()

    after = APIClient().get(url).json()
    assert after != before
    assert after == the_four(APIClient(), SEED_SLUG, {})


def test_the_schema_names_its_sections_and_parameters():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/articles/{slug}/page/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    comments = schema["paths"]["/api/v1/articles/{slug}/comments/"]["get"]
    thread = comments["responses"]["200"]["content"]["application/json"]["schema"]
    page_schema = schema["components"]["schemas"]["ArticlePage"]["properties"]

    assert set(parameters) == {
        "fields",
        "expand",
        "more_limit",
        "suggested_limit",
        "comments_page_size",
        "comments_ordering",
        "preview",  # as on the detail: tests/articles/test_preview.py
    }
    assert parameters["more_limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 20,
        "default": 3,
    }
    assert parameters["comments_page_size"]["schema"]["maximum"] == 500
    assert set(parameters["comments_ordering"]["schema"]["enum"]) == {"oldest", "newest", "best"}
    assert page_schema["comments"]["allOf"] == [thread]
    assert page_schema["article"]["allOf"] == [{"$ref": "#/components/schemas/ArticleDetail"}]
    assert json.dumps(page_schema["more_from_company"]) == json.dumps(
        {"$ref": "#/components/schemas/MoreFromCompany"}
    )
