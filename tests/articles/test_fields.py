"""`fields` and `expand` on every article representation (API.md, "Sparse fields and
expansion"): plain, dotted, expanded and unknown names, what they cost, and their schema."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from articles import representation
from articles.serializers import (
    ArticleDetailSerializer,
    ArticleListSerializer,
    CategorySerializer,
    CompanyRefSerializer,
    ExpandedCompanySerializer,
    ExpandedTagSerializer,
    SourceSerializer,
    SuggestedArticleSerializer,
    SuggestionReasonSerializer,
    TagRefSerializer,
    TagSerializer,
)
from companies.serializers import CompanySerializer
from tests.factories import ArticleFactory, CommentFactory, CompanyFactory, TagFactory

pytestmark = pytest.mark.django_db

FEED = "/api/v1/articles/"


@pytest.fixture
def article():
    """An article with everything, one more of its company's and one of another company that
    shares a tag: every representation has an item."""
    company = CompanyFactory(
        slug="openai",
        name="OpenAI",
        description="An AI lab.",
        website_url="https://openai.example/",
        logo_url="https://cdn.example/openai.png",
    )
    ai, rl = TagFactory(slug="ai", name="AI"), TagFactory(slug="rl", name="RL")
    article = ArticleFactory(
        slug="the-article",
        company=company,
        tags=[ai, rl],
        takeaways=["one", "two"],
        authors=["Ada"],
    )
    ArticleFactory(company=company, tags=[rl])
    ArticleFactory(tags=[ai])
    CommentFactory(article=article)
    return article


def items(path: str, params: dict, client=None) -> list[dict]:
    """The articles of an answer, whichever representation it is."""
    response = (client or APIClient()).get(path, params)
    assert response.status_code == 200, response.content
    body = response.json()
    if path.endswith("/page/"):
        return [body["article"]]
    return body.get("results", [body])


# Every representation, each path that shows it: (path, representation).
PATHS = [
    (FEED, representation.LIST),
    ("/api/v1/articles/the-article/", representation.DETAIL),
    ("/api/v1/articles/the-article/more-from-company/", representation.LIST),
    ("/api/v1/articles/the-article/suggested/", representation.SUGGESTED),
    ("/api/v1/articles/the-article/page/", representation.DETAIL),
]
IDS = ["feed", "detail", "more-from-company", "suggested", "page"]


# Plain names


@pytest.mark.parametrize(("path", "shown"), PATHS, ids=IDS)
def test_only_the_fields_asked_for_in_the_documented_order(article, path, shown):
    for item in items(path, {"fields": "comment_count,title,url,slug"}):
        assert list(item) == ["slug", "url", "title", "comment_count"]
        assert item["url"] == f"https://botbeat.example/articles/{item['slug']}/"


@pytest.mark.parametrize(("path", "shown"), PATHS, ids=IDS)
def test_every_field_asked_for_is_the_whole_answer(article, path, shown):
    """The keys written one by one are exactly what the default writers write."""
    assert items(path, {"fields": ",".join(reversed(shown.keys))}) == items(path, {})


@pytest.mark.parametrize(("path", "shown"), PATHS, ids=IDS)
def test_every_item_shows_every_key_without_fields(article, path, shown):
    for item in items(path, {}):
        assert list(item) == list(shown.keys)


# Dotted names


@pytest.mark.parametrize(("path", "shown"), PATHS, ids=IDS)
def test_a_dotted_name_is_a_key_of_the_object(article, path, shown):
    for item in items(path, {"fields": "tags.name,company.name,category.label"}):
        assert list(item) == ["category", "company", "tags"]
        assert list(item["category"]) == ["label"]
        assert list(item["company"]) == ["name"]
        assert item["tags"] and all(list(tag) == ["name"] for tag in item["tags"])


def test_dotted_names_keep_their_objects_order_and_a_whole_key_wins(article):
    detail = "/api/v1/articles/the-article/"
    (item,) = items(detail, {"fields": "company.logo_url,company.slug,source.url"})
    (whole,) = items(detail, {"fields": "company.name,company"})

    assert item == {
        "company": {"slug": "openai", "logo_url": "https://cdn.example/openai.png"},
        "source": {"url": "https://example.com/story"},
    }
    assert whole["company"] == {
        "slug": "openai",
        "name": "OpenAI",
        "logo_url": "https://cdn.example/openai.png",
    }


def test_an_absent_source_stays_null_whatever_its_keys(article):
    bare = ArticleFactory(source_name="", source_url="")

    (item,) = items(f"/api/v1/articles/{bare.slug}/", {"fields": "source.name"})

    assert item == {"source": None}


def test_a_suggestions_reason_takes_dotted_names(article):
    path = "/api/v1/articles/the-article/suggested/"
    (same,) = items(path, {"fields": "reason.same_category"})
    (shared,) = items(path, {"fields": "slug,reason.shared_tags"})

    assert same == {"reason": {"same_category": True}}
    assert shared["reason"] == {"shared_tags": [{"slug": "ai", "name": "AI"}]}


# Expanded objects


@pytest.mark.parametrize(("path", "shown"), PATHS, ids=IDS)
def test_an_expanded_company_is_the_companys_own_answer(article, path, shown):
    for item in items(path, {"expand": "company"}):
        slug = item["company"]["slug"]
        assert item["company"] == APIClient().get(f"/api/v1/companies/{slug}/").json()
        assert list(item) == list(shown.keys)


@pytest.mark.parametrize(("path", "shown"), PATHS, ids=IDS)
def test_expanded_tags_are_the_tags_own_answers(article, path, shown):
    for item in items(path, {"expand": "tags"}):
        assert item["tags"]
        for tag in item["tags"]:
            assert tag == APIClient().get(f"/api/v1/tags/{tag['slug']}/").json()


def test_expansions_and_fields_compose(article):
    (item,) = items(
        "/api/v1/articles/the-article/",
        {"expand": "company", "fields": "slug,title,company.name,company.article_count"},
    )

    assert item == {
        "slug": "the-article",
        "title": article.title,
        "company": {"name": "OpenAI", "article_count": 2},
    }


def test_an_expanded_suggestions_shared_tags_stay_short(article):
    (item,) = items("/api/v1/articles/the-article/suggested/", {"expand": "tags"})

    assert item["reason"]["shared_tags"] == [{"slug": "ai", "name": "AI"}]
    assert item["tags"] == [{"slug": "ai", "name": "AI", "article_count": 2}]


def test_the_counts_are_what_the_public_sees(article, staff_api):
    ArticleFactory(company=article.company, tags=[TagFactory(slug="secret")], status="draft")
    path = "/api/v1/articles/the-article/"
    params = {"expand": "company,tags", "fields": "company.article_count,tags.article_count"}

    (public,) = items(path, params)
    (editor,) = items(path, params, client=staff_api)

    assert (
        public
        == editor
        == {
            "company": {"article_count": 2},
            "tags": [{"article_count": 2}, {"article_count": 2}],
        }
    )


# Unknown, empty and repeated names: a 400 naming the parameter


BAD = [
    ({"fields": "nope"}, "fields", "unknown_field"),
    ({"fields": "slug,Title"}, "fields", "unknown_field"),
    ({"fields": "slug, title"}, "fields", "unknown_field"),
    ({"fields": "slug.value"}, "fields", "unknown_field"),
    ({"fields": "company.nope"}, "fields", "unknown_field"),
    ({"fields": "company.description"}, "fields", "unknown_field"),
    ({"fields": "company.article_count"}, "fields", "unknown_field"),
    ({"fields": "tags.article_count"}, "fields", "unknown_field"),
    ({"fields": "company.name.x"}, "fields", "unknown_field"),
    ({"fields": "reason.shared_tags.slug"}, "fields", "unknown_field"),
    ({"fields": "slug,,title"}, "fields", "blank"),
    ({"fields": "slug,"}, "fields", "blank"),
    ({"fields": ","}, "fields", "blank"),
    ({"fields": "slug,title,slug"}, "fields", "repeated"),
    ({"expand": "nope"}, "expand", "unknown_expansion"),
    ({"expand": "Company"}, "expand", "unknown_expansion"),
    ({"expand": "company,company"}, "expand", "repeated"),
    ({"expand": "company,"}, "expand", "blank"),
    ({"expand": "tags", "fields": "company.article_count"}, "fields", "unknown_field"),
    ({"fields": ""}, "fields", "blank"),
    ({"expand": ""}, "expand", "blank"),
]


@pytest.mark.parametrize(("path", "shown"), PATHS, ids=IDS)
def test_an_unknown_empty_or_repeated_name_is_a_400_naming_it(article, path, shown):
    for params, field, code in BAD:
        response = APIClient().get(path, params)

        assert response.status_code == 400, params
        assert response["Content-Type"] == "application/problem+json"
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]


@pytest.mark.parametrize(("path", "shown"), PATHS, ids=IDS)
def test_a_key_of_another_representation_is_unknown(article, path, shown):
    others = {"takeaways", "reason"} - set(shown.keys)

    for name in others:
        response = APIClient().get(path, {"fields": f"slug,{name}"})
        assert response.status_code == 400, name
        assert f'"{name}"' in response.json()["errors"][0]["message"]


def test_the_message_names_the_field_and_what_would_make_it_known(article):
    expanded = APIClient().get(FEED, {"fields": "slug,company.article_count"}).json()
    unknown = APIClient().get(FEED, {"fields": "slug,nope,company.bogus"}).json()

    assert expanded["errors"][0]["message"] == (
        'Unknown field "company.article_count" without expand=company: it is a key of the '
        "expanded company."
    )
    assert [e["message"].split(".")[0] for e in unknown["errors"]] == [
        'Unknown field "nope"',
        'Unknown field "company',
    ]
    assert "slug, url, title" in unknown["errors"][0]["message"]


@pytest.mark.parametrize("name", ["fields", "expand"])
@pytest.mark.parametrize(("path", "shown"), PATHS, ids=IDS)
def test_a_repeated_parameter_is_a_400(article, path, shown, name):
    response = APIClient().get(f"{path}?{name}=slug&{name}=title")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": name, "code": "repeated", "message": "Give this parameter at most once."}
    ]


# Fewer fields, less work


def run(path: str, params: dict) -> list[str]:
    APIClient().get(path, params)  # SQLite: a connection's first JSON query probes its support
    with CaptureQueriesContext(connection) as queries:
        assert APIClient().get(path, params).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_a_detail_without_tags_takeaways_company_or_summary_reads_none_of_them(article):
    path = "/api/v1/articles/the-article/"
    default = run(path, {})
    sparse = run(path, {"fields": "slug,title,excerpt"})

    assert len(default) == 2  # the article with its takeaways; its tags
    assert len(sparse) == 1
    (sql,) = sparse
    assert "companies_company" not in sql
    assert "articles_takeaway" not in sql
    assert '"summary" AS' not in sql and "SUBSTR" in sql.upper()
    assert "editorial_opinion" not in sql
    assert "articles_takeaway" in default[0] and "companies_company" in default[0]


def test_each_key_reads_what_it_shows_and_no_more(article):
    path = "/api/v1/articles/the-article/"
    (takeaways,) = run(path, {"fields": "takeaways"})
    (company,) = run(path, {"fields": "company.name"})
    tags = run(path, {"fields": "tags.slug"})

    assert "articles_takeaway" in takeaways and "companies_company" not in takeaways
    assert "companies_company" in company and '"logo_url"' not in company
    assert len(tags) == 2 and "articles_tag" in tags[1]


@pytest.mark.parametrize(
    ("path", "params", "saved"),
    [
        (FEED, {"fields": "slug,title,comment_count"}, 1),  # the tags' query
        ("/api/v1/articles/the-article/more-from-company/", {"fields": "title"}, 1),
        ("/api/v1/articles/the-article/suggested/", {"fields": "title"}, 1),
        ("/api/v1/articles/the-article/suggested/", {"fields": "reason.same_category"}, 1),
        ("/api/v1/articles/the-article/page/", {"fields": "title"}, 1),
    ],
)
def test_no_tag_key_no_tags_query(article, path, params, saved):
    default, sparse = run(path, {}), run(path, params)

    assert len(sparse) == len(default) - saved
    if path == FEED:
        assert "companies_company" not in sparse[0]


@pytest.mark.parametrize(
    ("params", "plain", "extra"),
    [
        ({"expand": "company"}, {}, 1),  # the companies' columns and counts
        ({"expand": "company", "fields": "company.name"}, {"fields": "company.name"}, 0),
        ({"expand": "company", "fields": "company.description"}, {"fields": "company.name"}, 1),
        ({"expand": "tags"}, {}, 2),  # the tags' stored counts; their scheduled articles
        ({"expand": "tags", "fields": "tags.name"}, {"fields": "tags.name"}, 0),
        ({"expand": "company,tags"}, {}, 3),
    ],
)
@pytest.mark.parametrize("path", [FEED, "/api/v1/articles/the-article/"])
def test_an_expansion_costs_only_what_it_shows(article, path, params, plain, extra):
    assert len(run(path, params)) == len(run(path, plain)) + extra


def test_an_expanded_page_of_twenty_costs_what_one_costs(article, django_assert_num_queries):
    params = {"expand": "company,tags", "page_size": "20"}
    run(FEED, params)
    with django_assert_num_queries(5):
        APIClient().get(FEED, params)
    for _ in range(20):
        ArticleFactory(company=CompanyFactory(), tags=[TagFactory(), TagFactory()])
    with django_assert_num_queries(5):
        assert len(APIClient().get(FEED, params).json()["results"]) == 20


def test_the_company_counts_query_computes_only_the_counts_asked_for(article):
    sql = run(FEED, {"expand": "company", "fields": "company.article_count"})[1]

    assert "article_count" in sql and "latest_published_at" not in sql


# What the answer shows, for the caches


def keys(path: str, params: dict) -> set[str]:
    return set(APIClient().get(path, params)["Surrogate-Key"].split())


def test_the_keys_are_those_of_what_is_shown(article):
    path = "/api/v1/articles/the-article/"
    default = keys(path, {})

    assert keys(path, {"fields": "slug,title"}) == {f"article-{article.pk}", "botbeat"}
    assert keys(path, {"fields": "company.name"}) == {
        f"article-{article.pk}",
        f"company-{article.company_id}",
        "botbeat",
    }
    assert "feed" not in default
    # Counts any publication changes: the feed's key.
    assert keys(path, {"expand": "company"}) == default | {"feed"}
    assert keys(path, {"expand": "tags", "fields": "tags.article_count"}) == {
        f"article-{article.pk}",
        *(f"tag-{pk}" for pk in article.tags.values_list("pk", flat=True)),
        "feed",
        "botbeat",
    }


def test_different_fields_are_different_answers_in_the_response_cache(
    article, settings, empty_cache, django_assert_num_queries
):
    settings.RESPONSE_CACHE = True
    path = "/api/v1/articles/the-article/"
    slug = APIClient().get(path, {"fields": "slug"})
    title = APIClient().get(path, {"fields": "title"})
    APIClient().get(f"{path}?fields=slug&expand=company")

    with django_assert_num_queries(0):
        again = APIClient().get(path, {"fields": "slug"})
        reordered = APIClient().get(f"{path}?expand=company&fields=slug")

    assert slug.json() == again.json() == {"slug": "the-article"}
    assert title.json() == {"title": article.title}
    assert reordered.json() == {"slug": "the-article"}


def test_an_etag_per_shape(article):
    path = "/api/v1/articles/the-article/"
    first = APIClient().get(path, {"fields": "slug"})

    assert (
        APIClient().get(path, {"fields": "slug"}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code
        == 304
    )
    assert (
        APIClient().get(path, {"fields": "title"}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code
        == 200
    )


# The schema


SCHEMA_PATHS = {
    "/api/v1/articles/": representation.LIST,
    "/api/v1/articles/{slug}/": representation.DETAIL,
    "/api/v1/articles/{slug}/more-from-company/": representation.LIST,
    "/api/v1/articles/{slug}/suggested/": representation.SUGGESTED,
    "/api/v1/articles/{slug}/page/": representation.DETAIL,
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(("path", "shown"), SCHEMA_PATHS.items(), ids=IDS)
def test_the_schema_enumerates_every_value_of_both_parameters(schema, path, shown):
    parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
    fields, expand = parameters["fields"], parameters["expand"]

    for parameter in (fields, expand):
        assert (parameter["in"], parameter["style"], parameter["explode"]) == (
            "query",
            "form",
            False,
        )
        assert parameter["schema"]["type"] == "array"
        assert parameter["schema"]["uniqueItems"] is True
        assert parameter["schema"]["minItems"] == 1
    assert fields["schema"]["items"]["enum"] == shown.field_names()
    assert expand["schema"]["items"]["enum"] == ["company", "tags"]


def declared(serializer) -> list[str]:
    return list(serializer().fields)


def test_the_representations_are_the_serializers_fields():
    assert list(representation.LIST.keys) == declared(ArticleListSerializer)
    assert list(representation.DETAIL.keys) == declared(ArticleDetailSerializer)
    assert list(representation.SUGGESTED.keys) == declared(SuggestedArticleSerializer)
    assert list(representation.CATEGORY_KEYS) == declared(CategorySerializer)
    assert list(representation.COMPANY_KEYS) == declared(CompanyRefSerializer)
    assert list(representation.EXPANDED_COMPANY_KEYS) == declared(ExpandedCompanySerializer)
    assert declared(ExpandedCompanySerializer) == declared(CompanySerializer)
    assert list(representation.TAG_KEYS) == declared(TagRefSerializer)
    assert list(representation.EXPANDED_TAG_KEYS) == declared(ExpandedTagSerializer)
    assert declared(ExpandedTagSerializer) == declared(TagSerializer)
    assert list(representation.SOURCE_KEYS) == declared(SourceSerializer)
    assert list(representation.REASON_KEYS) == declared(SuggestionReasonSerializer)
    assert representation.DETAIL.field_names()[:6] == [
        "slug",
        "url",
        "title",
        "category",
        "category.value",
        "category.label",
    ]


def test_no_property_of_an_article_is_required_since_fields_may_leave_it_out(schema):
    components = schema["components"]["schemas"]
    sparse = [
        "ArticleList",
        "ArticleDetail",
        "SuggestedArticle",
        "Category",
        "CompanyRef",
        "ExpandedCompany",
        "TagRef",
        "ExpandedTag",
        "Source",
        "SuggestionReason",
    ]

    for name in sparse:
        assert "required" not in components[name], name
        assert "unless `fields`" in " ".join(components[name]["description"].split()), name
    # The companies' and tags' own answers keep theirs; the expanded ones are those objects.
    assert set(components["Company"]["required"]) == set(
        EXPANDED_COMPANY := components["Company"]["properties"]
    )
    assert components["ExpandedCompany"]["properties"] == EXPANDED_COMPANY
    assert components["ExpandedTag"]["properties"] == components["Tag"]["properties"]
    company = components["ArticleList"]["properties"]["company"]
    assert company["anyOf"] == [
        {"$ref": "#/components/schemas/CompanyRef"},
        {"$ref": "#/components/schemas/ExpandedCompany"},
    ]
    tags = components["ArticleDetail"]["properties"]["tags"]
    assert tags["items"]["anyOf"] == [
        {"$ref": "#/components/schemas/TagRef"},
        {"$ref": "#/components/schemas/ExpandedTag"},
    ]
    url = components["ArticleList"]["properties"]["url"]
    assert url["format"] == "uri"
    assert "https://botbeat.example/articles/{slug}/" in url["description"]
