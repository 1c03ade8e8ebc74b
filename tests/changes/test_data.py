"""changes.data: a change's `data` is the resource as its own public GET shows it now."""

import pytest

from articles.models import Status
from changes.data import change_data
from changes.models import Change, ChangeType
from comments.models import Comment
from tests.factories import ArticleFactory, CommentFactory, TagFactory

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
