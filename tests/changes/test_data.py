"""changes.data: a change's `data` is the resource as its own public GET shows it now."""

import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Status
from articles.services import article_publish, article_tags_set
from changes.data import change_data, data_of
from changes.models import Change, ChangeType
from comments.models import Comment
from comments.services import comment_create, comment_like
from tests.factories import (
    ArticleFactory,
    CommentFactory,
    NewsroomFactory,
    TagFactory,
    UserFactory,
)
from tests.response_caches import response_cache_on

pytestmark = pytest.mark.django_db


def change(type_: ChangeType, obj) -> Change:
    return Change(type=type_, key=str(getattr(obj, "slug", obj.pk)), object_id=obj.pk)


def test_each_kind_is_its_own_get(api):
    article = ArticleFactory(tags=[TagFactory()])
    tag = article.tags.get()
    comment = CommentFactory(article=article)

    shown = {
        ChangeType.ARTICLE_UPDATED: (article, f"/api/v1/articles/{article.slug}/"),
        ChangeType.COMPANY_UPDATED: (article.company, f"/api/v1/companies/{article.company.slug}/"),
        ChangeType.TAG_UPDATED: (tag, f"/api/v1/tags/{tag.slug}/"),
        ChangeType.COMMENT_UPDATED: (comment, f"/api/v1/comments/{comment.pk}/"),
    }
    for type_, (obj, path) in shown.items():
        assert change_data(change(type_, obj)) == api.get(path).json(), type_


def test_what_the_public_does_not_see_is_none():
    draft = ArticleFactory(status=Status.DRAFT, tags=[TagFactory()])
    hidden = CommentFactory(article=ArticleFactory(), status=Comment.Status.HIDDEN)
    on_draft = CommentFactory(article=draft)

    assert change_data(change(ChangeType.ARTICLE_UPDATED, draft)) is None
    assert change_data(change(ChangeType.COMPANY_UPDATED, draft.company)) is None
    assert change_data(change(ChangeType.TAG_UPDATED, draft.tags.get())) is None
    assert change_data(change(ChangeType.COMMENT_UPDATED, hidden)) is None
    assert change_data(change(ChangeType.COMMENT_UPDATED, on_draft)) is None


def test_a_removal_has_no_data():
    article = ArticleFactory()
    assert change_data(change(ChangeType.ARTICLE_REMOVED, article)) is None


@pytest.fixture(params=["locmem", "redis"])
def response_cache(request, settings):
    with response_cache_on(settings, request.param):
        yield


# on_commit callbacks (the purges) run only outside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_kept_data_is_reused_until_a_write_changes_it(response_cache, api):
    editor = NewsroomFactory()
    article = article_publish(article=ArticleFactory(status=Status.DRAFT), by=editor)
    reader = UserFactory()
    comment = comment_create(article=article, author=reader, body="First.")
    tag = TagFactory()
    article_tags_set(article=article, tags=[tag])
    pairs = [
        ("article.updated", article.pk),
        ("company.updated", article.company_id),
        ("tag.updated", tag.pk),
        ("comment.created", comment.pk),
    ]
    paths = [
        f"/api/v1/articles/{article.slug}/",
        f"/api/v1/companies/{article.company.slug}/",
        f"/api/v1/tags/{tag.slug}/",
        f"/api/v1/comments/{comment.pk}/",
    ]

    def as_served() -> list[dict]:
        return [api.get(path).json() for path in paths]

    first = data_of(pairs)
    assert first == as_served()
    with CaptureQueriesContext(connection) as queries:
        assert data_of(pairs) == first
    assert len(queries) == 0  # all four kept

    # A comment changes its article's comment_count: the article's data is computed again,
    # the first comment's is not.
    comment_create(article=article, author=reader, body="Second.")
    with CaptureQueriesContext(connection) as queries:
        again = data_of(pairs)
    assert again[0]["comment_count"] == 2
    assert again == as_served()
    assert not any("comments_comment" in q["sql"] for q in queries)

    # A like changes the comment's like_count alone: its data is computed again.
    comment_like(comment=comment, user=UserFactory())
    assert data_of(pairs)[3]["like_count"] == 1
    assert data_of(pairs) == as_served()

    # Another article of the company and the tag: both counts move.
    other = article_publish(
        article=ArticleFactory(status=Status.DRAFT, company=article.company), by=editor
    )
    article_tags_set(article=other, tags=[tag])
    assert data_of(pairs) == as_served()
    assert data_of(pairs)[1]["article_count"] == 2

    # A scheduled article's time comes: no write, yet the counts move with it.
    soon = article_publish(
        article=ArticleFactory(status=Status.DRAFT, company=article.company),
        by=editor,
        at=timezone.now() + dt.timedelta(seconds=1),
    )
    article_tags_set(article=soon, tags=[tag])
    assert data_of(pairs)[1]["article_count"] == 2
    time.sleep(1.1)
    assert data_of(pairs)[1]["article_count"] == 3
    assert data_of(pairs)[2]["article_count"] == 3
    assert data_of(pairs) == as_served()
