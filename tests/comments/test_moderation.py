import pytest
from rest_framework.test import APIClient

from articles.models import Article
from comments.models import Comment
from tests.comments.conftest import comment_count, comment_url, snapshot, thread_url
from tests.factories import (
    ArticleFactory,
    ModeratorFactory,
    ProfileFactory,
    ThreadedCommentFactory,
    UserFactory,
)

VISIBLE, HIDDEN, REMOVED = Comment.Status.VISIBLE, Comment.Status.HIDDEN, Comment.Status.REMOVED


@pytest.fixture
def world(db, bearer_api):
    """An article with a visible comment and a hidden one (no replies) by `author`, and a
    client for each kind of caller."""
    article = ArticleFactory()
    author = ProfileFactory().user
    comment = ThreadedCommentFactory(article=article, author=author, body="Original")
    hidden = ThreadedCommentFactory(article=article, author=author, status=HIDDEN)
    clients = {
        "anonymous": APIClient(),
        "author": bearer_api(author),
        "another user": bearer_api(UserFactory()),
        "staff": bearer_api(ModeratorFactory()),
    }
    return {"article": article, "comment": comment, "hidden": hidden, "clients": clients}


ACTIONS = {
    "read": lambda c, w: c.get(comment_url(w["comment"])),
    "read hidden": lambda c, w: c.get(comment_url(w["hidden"])),
    "post": lambda c, w: c.post(thread_url(w["article"]), {"body": "New"}, format="json"),
    "reply": lambda c, w: c.post(
        thread_url(w["article"]), {"body": "Re", "parent": w["comment"].pk}, format="json"
    ),
    "edit": lambda c, w: c.patch(comment_url(w["comment"]), {"body": "Edited"}, format="json"),
    "delete": lambda c, w: c.delete(comment_url(w["comment"])),
    "hide": lambda c, w: c.patch(comment_url(w["comment"]), {"status": "hidden"}, format="json"),
    "restore": lambda c, w: c.patch(comment_url(w["hidden"]), {"status": "visible"}, format="json"),
}

# (action, caller) -> status. A hidden comment without replies is gone for everyone but staff
# (404), so restoring it is a 404 for non-staff; a visible comment that is not theirs is a 403.
MATRIX = {
    "read": {"anonymous": 200, "author": 200, "another user": 200, "staff": 200},
    "read hidden": {"anonymous": 404, "author": 404, "another user": 404, "staff": 200},
    "post": {"anonymous": 401, "author": 201, "another user": 201, "staff": 201},
    "reply": {"anonymous": 401, "author": 201, "another user": 201, "staff": 201},
    "edit": {"anonymous": 401, "author": 200, "another user": 403, "staff": 403},
    "delete": {"anonymous": 401, "author": 204, "another user": 403, "staff": 403},
    "hide": {"anonymous": 401, "author": 403, "another user": 403, "staff": 200},
    "restore": {"anonymous": 401, "author": 404, "another user": 404, "staff": 200},
}
CASES = [
    (action, caller, status) for action, row in MATRIX.items() for caller, status in row.items()
]


@pytest.mark.parametrize(("action", "caller", "expected"), CASES)
def test_permission_matrix(world, action, caller, expected):
    before = snapshot()

    response = ACTIONS[action](world["clients"][caller], world)

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert snapshot() == before
    if expected == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    ("action", "caller", "code"),
    [
        ("edit", "another user", "not_author"),
        ("edit", "staff", "not_author"),
        ("delete", "another user", "not_author"),
        ("delete", "staff", "not_author"),
        ("hide", "author", "not_moderator"),
        ("hide", "another user", "not_moderator"),
    ],
)
def test_refusals_say_why(world, action, caller, code):
    response = ACTIONS[action](world["clients"][caller], world)

    assert response.json()["code"] == code


def test_an_edit_replaces_the_body_and_sets_edited_at(world):
    response = ACTIONS["edit"](world["clients"]["author"], world)

    assert response.status_code == 200
    assert response.json()["body"] == "Edited"
    assert response.json()["edited_at"] is not None
    world["comment"].refresh_from_db()
    assert world["comment"].body == "Edited"
    assert world["comment"].edited_at is not None


