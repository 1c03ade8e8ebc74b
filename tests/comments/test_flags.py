"""Flags: POST /api/v1/comments/{id}/flag/, the threshold that withholds a comment for review,
the Moderators' decision, and the review queue (API and admin)."""

import pytest
from django.contrib.admin.models import LogEntry
from rest_framework.test import APIClient

from changes import outbox
from changes.models import Change
from comments.models import Comment, CommentFlag
from comments.services import comment_flag, withheld_for_review_message
from tests.comments.conftest import comment_count, comment_url, set_rate, thread_url
from tests.factories import (
    ArticleFactory,
    ModeratorFactory,
    ThreadedCommentFactory,
    UserFactory,
)

PENDING_REVIEW, VISIBLE = Comment.Status.PENDING_REVIEW, Comment.Status.VISIBLE
QUEUE = "/api/v1/comments/review/"


def flag_url(comment) -> str:
    return f"/api/v1/comments/{comment.pk}/flag/"


def open_flags(comment) -> int:
    """The comment's flag_count, once it is checked against its open CommentFlag rows."""
    stored = Comment.objects.values_list("flag_count", flat=True).get(pk=comment.pk)
    rows = CommentFlag.objects.filter(comment_id=comment.pk, reviewed_at__isnull=True).count()
    assert stored == rows
    return stored


def status_of(comment) -> str:
    return Comment.objects.values_list("status", flat=True).get(pk=comment.pk)


def flag_by_readers(comment, n: int, reason: str = "spam") -> None:
    for _ in range(n):
        comment_flag(comment=comment, user=UserFactory(), reason=reason)


@pytest.fixture
def flagged(db, bearer_api):
    article = ArticleFactory()
    comment = ThreadedCommentFactory(article=article)
    reader = UserFactory()
    return {
        "article": article,
        "comment": comment,
        "reader": bearer_api(reader),
        "author": bearer_api(comment.author),
        "moderator": bearer_api(ModeratorFactory()),
    }


def test_a_reader_flags_a_comment_once(flagged):
    reader, comment = flagged["reader"], flagged["comment"]

    first = reader.post(flag_url(comment), {"reason": "abuse", "note": " Rude. "}, format="json")
    again = reader.post(flag_url(comment), {"reason": "spam"}, format="json")

    assert first.status_code == 201
    assert first.json() == {
        "comment": comment.pk,
        "reason": "abuse",
        "note": "Rude.",
        "created_at": first.json()["created_at"],
    }
    assert again.status_code == 200
    assert again.json() == first.json()  # the first flag stands
    assert open_flags(comment) == 1
    assert status_of(comment) == VISIBLE


def test_the_threshold_counts_distinct_readers_only(flagged, settings):
    settings.COMMENT_FLAG_THRESHOLD = 3
    comment, article = flagged["comment"], flagged["article"]
    outbox.touched(comments=[comment.pk])  # announced, as comment_create would have
    one = UserFactory()

    for reason in ["spam", "abuse", "other"]:
        comment_flag(comment=comment, user=one, reason=reason)
    flag_by_readers(comment, 1)

    assert open_flags(comment) == 2
    assert status_of(comment) == VISIBLE

    flag_by_readers(comment, 1)  # the third reader

    assert open_flags(comment) == 3
    assert status_of(comment) == PENDING_REVIEW
    assert comment_count(article) == 0
    assert APIClient().get(comment_url(comment)).status_code == 404
    assert APIClient().get(thread_url(article)).json()["results"] == []
    entry = LogEntry.objects.get(object_id=str(comment.pk))
    assert entry.get_change_message() == withheld_for_review_message(3)
    assert Change.objects.filter(object_id=comment.pk, type="comment.removed").exists()


def test_a_comment_withheld_for_review_with_replies_keeps_its_place(flagged, settings):
    settings.COMMENT_FLAG_THRESHOLD = 1
    comment = flagged["comment"]
    reply = ThreadedCommentFactory(parent=comment)

    flag_by_readers(comment, 1)

    items = APIClient().get(thread_url(flagged["article"])).json()["results"]
    assert [(i["id"], i["status"], i["body"]) for i in items] == [
        (comment.pk, "pending_review", None),
        (reply.pk, "visible", reply.body),
    ]
    assert comment_count(flagged["article"]) == 1


def test_a_moderator_restores_a_flagged_comment_and_its_flags_are_closed(flagged, settings):
    settings.COMMENT_FLAG_THRESHOLD = 2
    comment = flagged["comment"]
    flag_by_readers(comment, 2)

    response = flagged["moderator"].patch(comment_url(comment), {"status": "visible"}, "json")

    assert response.status_code == 200 and response.json()["status"] == "visible"
    assert open_flags(comment) == 0
    assert CommentFlag.objects.filter(comment=comment, reviewed_at__isnull=False).count() == 2
    assert comment_count(flagged["article"]) == 1
    assert LogEntry.objects.filter(object_id=str(comment.pk)).count() == 2  # withheld, restored

    flag_by_readers(comment, 1)  # one new flag: below the threshold again

    assert status_of(comment) == VISIBLE


