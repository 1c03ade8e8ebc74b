"""Old slugs answer 301 (API.md, "Slugs that change"; botbeat/redirects.py): an article's
renamed slug, a merged tag's or company's, in paths and in filter values, in one hop however
many times it moved, only where the caller may look, only for reads, never cached."""

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from articles.filters import TAG_FILTER_MAX_ITEMS, ArticleFilter, CompanyFilter, TagsFilter
from articles.models import Article, ArticleSlugRedirect, Status, Tag, TagSlugRedirect
from articles.services import article_rename, tag_merge
from articles.views import SLUG_FILTERS, ArticleViewSet
from botbeat.services import Invalid
from comments.models import Comment
from companies.models import Company, CompanySlugRedirect
from companies.services import company_merge
from tests.admin.test_articles import form_data
from tests.factories import ArticleFactory, CompanyFactory, EditorFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
ORIGIN = "http://testserver"
# Every GET under an article's address, the viewset's detail actions and the thread.
ARTICLE_SUBPATHS = [
    "",
    *sorted(
        f"{action.url_path}/"
        for action in ArticleViewSet.get_extra_actions()
        if action.detail and "get" in action.mapping
    ),
    "comments/",
]


@pytest.fixture
def editor_api(db):
    client = APIClient()
    client.force_authenticate(EditorFactory())
    return client


@pytest.fixture
def admin(db):
    """The admin, signed in as an Editor."""
    client = Client()
    client.force_login(EditorFactory())
    return client


@pytest.fixture
def reader_api(db):
    client = APIClient()
    client.force_authenticate(UserFactory())
    return client


def rename(article: Article, slug: str) -> Article:
    return article_rename(article=article, slug=slug, by=None)


def assert_moved(response, location: str) -> None:
    assert response.status_code == 301, (response.status_code, response.content[:300])
    assert response["Location"] == ORIGIN + location
    assert response.content == b""


# Paths


def test_every_get_under_an_article_is_one_of_those_checked():
    assert {"more-from-company/", "suggested/", "comments/"} <= set(ARTICLE_SUBPATHS)


@pytest.mark.parametrize("sub", ARTICLE_SUBPATHS)
def test_a_renamed_articles_old_address_answers_301_at_the_new_one(api, sub):
    article = rename(ArticleFactory(slug="old-title"), "new-title")

    response = api.get(f"{API}/articles/old-title/{sub}")

    assert_moved(response, f"{API}/articles/new-title/{sub}")
    assert api.get(response["Location"]).status_code == 200
    assert Article.objects.get(pk=article.pk).slug == "new-title"


@pytest.mark.parametrize("sub", ARTICLE_SUBPATHS)
def test_head_answers_301_too(api, sub):
    rename(ArticleFactory(slug="old-title"), "new-title")

    response = api.head(f"{API}/articles/old-title/{sub}")

    assert response.status_code == 301
    assert response["Location"] == f"{ORIGIN}{API}/articles/new-title/{sub}"


@pytest.mark.parametrize(
    "path, query",
    [
        ("suggested/", "limit=5"),
        ("more-from-company/", "limit=2"),
        ("comments/", "ordering=newest&page_size=3"),
    ],
)
def test_the_query_string_is_kept_as_sent(api, path, query):
    rename(ArticleFactory(slug="old-title"), "new-title")

    response = api.get(f"{API}/articles/old-title/{path}?{query}")

    assert_moved(response, f"{API}/articles/new-title/{path}?{query}")


def test_a_chain_of_renames_redirects_every_old_slug_in_one_hop(api):
    article = ArticleFactory(slug="first")
    rename(rename(rename(article, "second"), "third"), "fourth")

    for old in ("first", "second", "third"):
        assert_moved(api.get(f"{API}/articles/{old}/"), f"{API}/articles/fourth/")
    assert api.get(f"{API}/articles/fourth/").status_code == 200


def test_renaming_back_makes_the_slug_live_again(api):
    article = rename(rename(ArticleFactory(slug="first"), "second"), "first")

    assert api.get(f"{API}/articles/first/").json()["slug"] == "first"
    assert_moved(api.get(f"{API}/articles/second/"), f"{API}/articles/first/")
    assert set(article.slug_redirects.values_list("old_slug", flat=True)) == {"second"}


