"""The server-side response cache: fast when nothing changed, never stale after a write."""

import datetime as dt

import pytest
from django.utils import timezone

from articles.models import Status
from comments.services import comment_hide
from tests.factories import (
    ArticleFactory,
    CommentFactory,
    CompanyFactory,
    StaffFactory,
    TagFactory,
)

# on_commit callbacks (the invalidation) run only outside a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

FEED = "/api/v1/articles/"


@pytest.fixture(autouse=True)
def response_cache(settings):
    from django.core.cache import cache

    settings.RESPONSE_CACHE = True
    cache.clear()
    yield
    cache.clear()


def feed_slugs(api, **params) -> list[str]:
    response = api.get(FEED, params)
    assert response.status_code == 200
    return [item["slug"] for item in response.json()["results"]]


def test_a_repeated_anonymous_get_is_served_without_the_database(api, django_assert_num_queries):
    ArticleFactory()
    first = api.get(FEED)

    with django_assert_num_queries(0):
        again = api.get(FEED)

    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"]


def test_a_conditional_get_is_answered_from_the_cache(api, django_assert_num_queries):
    article = ArticleFactory()
    etag = api.get(f"{FEED}{article.slug}/")["ETag"]

    with django_assert_num_queries(0):
        response = api.get(f"{FEED}{article.slug}/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag


def test_a_hit_is_one_cache_round_trip(api, monkeypatch):
    import botbeat.cache

    class Recording:
        """The cache, recording the calls made to it (not those it makes to itself)."""

        def __init__(self, inner):
            self.inner, self.calls = inner, []

        def __getattr__(self, name):
            method = getattr(self.inner, name)

            def recorded(*args, **kwargs):
                self.calls.append(name)
                return method(*args, **kwargs)

            return recorded

    ArticleFactory()
    api.get(FEED)
    recording = Recording(botbeat.cache.cache)
    monkeypatch.setattr(botbeat.cache, "cache", recording)

    assert api.get(FEED).status_code == 200
    assert recording.calls == ["get_many"]


def test_a_write_while_an_answer_is_computed_leaves_that_answer_stale(api, monkeypatch):
    """The answer is stored with the version read before computing it: a publish that commits
    meanwhile must not let the next request see the answer computed without it."""
    from articles.views import ArticleViewSet

    ArticleFactory(slug="first")
    late = ArticleFactory(slug="late", status=Status.DRAFT)
    original_list = ArticleViewSet.list

    def list_then_publish(self, request, *args, **kwargs):
        response = original_list(self, request, *args, **kwargs)  # computed without `late`
        if late.status == Status.DRAFT:
            late.status = Status.PUBLISHED
            late.save()
        return response

    monkeypatch.setattr(ArticleViewSet, "list", list_then_publish)

    assert feed_slugs(api) == ["first"]
    assert sorted(feed_slugs(api)) == ["first", "late"]


def test_publishing_shows_at_once(api):
    draft = ArticleFactory(status=Status.DRAFT)
    assert feed_slugs(api) == []

    draft.status = Status.PUBLISHED
    draft.save()

    assert feed_slugs(api) == [draft.slug]
    assert api.get(f"{FEED}{draft.slug}/").status_code == 200


def test_unpublishing_hides_at_once_everywhere(api):
    company = CompanyFactory()
    tag = TagFactory()
    article = ArticleFactory(company=company, tags=[tag])
    sibling = ArticleFactory(company=company, published_at=timezone.now() - dt.timedelta(days=1))
    other = ArticleFactory(tags=[tag])
    more = f"{FEED}{sibling.slug}/more-from-company/"
    suggested = f"{FEED}{other.slug}/suggested/"
    assert article.slug in [i["slug"] for i in api.get(more).json()["results"]]
    assert article.slug in [i["slug"] for i in api.get(suggested).json()["results"]]
    assert api.get(f"/api/v1/tags/{tag.slug}/").json()["article_count"] == 2

    article.status = Status.DRAFT
    article.save()

    assert article.slug not in feed_slugs(api)
    assert api.get(f"{FEED}{article.slug}/").status_code == 404
    assert article.slug not in [i["slug"] for i in api.get(more).json()["results"]]
    assert article.slug not in [i["slug"] for i in api.get(suggested).json()["results"]]
    assert api.get(f"/api/v1/tags/{tag.slug}/").json()["article_count"] == 1


def test_an_edit_shows_at_once_in_other_articles_panels(api):
    company = CompanyFactory()
    article = ArticleFactory(company=company, title="Old title")
    sibling = ArticleFactory(company=company)
    more = f"{FEED}{sibling.slug}/more-from-company/"
    assert api.get(more).json()["results"][0]["title"] == "Old title"

    article.title = "New title"
    article.save()

    assert api.get(more).json()["results"][0]["title"] == "New title"
    assert api.get(f"{FEED}{article.slug}/").json()["title"] == "New title"


def test_a_tag_change_shows_at_once(api):
    article = ArticleFactory()
    tag = TagFactory(slug="robotics")
    assert api.get(FEED, {"tag": "robotics"}).status_code == 400  # no public article has it

    article.tags.add(tag)

    assert feed_slugs(api, tag="robotics") == [article.slug]
    article.tags.remove(tag)
    assert api.get(FEED, {"tag": "robotics"}).status_code == 400


def test_a_new_and_a_hidden_comment_change_the_counts_at_once(api):
    article = ArticleFactory()
    detail = f"{FEED}{article.slug}/"
    assert api.get(detail).json()["comment_count"] == 0

    comment = CommentFactory(article=article)

    assert api.get(detail).json()["comment_count"] == 1
    assert api.get(FEED).json()["results"][0]["comment_count"] == 1

    comment_hide(comment=comment, moderator=StaffFactory())

    assert api.get(detail).json()["comment_count"] == 0
    assert api.get(FEED).json()["results"][0]["comment_count"] == 0


def test_a_scheduled_article_appears_when_its_time_comes(api, monkeypatch):
    soon = timezone.now() + dt.timedelta(minutes=5)
    scheduled = ArticleFactory(published_at=soon)
    assert feed_slugs(api) == []

    later = soon + dt.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert feed_slugs(api) == [scheduled.slug]


def test_requests_with_a_token_bypass_the_cache(api, bearer_api):
    draft = ArticleFactory(status=Status.DRAFT)
    assert feed_slugs(api) == []

    assert draft.slug in feed_slugs(bearer_api(StaffFactory()))


def test_a_session_cookie_bypasses_the_cache(client):
    ArticleFactory(status=Status.DRAFT)
    client.force_login(StaffFactory())

    response = client.get(FEED)

    assert len(response.json()["results"]) == 1
    assert "private" in response["Cache-Control"]


def test_the_cache_steps_aside_when_the_cache_backend_fails(api, monkeypatch):
    from django.core.cache import cache

    article = ArticleFactory()

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", down)

    assert feed_slugs(api) == [article.slug]