def test_a_moderator_hides_a_comment_awaiting_review(flagged, settings):
    settings.COMMENT_FLAG_THRESHOLD = 1
    comment = flagged["comment"]
    flag_by_readers(comment, 1)

    response = flagged["moderator"].patch(comment_url(comment), {"status": "hidden"}, "json")

    assert response.status_code == 200 and status_of(comment) == "hidden"
    assert open_flags(comment) == 0
    assert comment_count(flagged["article"]) == 0


def test_readers_do_not_moderate_a_comment_awaiting_review(flagged, settings):
    settings.COMMENT_FLAG_THRESHOLD = 1
    comment = flagged["comment"]
    flag_by_readers(comment, 1)

    for client in (flagged["reader"], flagged["author"]):
        response = client.patch(comment_url(comment), {"status": "visible"}, format="json")
        assert response.status_code == 404  # withheld without replies: gone for them
    assert status_of(comment) == PENDING_REVIEW


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "reason", "required"),
        ({"reason": "boring"}, "reason", "invalid_choice"),
        ({"reason": ""}, "reason", "invalid_choice"),
        ({"reason": "spam", "note": "x" * 501}, "note", "max_length"),
        ({"reason": "spam", "note": "a\x07b"}, "note", "control_characters"),
        ({"reason": "spam", "why": "x"}, "why", "unknown_field"),
    ],
)
def test_a_bad_flag_is_a_400_naming_the_field(flagged, body, field, code):
    response = flagged["reader"].post(flag_url(flagged["comment"]), body, format="json")

    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    assert not CommentFlag.objects.exists()


def test_nobody_flags_their_own_comment_or_anonymously(flagged):
    own = flagged["author"].post(flag_url(flagged["comment"]), {"reason": "spam"}, format="json")
    anonymous = APIClient().post(flag_url(flagged["comment"]), {"reason": "spam"}, format="json")

    assert own.status_code == 403 and own.json()["code"] == "own_comment"
    assert anonymous.status_code == 401
    assert not CommentFlag.objects.exists()


def test_flags_are_throttled_per_user(flagged, settings):
    set_rate(settings, "comment_flag", "1/minute")
    others = [ThreadedCommentFactory(article=flagged["article"]) for _ in range(2)]

    statuses = [
        flagged["reader"].post(flag_url(c), {"reason": "spam"}, format="json").status_code
        for c in others
    ]

    assert statuses == [201, 429]


def test_the_thread_says_nothing_of_flags(flagged):
    flag_by_readers(flagged["comment"], 1)

    item = APIClient().get(comment_url(flagged["comment"])).json()

    assert "flag" not in str(sorted(item))


# The review queue, in the API


def test_the_queue_shows_moderators_the_flags_most_flagged_first(flagged, settings):
    settings.COMMENT_FLAG_THRESHOLD = 3
    article = flagged["article"]
    once, withheld = flagged["comment"], ThreadedCommentFactory(article=article)
    ThreadedCommentFactory(article=article)  # never flagged: not in the queue
    flag_by_readers(once, 1, reason="off_topic")
    flag_by_readers(withheld, 2, reason="spam")
    comment_flag(comment=withheld, user=UserFactory(username="carol"), reason="abuse", note="!")

    response = flagged["moderator"].get(QUEUE)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    results = response.json()["results"]
    assert [(r["comment"]["id"], r["flag_count"]) for r in results] == [
        (withheld.pk, 3),
        (once.pk, 1),
    ]
    assert results[0]["comment"]["status"] == "pending_review"
    assert results[0]["comment"]["body"] == withheld.body  # Moderators see what it said
    assert [f["reason"] for f in results[0]["flags"]] == ["spam", "spam", "abuse"]
    assert results[0]["flags"][2] == {
        "username": "carol",
        "reason": "abuse",
        "note": "!",
        "created_at": results[0]["flags"][2]["created_at"],
        "reviewed_at": None,
    }


def test_the_queue_is_for_moderators_only(flagged):
    assert APIClient().get(QUEUE).status_code == 401
    refused = flagged["reader"].get(QUEUE)
    assert refused.status_code == 403 and refused.json()["code"] == "not_moderator"


def test_the_queue_queries_do_not_grow_with_rows(flagged, django_assert_num_queries):
    def queue_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert flagged["moderator"].get(QUEUE).status_code == 200
        return len(queries)

    flag_by_readers(flagged["comment"], 1)
    one = queue_queries()
    for _ in range(10):
        flag_by_readers(ThreadedCommentFactory(article=flagged["article"]), 2)

    assert queue_queries() == one