def test_a_merged_tag_answers_301_at_the_tag_it_went_into(api):
    source, target = TagFactory(slug="genai"), TagFactory(slug="generative-ai")
    ArticleFactory(tags=[source])
    ArticleFactory(tags=[target])

    tag_merge(source=source, target=target, by=None)

    assert_moved(api.get(f"{API}/tags/genai/"), f"{API}/tags/generative-ai/")


def test_merges_of_merged_tags_carry_their_old_slugs_to_the_last_target(api):
    first, second, third = (TagFactory(slug=s) for s in ("ai", "a-i", "artificial-intelligence"))
    ArticleFactory(tags=[first, second, third])

    tag_merge(source=first, target=second, by=None)
    tag_merge(source=second, target=third, by=None)

    for old in ("ai", "a-i"):
        assert_moved(api.get(f"{API}/tags/{old}/"), f"{API}/tags/artificial-intelligence/")
        assert_moved(
            api.get(f"{API}/articles/?tag={old}"), f"{API}/articles/?tag=artificial-intelligence"
        )
    assert set(TagSlugRedirect.objects.values_list("old_slug", "target__slug")) == {
        ("ai", "artificial-intelligence"),
        ("a-i", "artificial-intelligence"),
    }


def test_a_merged_company_answers_301_and_so_do_the_companies_merged_into_it(api):
    first, second, third = (CompanyFactory(slug=s) for s in ("oai", "open-ai", "openai"))
    for company in (first, second, third):
        ArticleFactory(company=company)

    company_merge(source=first, target=second, by=None)
    company_merge(source=second, target=third, by=None)

    for old in ("oai", "open-ai"):
        assert_moved(api.get(f"{API}/companies/{old}/"), f"{API}/companies/openai/")
        assert_moved(api.get(f"{API}/articles/?company={old}"), f"{API}/articles/?company=openai")


def test_merging_into_a_tag_whose_slug_was_an_old_one_leaves_no_row_for_a_live_slug():
    renamed = TagFactory(slug="ai")
    ArticleFactory(tags=[renamed])
    renamed.slug = "ai-old"
    renamed.save()
    TagSlugRedirect.objects.create(old_slug="ai", target=renamed)  # what its admin records
    newcomer = TagFactory(slug="ai")  # a new tag takes the old slug
    ArticleFactory(tags=[newcomer])

    tag_merge(source=renamed, target=newcomer, by=None)

    assert list(TagSlugRedirect.objects.values_list("old_slug", "target")) == [
        ("ai-old", newcomer.pk)
    ]


def test_an_old_slug_of_a_deleted_object_is_a_404(api):
    article = rename(ArticleFactory(slug="first"), "second")

    article.delete()

    assert api.get(f"{API}/articles/first/").status_code == 404
    assert not ArticleSlugRedirect.objects.exists()


# Filters


def test_an_old_tag_in_the_feed_redirects_with_every_other_parameter_kept_in_order(api):
    gone, kept = TagFactory(slug="genai"), TagFactory(slug="safety")
    target = TagFactory(slug="generative-ai")
    ArticleFactory(tags=[gone, kept, target])
    tag_merge(source=gone, target=target, by=None)
    query = "q=open+ai%21&tag=genai&category=research&tag=safety&page_size=5"

    response = api.get(f"{API}/articles/?{query}")

    assert_moved(
        response,
        f"{API}/articles/?q=open+ai%21&tag=generative-ai&category=research&tag=safety&page_size=5",
    )
    assert api.get(response["Location"]).status_code == 200


def test_an_old_value_beside_an_unknown_one_redirects_and_the_unknown_is_refused_there(api):
    gone, target = TagFactory(slug="genai"), TagFactory(slug="generative-ai")
    ArticleFactory(tags=[gone, target])
    tag_merge(source=gone, target=target, by=None)

    response = api.get(f"{API}/articles/?tag=genai&tag=nowhere")

    assert_moved(response, f"{API}/articles/?tag=generative-ai&tag=nowhere")
    refused = api.get(response["Location"])
    assert refused.status_code == 400
    assert [error["field"] for error in refused.json()["errors"]] == ["tag"]


