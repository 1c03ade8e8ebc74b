"""A conditional GET whose ETag still matches is answered 304 without rendering the body
(botbeat.conditional), exactly as ConditionalGetMiddleware would answer it."""

import hashlib
import time

import pytest
from django.test import Client

from articles import serializers as article_serializers
from botbeat import cache as response_cache
from botbeat import conditional
from botbeat.conditional import RENDERED
from comments import serializers as comment_serializers
from comments.services import comment_create
from tests.factories import ArticleFactory, TagFactory, ThreadedCommentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    RENDERED.clear()
    article = ArticleFactory(tags=[TagFactory(), TagFactory()], takeaways=["One", "Two"])
    ArticleFactory(company=article.company, tags=[TagFactory()])
    ArticleFactory(tags=article.tags.all())
    ThreadedCommentFactory(article=article)
    return article


def urls(article) -> list[str]:
    base = f"/api/v1/articles/{article.slug}/"
    return [
        "/api/v1/articles/",
        "/api/v1/articles/?page_size=1",
        f"/api/v1/articles/?company={article.company.slug}",
        base,
        f"{base}more-from-company/",
        f"{base}suggested/",
        f"{base}comments/",
        f"{base}page/",
        f"{base}page/?fields=slug,company.name,tags&expand=tags",
        f"{base}?expand=company",
        "/api/v1/articles/?fields=title",
    ]


def refuse_rendering(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("rendered")

    for name in ("list_item", "detail_item", "suggested_item"):
        monkeypatch.setattr(article_serializers, name, refuse)
    for name in ("list_item", "suggested_item"):  # the page's panels
        monkeypatch.setattr(f"articles.views.{name}", refuse)
    monkeypatch.setattr("articles.representation.Shape.write", refuse)
    monkeypatch.setattr(comment_serializers, "thread_item", refuse)
    monkeypatch.setattr("comments.threads.thread_item", refuse)


def keys_of(client, url, **headers) -> tuple[int, set[str]]:
    token = response_cache._answer_keys.set(set())
    try:
        response = client.get(url, headers=headers)
        return response, response_cache._answer_keys.get()
    finally:
        response_cache._answer_keys.reset(token)


def test_a_matching_etag_is_answered_without_rendering(article, monkeypatch):
    client = Client()
    for url in urls(article):
        first, keys = keys_of(client, url)
        assert first.status_code == 200, url
        etag = first["ETag"]
        assert etag == f'"{hashlib.md5(first.content).hexdigest()}"'  # the middleware's ETag

        # Both 304s below come after the first answer's second is over, so that both carry the
        # same Last-Modified (the detail's and the page's) whenever they run.
        later = time.time() + 2
        with monkeypatch.context() as patched:
            patched.setattr(conditional, "clock", lambda later=later: later)
            refuse_rendering(patched)
            again, keys_again = keys_of(client, url, if_none_match=etag)

        assert again.status_code == 304, url
        assert again["ETag"] == etag
        assert keys_again == keys  # the same keys, for Surrogate-Key
        # The 304 the middleware makes once the body is rendered: the same headers (but what
        # is left of the read limit, one request less).
        RENDERED.clear()
        with monkeypatch.context() as patched:
            patched.setattr(conditional, "clock", lambda later=later: later)
            made, _ = keys_of(client, url, if_none_match=etag)
        assert made.status_code == 304
        assert made.headers.pop("RateLimit") != again.headers.pop("RateLimit")
        assert dict(made.headers) == dict(again.headers)


def test_a_write_changes_the_answer_and_its_etag(article):
    client = Client()
    url = f"/api/v1/articles/{article.slug}/"
    first = client.get(url)

    comment_create(article=article, author=UserFactory(), body="New")
    second = client.get(url, headers={"if_none_match": first["ETag"]})

    assert second.status_code == 200
    assert second.json()["comment_count"] == first.json()["comment_count"] + 1
    assert second["ETag"] != first["ETag"]
    assert client.get(url, headers={"if_none_match": second["ETag"]}).status_code == 304


def test_another_etag_or_a_failed_if_match_are_decided_as_the_middleware_decides(article):
    client = Client()
    url = f"/api/v1/articles/{article.slug}/comments/"
    first = client.get(url)

    other = client.get(url, headers={"if_none_match": '"other"'})
    failed = client.get(url, headers={"if_match": '"other"'})
    matched = client.get(url, headers={"if_match": first["ETag"]})

    assert (other.status_code, other.content) == (200, first.content)
    assert failed.status_code == 412
    assert (matched.status_code, matched.content) == (200, first.content)


def test_head_and_staff_keep_their_own_answers(article, staff_api):
    client = Client()
    url = f"/api/v1/articles/{article.slug}/comments/"
    etag = client.get(url)["ETag"]

    assert client.head(url, headers={"if_none_match": etag}).status_code == 200
    staff = staff_api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert staff.status_code == 304  # the same rows and the same bytes for staff here
    assert staff["Cache-Control"] == "private, no-store"
