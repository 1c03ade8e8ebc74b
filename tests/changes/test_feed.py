"""GET /api/v1/changes/: pages, since tokens, retention, filters, strictness, schema, cost."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from articles.models import Status
from articles.services import article_publish, article_rename, article_unpublish
from botbeat.redirects import slug_renamed
from changes.models import Change
from changes.outbox import touched
from changes.tasks import prune
from changes.views import ChangePageSerializer, since_id, since_token
from comments.services import comment_create
from tests.changes.mirror import Mirror
from tests.factories import (
    ArticleFactory,
    CompanyFactory,
    NewsroomFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def feed(api, **params):
    return api.get("/api/v1/changes/", params)


def published(n: int = 1, **kwargs):
    """n articles published through the service (the factory alone announces nothing)."""
    editor = NewsroomFactory()
    articles = []
    for _ in range(n):
        article = ArticleFactory(status=Status.DRAFT, **kwargs)
        articles.append(article_publish(article=article, by=editor))
    return articles


def test_an_empty_feed_still_gives_a_next_since(api):
    body = feed(api).json()
    assert body == {"results": [], "next_since": since_token(0), "has_more": False}
    assert feed(api, since=body["next_since"]).json()["results"] == []


def test_oldest_first_with_every_field(api):
    article = published()[0]
    body = feed(api).json()
    first = body["results"][0]
    assert list(first) == ["id", "type", "at", "key", "data"]
    assert first["type"] == "article.published"
    assert first["key"] == article.slug
    assert first["data"] == api.get(f"/api/v1/articles/{article.slug}/").json()
    types = [change["type"] for change in body["results"]]
    assert types == ["article.published", "company.updated"]  # its company appears with it
    ids = [change["id"] for change in body["results"]]
    assert ids == sorted(ids)


def test_pages_follow_each_other_without_gap_or_repeat(api):
    published(7)
    seen = []
    since = None
    while True:
        body = feed(api, page_size=3, **({"since": since} if since else {})).json()
        seen += [change["id"] for change in body["results"]]
        since = body["next_since"]
        if not body["has_more"]:
            break
    assert seen == list(Change.objects.order_by("id").values_list("id", flat=True))
    assert len(seen) == len(set(seen)) == 14  # 7 articles and their 7 companies
    assert feed(api, since=since).json()["results"] == []


def test_a_client_resumes_after_new_writes(api):
    mirror = Mirror(api, page_size=2)
    first = published(2)
    mirror.sync()
    article_unpublish(article=first[0], by=NewsroomFactory())
    assert mirror.sync() == 2  # the article and its company, which had no other
    assert ("article", first[0].slug) not in mirror.store
    assert ("article", first[1].slug) in mirror.store


def test_a_removal_has_null_data_and_the_old_key(api):
    article = published()[0]
    old = article.slug
    article_rename(article=article, slug="new-slug", by=None)
    body = feed(api, type="article").json()
    assert [(c["type"], c["key"]) for c in body["results"]] == [
        ("article.published", old),
        ("article.removed", old),
        ("article.updated", "new-slug"),
    ]
    assert body["results"][1]["data"] is None


def test_drafts_never_appear_whoever_asks(api, staff_api):
    ArticleFactory(status=Status.DRAFT)
    draft = ArticleFactory(status=Status.DRAFT)
    touched(articles=[draft.pk])
    assert feed(api).json()["results"] == []
    assert feed(staff_api).json()["results"] == []


@pytest.mark.parametrize("value", ["x", "!!", "Yw", "Yy0x", since_token(5) + "A", "YzA1"])
def test_a_malformed_since_is_a_400(api, value):
    response = feed(api, since=value)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_since"
    assert response.json()["errors"][0]["field"] == "since"


def test_tokens_round_trip():
    for n in (0, 1, 255, 2**40, 2**63 - 1):
        assert since_id(since_token(n)) == n


def test_a_since_older_than_the_retention_is_410(api, settings):
    settings.CHANGES_RETENTION_DAYS = 90
    article = published()[0]
    old_token = feed(api).json()["next_since"]
    first = feed(api).json()["results"]
    article_unpublish(article=article, by=None)
    Change.objects.filter(id__in=[c["id"] for c in first]).update(
        at=timezone.now() - dt.timedelta(days=91)
    )
    middle = since_token(first[0]["id"])  # before a pruned change
    assert prune() == 2

    response = feed(api, since=middle)
    assert response.status_code == 410
    assert response.json()["code"] == "since_expired"
    assert response.json()["status"] == 410
    assert response["Content-Type"].startswith("application/problem+json")
    # A token at the pruned horizon or after it is fine; so is no token at all.
    assert feed(api, since=old_token).status_code == 200
    body = feed(api).json()
    assert [c["type"] for c in body["results"]] == ["article.removed", "company.removed"]
    assert feed(api, since=since_token(0)).status_code == 410


def test_type_filter_takes_types_and_kinds(api):
    article = published()[0]
    comment_create(article=article, author=UserFactory(), body="Hello")
    assert {c["type"] for c in feed(api, type="comment").json()["results"]} == {"comment.created"}
    both = feed(api, type=["company", "comment.created"]).json()["results"]
    assert {c["type"] for c in both} == {"company.updated", "comment.created"}
    article_types = {c["type"] for c in feed(api, type="article.updated").json()["results"]}
    assert article_types == {"article.updated"}  # its comment_count


def test_an_unknown_type_is_a_400_naming_it(api):
    response = feed(api, type=["article", "articles.updated"])
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "type"
    assert "articles.updated" in body["errors"][0]["message"]


def test_company_and_tag_filters(api):
    acme, other = CompanyFactory(slug="acme"), CompanyFactory(slug="other")
    ai = TagFactory(slug="ai")
    mine = published(company=acme, tags=[ai])[0]
    published(company=other)
    comment_create(article=mine, author=UserFactory(), body="Hi")

    by_company = feed(api, company="acme").json()["results"]
    assert {(c["type"], c["key"]) for c in by_company} == {
        ("article.published", mine.slug),
        ("company.updated", "acme"),
        ("article.updated", mine.slug),
        ("comment.created", str(mine.comments.get().pk)),
    }
    by_tag = feed(api, tag="ai").json()["results"]
    assert {c["key"] for c in by_tag} == {mine.slug, "ai", str(mine.comments.get().pk)}


def test_an_article_leaving_a_tag_is_seen_by_that_tags_filter(api):
    ai = TagFactory(slug="ai")
    keep = TagFactory(slug="keep")
    article = published(tags=[ai, keep])[0]
    since = feed(api, tag="keep").json()["next_since"]
    from articles.services import article_tags_set

    article_tags_set(article=article, tags=[keep])
    keys = {(c["type"], c["key"]) for c in feed(api, tag="keep", since=since).json()["results"]}
    assert ("article.updated", article.slug) in keys
    # The tag's own filter: "ai" is gone, a 400 now, but its removal was in the feed.
    assert ("tag.removed", "ai") in {
        (c["type"], c["key"]) for c in feed(api, type="tag").json()["results"]
    }


@pytest.mark.parametrize(
    "params,field",
    [
        ({"company": "nope"}, "company"),
        ({"tag": "nope"}, "tag"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "05"}, "page_size"),
        ({"page_size": ""}, "page_size"),
        ({"since": ""}, "since"),
        ({"cursor": "x"}, "cursor"),
        ({"company": ["a", "b"]}, "company"),
    ],
)
def test_strict_parameters(api, params, field):
    response = feed(api, **params)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_draft_only_company_is_unknown_to_the_filter(api):
    ArticleFactory(status=Status.DRAFT, company=CompanyFactory(slug="secret"))
    assert feed(api, company="secret").status_code == 400


def test_next_since_moves_to_the_head_past_other_changes(api):
    """A filtered client does not rescan what it has seen: a page that is not full ends at the
    head of the whole feed."""
    published(3)
    body = feed(api, type="tag").json()
    assert body["results"] == []
    assert since_id(body["next_since"]) == Change.objects.latest("id").id


def test_answers_carry_an_etag_and_a_304(api):
    published()
    first = feed(api)
    assert first["ETag"]
    assert "changes" in first["Surrogate-Key"].split()
    again = api.get("/api/v1/changes/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_in_the_index(api):
    assert api.get("/api/v1/").json()["changes"].endswith("/api/v1/changes/")


def test_a_page_of_100_costs_a_few_queries_whatever_its_kinds(api):
    articles = published(20, tags=[TagFactory(), TagFactory()])
    reader = UserFactory()
    for n, article in enumerate(articles + articles):
        # (each body its own: the same one twice would be a duplicate)
        comment_create(article=article, author=reader, body=f"{n}: on {article.slug}")
    assert Change.objects.count() >= 100
    with CaptureQueriesContext(connection) as queries:
        body = feed(api, page_size=100).json()
    assert len(body["results"]) == 100
    assert {c["type"].partition(".")[0] for c in body["results"]} == {
        "article",
        "company",
        "tag",
        "comment",
    }
    # head, horizon, page; articles (rows, tags), companies, tags (2), comments; the throttle's
    assert len(queries) <= 12, [q["sql"][:80] for q in queries]


def test_the_schema_documents_it(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/changes/"]["get"]
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert names == {"since", "type", "company", "tag", "page_size"}
    types = next(p for p in operation["parameters"] if p["name"] == "type")
    assert "article" in types["schema"]["items"]["enum"]
    assert "comment.removed" in types["schema"]["items"]["enum"]
    size = next(p for p in operation["parameters"] if p["name"] == "page_size")
    assert (size["schema"]["minimum"], size["schema"]["maximum"]) == (1, 100)
    assert {"200", "400", "410"} <= set(operation["responses"])
    change = schema["components"]["schemas"]["Change"]
    assert change["properties"]["data"]["nullable"] is True


def test_the_answer_is_what_its_serializer_documents(api):
    """The view writes its body without ChangePageSerializer (changes.views.feed_page): the
    serializer, which the schema is made from, must write the same."""
    articles = published(2, tags=[TagFactory()])
    comment_create(article=articles[0], author=UserFactory(), body="A comment.")
    article_unpublish(article=articles[1], by=None)
    body = feed(api, page_size=3).json()
    assert body["has_more"]
    rows = {change.id: change for change in Change.objects.all()}
    documented = ChangePageSerializer(
        {
            "results": [
                {
                    "id": item["id"],
                    "type": rows[item["id"]].type,
                    "at": rows[item["id"]].at,
                    "key": rows[item["id"]].key,
                    "data": item["data"],
                }
                for item in body["results"]
            ],
            "next_since": body["next_since"],
            "has_more": body["has_more"],
        }
    ).data
    assert json.loads(JSONRenderer().render(documented)) == body


def test_an_old_company_or_tag_slug_in_a_filter_is_a_301(api):
    tag = TagFactory(slug="agents")
    company = published(tags=[tag])[0].company
    for thing, new in ((company, "renamed-co"), (tag, "renamed-tag")):
        old = thing.slug
        thing.slug = new
        thing.save()
        slug_renamed(obj=thing, old_slug=old)

    moved = feed(api, company=old_company_slug(company), page_size=5)
    assert moved.status_code == 301
    assert moved["Location"].endswith("/api/v1/changes/?company=renamed-co&page_size=5")
    moved = feed(api, tag="agents")
    assert moved.status_code == 301
    assert moved["Location"].endswith("/api/v1/changes/?tag=renamed-tag")
    assert feed(api, tag="renamed-tag").status_code == 200
    unknown = feed(api, tag="never-was")
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "invalid_choice"


def old_company_slug(company) -> str:
    return company.slug_redirects.get().old_slug


def test_an_indented_answer_holds_the_same_data(api):
    published(2)
    plain = feed(api).json()
    indented = api.get("/api/v1/changes/", HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200
    assert b'\n  "results"' in indented.content
    assert json.loads(indented.content) == plain
