"""Edits and deletions are throttled per reader: each one purges its article's cached answers,
so one reader repeating them must not keep the article's pages on their misses."""

import pytest

from comments.models import Comment
from tests.comments.conftest import set_rate
from tests.factories import ThreadedCommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_edits_and_deletions_are_throttled_per_reader_together(bearer_api, settings):
    set_rate(settings, "comment_edit", "2/minute")
    author, other = UserFactory(), UserFactory()
    comments = [ThreadedCommentFactory(author=author) for _ in range(2)]
    reader = bearer_api(author)

    edited = reader.patch(f"/api/v1/comments/{comments[0].pk}/", {"body": "Once"}, format="json")
    deleted = reader.delete(f"/api/v1/comments/{comments[1].pk}/")
    refused = reader.patch(f"/api/v1/comments/{comments[0].pk}/", {"body": "Twice"}, format="json")
    someone_else = bearer_api(other).patch(
        f"/api/v1/comments/{ThreadedCommentFactory(author=other).pk}/",
        {"body": "Mine"},
        format="json",
    )

    assert (edited.status_code, deleted.status_code) == (200, 204)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert Comment.objects.get(pk=comments[0].pk).body == "Once"
    assert someone_else.status_code == 200


def test_reading_a_comment_is_not_throttled(api, settings):
    set_rate(settings, "comment_edit", "1/minute")
    comment = ThreadedCommentFactory()

    assert all(api.get(f"/api/v1/comments/{comment.pk}/").status_code == 200 for _ in range(3))
