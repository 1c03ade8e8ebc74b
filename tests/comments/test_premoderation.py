"""Pre-moderation of new readers (COMMENT_PREMODERATION=N): their comments wait as `pending`
until a Moderator approved N of them; off (0) by default."""

import pytest
from django.contrib.admin.models import LogEntry
from rest_framework.test import APIClient

from comments.models import Comment
from comments.services import comment_approve, premoderated
from tests.comments.conftest import comment_count, comment_url, thread_url
from tests.factories import (
    ArticleFactory,
    EditorFactory,
    ModeratorFactory,
    UserFactory,
)


@pytest.fixture
def world(db, bearer_api):
    article = ArticleFactory()
    reader = UserFactory()
    return {
        "article": article,
        "reader": reader,
        "client": bearer_api(reader),
        "moderator": ModeratorFactory(),
        "moderator_client": None,
    }


def post(world, body: str):
    return world["client"].post(thread_url(world["article"]), {"body": body}, format="json")


def test_off_by_default_a_new_reader_is_visible_at_once(world, settings):
    assert settings.COMMENT_PREMODERATION == 0

    response = post(world, "First!")

    assert response.status_code == 201 and response.json()["status"] == "visible"
    assert comment_count(world["article"]) == 1


def test_on_a_new_readers_comments_wait_until_n_were_approved(world, settings):
    settings.COMMENT_PREMODERATION = 2
    moderator = world["moderator"]

    first = post(world, "One")
    second = post(world, "Two")

    assert [first.json()["status"], second.json()["status"]] == ["pending", "pending"]
    assert first.json()["body"] == "One"  # the author's 201 shows it
    assert APIClient().get(thread_url(world["article"])).json()["results"] == []
    assert comment_count(world["article"]) == 0

    comment_approve(comment=Comment.objects.get(pk=first.json()["id"]), moderator=moderator)
    assert premoderated(world["reader"])  # one approved of two
    assert post(world, "Three").json()["status"] == "pending"

    comment_approve(comment=Comment.objects.get(pk=second.json()["id"]), moderator=moderator)

    assert not premoderated(world["reader"])
    assert post(world, "Four").json()["status"] == "visible"
    assert comment_count(world["article"]) == 3  # one, two and four
    messages = [e.get_change_message() for e in LogEntry.objects.order_by("pk")]
    assert messages == ["Approved by a moderator."] * 2


def test_approving_through_the_api_counts_toward_the_standing(world, settings, bearer_api):
    settings.COMMENT_PREMODERATION = 1
    pending = post(world, "Hello").json()
    moderator = bearer_api(world["moderator"])

    approved = moderator.patch(comment_url_of(pending), {"status": "visible"}, format="json")

    assert approved.status_code == 200
    assert post(world, "Again").json()["status"] == "visible"


def comment_url_of(item: dict) -> str:
    return f"/api/v1/comments/{item['id']}/"


def test_a_pending_comment_is_seen_only_by_its_author_and_moderators(world, settings, bearer_api):
    settings.COMMENT_PREMODERATION = 1
    pending = post(world, "Hello").json()
    url = comment_url_of(pending)

    answers = {
        "anonymous": APIClient().get(url).status_code,
        "another reader": bearer_api(UserFactory()).get(url).status_code,
        "editor": bearer_api(EditorFactory()).get(url).status_code,
        "moderator": bearer_api(world["moderator"]).get(url).status_code,
    }
    mine = world["client"].get("/api/v1/auth/me/comments/")

    assert answers == {"anonymous": 404, "another reader": 404, "editor": 404, "moderator": 200}
    assert [c["id"] for c in mine.json()["results"]] == [pending["id"]]
    assert mine["Cache-Control"] == "private, no-store"


def test_moderators_and_editors_are_never_premoderated(world, settings):
    settings.COMMENT_PREMODERATION = 5

    assert not premoderated(world["moderator"])
    assert not premoderated(EditorFactory())
    assert premoderated(world["reader"])


def test_the_author_may_delete_a_pending_comment(world, settings):
    settings.COMMENT_PREMODERATION = 1
    pending = post(world, "Oops").json()

    edited = world["client"].patch(comment_url_of(pending), {"body": "Fixed"}, format="json")
    deleted = world["client"].delete(comment_url(Comment(pk=pending["id"])))

    assert edited.status_code == 403 and edited.json()["code"] == "comment_withheld"
    assert deleted.status_code == 204
    assert Comment.objects.get(pk=pending["id"]).status == "removed"
    assert comment_count(world["article"]) == 0


def test_the_review_queue_holds_pending_comments(world, settings, bearer_api):
    settings.COMMENT_PREMODERATION = 1
    pending = post(world, "Hello").json()

    queue = bearer_api(world["moderator"]).get("/api/v1/comments/review/").json()["results"]

    assert [(i["comment"]["id"], i["comment"]["status"]) for i in queue] == [
        (pending["id"], "pending")
    ]


def test_my_comments_is_for_signed_in_readers(db):
    assert APIClient().get("/api/v1/auth/me/comments/").status_code == 401


def test_a_pending_comment_is_announced_when_approved(world, settings):
    from changes.models import Change

    settings.COMMENT_PREMODERATION = 1
    pending = post(world, "Hello").json()
    of_it = Change.objects.filter(object_id=pending["id"], type__startswith="comment.")
    assert not of_it.exists()  # not public yet

    comment_approve(comment=Comment.objects.get(pk=pending["id"]), moderator=world["moderator"])

    assert list(of_it.values_list("type", flat=True)) == ["comment.created"]


def test_deactivating_a_reader_hides_what_waits_too(world, settings):
    from comments.moderation import user_deactivate

    settings.COMMENT_PREMODERATION = 1
    pending = post(world, "Hello").json()

    hidden = user_deactivate(user=world["reader"], by=world["moderator"])

    assert hidden == 1
    assert Comment.objects.get(pk=pending["id"]).status == "hidden"