def test_an_edit_to_the_same_text_changes_nothing(world):
    client = world["clients"]["author"]

    response = client.patch(comment_url(world["comment"]), {"body": " Original "}, format="json")

    assert response.status_code == 200
    assert response.json()["edited_at"] is None


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({}, None, "required"),
        ({"body": ""}, "body", "blank"),
        ({"body": "x" * 5001}, "body", "max_length"),
        ({"body": 5}, "body", "invalid"),
        ({"status": "removed"}, "status", "invalid_choice"),
        ({"status": ""}, "status", "invalid_choice"),
    ],
)
def test_bad_edits_are_400_and_write_nothing(world, payload, field, code):
    before = snapshot()

    response = world["clients"]["author"].patch(
        comment_url(world["comment"]), payload, format="json"
    )

    assert response.status_code == 400
    assert (field, code) in {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert snapshot() == before


def test_an_edit_with_malformed_json_or_another_content_type_writes_nothing(world):
    client, url = world["clients"]["author"], comment_url(world["comment"])
    before = snapshot()

    assert client.patch(url, "{", content_type="application/json").status_code == 400
    assert client.patch(url, "body=x", content_type="text/plain").status_code == 415
    assert snapshot() == before


def test_put_is_not_allowed(world):
    response = world["clients"]["author"].put(
        comment_url(world["comment"]), {"body": "x"}, format="json"
    )

    assert response.status_code == 405


def test_the_author_may_edit_while_comments_are_closed(world):
    Article.objects.filter(pk=world["article"].pk).update(comments_open=False)

    assert ACTIONS["edit"](world["clients"]["author"], world).status_code == 200


def test_deleting_removes_the_comment_for_good(world, api):
    article, comment = world["article"], world["comment"]
    reply = ThreadedCommentFactory(parent=comment)
    author = world["clients"]["author"]

    assert author.delete(comment_url(comment)).status_code == 204

    comment.refresh_from_db()
    assert comment.status == REMOVED and comment.body == "Original"  # kept for staff
    placeholder = api.get(comment_url(comment)).json()
    assert (placeholder["status"], placeholder["body"], placeholder["author"]) == (
        "removed",
        None,
        None,
    )
    assert author.delete(comment_url(comment)).status_code == 204  # again: no change
    edit = author.patch(comment_url(comment), {"body": "Back"}, format="json")
    assert (edit.status_code, edit.json()["code"]) == (403, "comment_withheld")
    restore = world["clients"]["staff"].patch(
        comment_url(comment), {"status": "visible"}, format="json"
    )
    assert (restore.status_code, restore.json()["code"]) == (403, "comment_removed")
    assert comment_count(article) == 1

    world["clients"]["staff"].patch(comment_url(reply), {"status": "hidden"}, format="json")
    assert api.get(comment_url(comment)).status_code == 404  # no visible reply: gone
    assert api.get(thread_url(article)).json()["results"] == []


def test_staff_hide_and_restore_a_comment(world, api):
    staff, comment = world["clients"]["staff"], world["comment"]

    hidden = staff.patch(comment_url(comment), {"status": "hidden"}, format="json")

    assert hidden.status_code == 200
    assert hidden.json()["status"] == "hidden"
    assert hidden.json()["body"] == "Original"  # staff see withheld bodies
    assert api.get(comment_url(comment)).status_code == 404
    again = staff.patch(comment_url(comment), {"status": "hidden"}, format="json")
    assert again.status_code == 200

    restored = staff.patch(comment_url(comment), {"status": "visible"}, format="json")

    assert restored.status_code == 200
    assert restored.json()["status"] == "visible"
    assert api.get(comment_url(comment)).json()["body"] == "Original"


def test_moderation_through_the_api_is_on_the_record(world):
    from django.contrib.admin.models import LogEntry

    staff, comment = world["clients"]["staff"], world["comment"]

    staff.patch(comment_url(comment), {"status": "hidden"}, format="json")
    staff.patch(comment_url(comment), {"status": "hidden"}, format="json")  # no change
    staff.patch(comment_url(comment), {"status": "visible"}, format="json")

    entries = LogEntry.objects.filter(object_id=str(comment.pk)).order_by("action_time", "pk")
    assert [e.change_message for e in entries] == [
        "Hidden by a moderator.",
        "Restored by a moderator.",
    ]
    assert {e.user.is_staff for e in entries} == {True}


def test_staff_may_edit_and_hide_their_own_comment_at_once(world, bearer_api):
    moderator = ModeratorFactory()
    own = ThreadedCommentFactory(article=world["article"], author=moderator)

    response = bearer_api(moderator).patch(
        comment_url(own), {"body": "Rephrased", "status": "hidden"}, format="json"
    )

    assert response.status_code == 200
    own.refresh_from_db()
    assert (own.body, own.status) == ("Rephrased", HIDDEN)


def test_an_edit_and_a_refused_status_change_write_nothing(world):
    before = snapshot()

    response = world["clients"]["author"].patch(
        comment_url(world["comment"]), {"body": "Changed", "status": "hidden"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "not_moderator"
    assert snapshot() == before


def test_the_author_cannot_edit_a_hidden_comment_kept_for_its_replies(world):
    hidden = world["hidden"]
    ThreadedCommentFactory(parent=hidden)

    response = world["clients"]["author"].patch(
        comment_url(hidden), {"body": "Let me fix it"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "comment_withheld"


def test_comment_count_follows_deletes_hides_and_restores(world):
    article, comment = world["article"], world["comment"]

    def count() -> int:
        return comment_count(article)

    assert count() == 1
    world["clients"]["staff"].patch(comment_url(comment), {"status": "hidden"}, format="json")
    assert count() == 0
    world["clients"]["staff"].patch(comment_url(comment), {"status": "visible"}, format="json")
    assert count() == 1
    world["clients"]["author"].delete(comment_url(comment))
    assert count() == 0


def test_csrf_is_required_for_session_writes(world):
    author = world["comment"].author
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(author)
    before = snapshot()

    refused = browser.post(thread_url(world["article"]), {"body": "Hi"}, format="json")
    browser.cookies["csrftoken"] = csrf = "c" * 32
    accepted = browser.post(
        thread_url(world["article"]), {"body": "Hi"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )

    assert refused.status_code == 403
    assert len(snapshot()) == len(before) + 1
    assert accepted.status_code == 201


def test_a_query_parameter_on_a_delete_is_400_and_writes_nothing(world):
    before = snapshot()

    response = world["clients"]["author"].delete(comment_url(world["comment"]) + "?force=1")

    assert response.status_code == 400
    assert snapshot() == before