def test_too_many_values_are_refused_without_a_look_at_the_old_slugs(
    api, django_assert_num_queries
):
    gone, target = TagFactory(slug="gone"), TagFactory(slug="here")
    ArticleFactory(tags=[gone, target])
    tag_merge(source=gone, target=target, by=None)
    tags = ["gone", *(f"tag-{n}" for n in range(TAG_FILTER_MAX_ITEMS))]

    with django_assert_num_queries(0):
        response = api.get(f"{API}/articles/", {"tag": tags})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "max_items"


def test_an_unknown_filter_value_is_still_a_400(api):
    ArticleFactory()

    assert api.get(f"{API}/articles/?tag=nowhere").status_code == 400
    assert api.get(f"{API}/articles/?company=nowhere").status_code == 400


SLUG_FILTER_NAMES = sorted(set(SLUG_FILTERS) & set(ArticleFilter.base_filters))


def test_every_feed_filter_that_takes_a_slug_is_a_slug_filter():
    takes_slugs = {
        name: Tag if isinstance(f, TagsFilter) else Company
        for name, f in ArticleFilter.base_filters.items()
        if isinstance(f, TagsFilter | CompanyFilter)
    }

    assert {"company", "tag"} <= set(takes_slugs)
    assert takes_slugs == {name: SLUG_FILTERS[name] for name in takes_slugs}


@pytest.mark.parametrize("name", SLUG_FILTER_NAMES)
def test_every_slug_filter_redirects_an_old_slug(api, name):
    model = SLUG_FILTERS[name]
    if model is Tag:
        gone, target = TagFactory(slug="gone"), TagFactory(slug="here")
        ArticleFactory(tags=[gone, target])
        ArticleFactory()  # so that a tag excluded leaves something
        tag_merge(source=gone, target=target, by=None)
    else:
        gone, target = CompanyFactory(slug="gone"), CompanyFactory(slug="here")
        ArticleFactory(company=gone)
        ArticleFactory(company=target)
        company_merge(source=gone, target=target, by=None)

    response = api.get(f"{API}/articles/?{name}=gone&ordering=published_at")

    assert_moved(response, f"{API}/articles/?{name}=here&ordering=published_at")
    assert api.get(response["Location"]).status_code == 200


def test_a_parameter_the_operation_does_not_take_is_not_redirected(api):
    article = ArticleFactory(slug="live")
    gone, target = TagFactory(slug="gone"), TagFactory(slug="here")
    ArticleFactory(tags=[gone, target])
    tag_merge(source=gone, target=target, by=None)

    response = api.get(f"{API}/articles/{article.slug}/?tag=gone")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_parameter"


# Who may follow


def test_a_renamed_drafts_old_slug_redirects_only_for_editors(api, reader_api, editor_api):
    rename(ArticleFactory(slug="secret-draft", status=Status.DRAFT), "secret-draft-2")

    for client in (api, reader_api):
        response = client.get(f"{API}/articles/secret-draft/")
        assert response.status_code == 404
        assert b"secret-draft-2" not in response.content
        assert "Location" not in response
    assert_moved(editor_api.get(f"{API}/articles/secret-draft/"), f"{API}/articles/secret-draft-2/")


def test_a_tag_merged_into_one_only_drafts_carry_redirects_only_for_editors(api, editor_api):
    gone, hidden = TagFactory(slug="gone"), TagFactory(slug="zz-hidden")
    ArticleFactory(tags=[gone], status=Status.DRAFT)
    ArticleFactory(tags=[hidden], status=Status.DRAFT)
    tag_merge(source=gone, target=hidden, by=None)

    assert api.get(f"{API}/tags/gone/").status_code == 404
    refused = api.get(f"{API}/articles/?tag=gone")
    assert refused.status_code == 400
    assert b"zz-hidden" not in refused.content
    assert_moved(editor_api.get(f"{API}/tags/gone/"), f"{API}/tags/zz-hidden/")
    assert_moved(editor_api.get(f"{API}/articles/?tag=gone"), f"{API}/articles/?tag=zz-hidden")


def test_a_company_merged_into_one_with_only_drafts_redirects_only_for_editors(api, editor_api):
    gone, stealth = CompanyFactory(slug="gone"), CompanyFactory(slug="zz-stealth")
    ArticleFactory(company=gone, status=Status.DRAFT)
    ArticleFactory(company=stealth, status=Status.DRAFT)
    ArticleFactory()
    company_merge(source=gone, target=stealth, by=None)

    assert api.get(f"{API}/companies/gone/").status_code == 404
    assert api.get(f"{API}/articles/?company=gone").status_code == 400
    assert_moved(editor_api.get(f"{API}/companies/gone/"), f"{API}/companies/zz-stealth/")


# A live slug wins


def test_an_old_slug_taken_by_a_new_article_answers_the_new_article(api):
    rename(ArticleFactory(slug="taken"), "moved")
    newcomer = ArticleFactory(slug="taken")

    response = api.get(f"{API}/articles/taken/")

    assert response.status_code == 200
    assert response.json()["title"] == newcomer.title


def test_an_old_slug_taken_by_a_draft_is_a_404_to_the_public_and_the_draft_to_editors(
    api, editor_api
):
    rename(ArticleFactory(slug="taken"), "moved")
    draft = ArticleFactory(slug="taken", status=Status.DRAFT)

    assert api.get(f"{API}/articles/taken/").status_code == 404
    assert editor_api.get(f"{API}/articles/taken/").json()["title"] == draft.title


def test_renaming_onto_an_old_slug_takes_it_over(api):
    first = rename(ArticleFactory(slug="taken"), "moved")
    second = rename(ArticleFactory(slug="other"), "taken")

    assert api.get(f"{API}/articles/taken/").json()["title"] == second.title
    assert_moved(api.get(f"{API}/articles/other/"), f"{API}/articles/taken/")
    assert set(ArticleSlugRedirect.objects.values_list("old_slug", "target")) == {
        ("other", second.pk)
    }
    assert first.slug_redirects.count() == 0


def test_a_live_answer_never_reads_the_redirect_table(api, django_assert_num_queries):
    article = rename(ArticleFactory(slug="first"), "live")
    tag = TagFactory(slug="tagged")
    ArticleFactory(tags=[tag], company=article.company)
    paths = [f"{API}/articles/live/{sub}" for sub in ARTICLE_SUBPATHS]
    paths += [f"{API}/articles/?tag=tagged", f"{API}/tags/tagged/"]
    paths += [f"{API}/articles/?company={article.company.slug}"]

    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path).status_code == 200, path
        assert not [q for q in queries if "slugredirect" in q["sql"]], path
    # A miss costs the lookup it always cost, and one indexed query more.
    with django_assert_num_queries(2):
        assert api.get(f"{API}/articles/nowhere/").status_code == 404


# Only reads


def test_a_post_to_an_old_comments_address_is_a_404_and_writes_nothing(reader_api):
    rename(ArticleFactory(slug="old-title"), "new-title")

    response = reader_api.post(
        f"{API}/articles/old-title/comments/", {"body": "Hello."}, format="json"
    )

    assert response.status_code == 404
    assert "Location" not in response
    assert not Comment.objects.exists()


# Caching: the purges run once a transaction commits, outside a test's transaction only.


@pytest.mark.django_db(transaction=True)
def test_a_301_is_kept_by_no_cache_and_the_rename_purges_the_old_answer(api, settings, empty_cache):
    settings.RESPONSE_CACHE = True
    article = ArticleFactory(slug="first")
    assert api.get(f"{API}/articles/first/").status_code == 200  # stored
    assert api.get(f"{API}/articles/first/").status_code == 200  # served from the cache

    rename(article, "second")
    moved = api.get(f"{API}/articles/first/")

    assert_moved(moved, f"{API}/articles/second/")
    assert moved["Cache-Control"] == "private, no-store"
    for header in ("ETag", "Surrogate-Key", "Cache-Tag"):
        assert header not in moved
    newcomer = ArticleFactory(slug="first")  # a write that names none of the 301's keys
    assert api.get(f"{API}/articles/first/").json()["title"] == newcomer.title


@pytest.mark.django_db(transaction=True)
def test_a_filter_301_is_not_cached_either(api, settings, empty_cache):
    settings.RESPONSE_CACHE = True
    gone, target = TagFactory(slug="gone"), TagFactory(slug="here")
    ArticleFactory(tags=[gone, target])
    tag_merge(source=gone, target=target, by=None)

    moved = api.get(f"{API}/articles/?tag=gone")

    assert moved["Cache-Control"] == "private, no-store"
    TagFactory(slug="gone")  # the old slug taken: it is an unknown tag now (no article)
    assert api.get(f"{API}/articles/?tag=gone").status_code == 400


# The service and the admin


def test_article_rename_records_who_did_it_and_refuses_bad_or_taken_slugs():
    editor = EditorFactory()
    article = ArticleFactory(slug="first")
    ArticleFactory(slug="someone-else")

    with pytest.raises(Invalid) as bad:
        article_rename(article=article, slug="not a slug", by=editor)
    with pytest.raises(Invalid) as taken:
        article_rename(article=article, slug="someone-else", by=editor)
    same = article_rename(article=article, slug="first", by=editor)
    renamed = article_rename(article=article, slug="second", by=editor)

    assert (bad.value.code, bad.value.field) == ("invalid", "slug")
    assert (taken.value.code, taken.value.field) == ("slug_taken", "slug")
    assert same.slug == "first"
    assert renamed.slug == "second"
    assert [entry.change_message for entry in LogEntry.objects.all()] == [
        "Changed the slug from “first” to “second”: the old address redirects here."
    ]
    assert list(ArticleSlugRedirect.objects.values_list("old_slug", "target")) == [
        ("first", article.pk)
    ]


def test_changing_the_slug_in_the_admin_keeps_the_old_address(api, admin):
    article = ArticleFactory(slug="anthropic-ships-a-new-model", status=Status.DRAFT)
    data = form_data(company=article.company, slug="anthropic-ships-claude", status="published")
    data["published_at_0"], data["published_at_1"] = "2026-01-01", "09:30:00"

    response = admin.post(f"/admin/articles/article/{article.pk}/change/", data)

    assert response.status_code == 302, response.content[:2000]
    assert_moved(
        api.get(f"{API}/articles/anthropic-ships-a-new-model/comments/"),
        f"{API}/articles/anthropic-ships-claude/comments/",
    )
    messages = [entry.get_change_message() for entry in LogEntry.objects.order_by("pk")]
    assert "Changed the slug from “anthropic-ships-a-new-model” to “anthropic-ships-claude”" in (
        messages[0] + messages[1]
    )
    assert not any("Slug" in message for message in messages)
    page = admin.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert "anthropic-ships-a-new-model" in page  # among its old slugs


@pytest.mark.parametrize("kind", ["tag", "company"])
def test_changing_a_tags_or_companys_slug_in_the_admin_keeps_the_old_address(api, admin, kind):
    if kind == "tag":
        obj = TagFactory(slug="old-slug", name="Robotics")
        ArticleFactory(tags=[obj])
        url, data = f"/admin/articles/tag/{obj.pk}/change/", {"name": "Robotics"}
    else:
        obj = CompanyFactory(slug="old-slug", name="Anthropic")
        ArticleFactory(company=obj)
        url, data = f"/admin/companies/company/{obj.pk}/change/", {"name": "Anthropic"}

    response = admin.post(url, data | {"slug": "new-slug"})

    assert response.status_code == 302, response.content[:2000]
    plural = "tags" if kind == "tag" else "companies"
    assert_moved(api.get(f"{API}/{plural}/old-slug/"), f"{API}/{plural}/new-slug/")
    assert "old-slug" in admin.get(url).content.decode()
    redirects = TagSlugRedirect if kind == "tag" else CompanySlugRedirect
    assert list(redirects.objects.values_list("old_slug", flat=True)) == ["old-slug"]


# The schema


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_documents_the_301_and_its_location_where_it_is_served(schema):
    documented = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            moved = operation["responses"].get("301")
            takes_a_slug = "{slug}" in path or path in {"/api/v1/articles/", "/api/v1/changes/"}
            if method == "get" and takes_a_slug:
                assert moved["headers"]["Location"]["required"] is True, path
                assert moved["headers"]["Location"]["schema"]["format"] == "uri"
                assert "content" not in moved
                documented.add(path)
            else:
                assert moved is None, (method, path)
    assert {
        "/api/v1/articles/",
        "/api/v1/articles/{slug}/",
        "/api/v1/articles/{slug}/comments/",
        "/api/v1/articles/{slug}/more-from-company/",
        "/api/v1/articles/{slug}/suggested/",
        "/api/v1/tags/{slug}/",
        "/api/v1/companies/{slug}/",
    } <= documented


def test_the_feeds_301_names_every_slug_filter(schema):
    description = schema["paths"]["/api/v1/articles/"]["get"]["responses"]["301"]["description"]

    for name in SLUG_FILTER_NAMES:
        assert f"`{name}`" in description
