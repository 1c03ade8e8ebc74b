import datetime as dt

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from knox.models import AuthToken

from comments.models import Comment
from comments.moderation import HIDDEN_WITH_AUTHOR_MESSAGE
from comments.services import HIDDEN_MESSAGE, RESTORED_MESSAGE
from tests.admin.conftest import list_queries
from tests.factories import (
    ArticleFactory,
    CommentFactory,
    StaffFactory,
    ThreadedCommentFactory,
    UserFactory,
)

QUEUE = "/admin/comments/comment/"
Visible, Hidden, Removed = Comment.Status.VISIBLE, Comment.Status.HIDDEN, Comment.Status.REMOVED


def listed(response) -> list[str]:
    return [comment.body for comment in response.context["cl"].result_list]


def change_url(comment) -> str:
    return f"{QUEUE}{comment.pk}/change/"


def act(client, action: str, comments, **extra):
    data = {"action": action, "_selected_action": [c.pk for c in comments], "index": 0}
    return client.post(QUEUE, data | extra, follow=True)


def records(comment) -> list[str]:
    """The admin's log of this comment, oldest first: what its History page shows."""
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Comment), object_id=str(comment.pk)
    )
    return [e.get_change_message() for e in entries.order_by("action_time", "pk")]


def status_of(comment) -> str:
    comment.refresh_from_db()
    return comment.status


# The queue


def test_queue_is_newest_first_with_article_author_and_status(moderator_client):
    article = ArticleFactory(title="OpenAI ships")
    author = UserFactory(username="rude_reader")
    old = CommentFactory(article=article, author=author, body="old")
    new = CommentFactory(article=article, body="new", status=Hidden)
    Comment.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=1))

    response = moderator_client.get(QUEUE)

    assert listed(response) == ["new", "old"]
    html = response.content.decode()
    assert f'href="{QUEUE}?article={article.pk}" title="Every comment on this article">' in html
    assert f'href="{QUEUE}?author={author.pk}" title="Everything this reader wrote">' in html
    assert "rude_reader" in html and "OpenAI ships" in html
    assert '<span class="newsroom-badge newsroom-hidden">Hidden by a moderator</span>' in html
    assert new.pk


@pytest.mark.parametrize("rows", [1, 20])
def test_queue_queries_do_not_grow_with_rows(chief, rows, django_assert_num_queries):
    for _ in range(rows):
        ThreadedCommentFactory(parent=ThreadedCommentFactory())

    # session, user, count, the page (article and author joined), the page's open flags
    with django_assert_num_queries(list_queries(5, unfiltered=True)):
        response = chief.get(QUEUE)

    assert len(listed(response)) == 2 * rows


@pytest.mark.parametrize("rows", [1, 20])
def test_filtered_queue_queries_do_not_grow_with_rows(
    moderator_client, rows, django_assert_num_queries
):
    article = ArticleFactory()
    CommentFactory.create_batch(rows, article=article, status=Hidden)

    # session, user, the moderator's permissions (own and groups'), the article's title,
    # count, page, its open flags
    with django_assert_num_queries(8):
        response = moderator_client.get(QUEUE, {"status__exact": "hidden", "article": article.pk})

    assert len(listed(response)) == rows


def test_filter_by_status(chief):
    CommentFactory(body="shown")
    CommentFactory(body="hidden", status=Hidden)
    CommentFactory(body="removed", status=Removed)

    assert listed(chief.get(QUEUE, {"status__exact": "hidden"})) == ["hidden"]
    assert listed(chief.get(QUEUE, {"status__exact": "removed"})) == ["removed"]


def test_filter_by_article_with_a_search_box(chief):
    article = ArticleFactory(title="The one")
    CommentFactory(article=article, body="here")
    CommentFactory(body="elsewhere")

    response = chief.get(QUEUE, {"article": article.pk})

    assert listed(response) == ["here"]
    html = response.content.decode()
    assert 'data-model-name="comment"' in html and 'data-field-name="article"' in html
    assert f'<option value="{article.pk}" selected>The one</option>' in html


def test_filter_by_author_shows_who(chief):
    author = UserFactory(username="troll", is_active=False)
    CommentFactory(author=author, body="theirs")
    CommentFactory(body="someone else's")

    response = chief.get(QUEUE, {"author": author.pk})

    assert listed(response) == ["theirs"]
    assert "troll (deactivated)" in response.content.decode()


def test_search_by_text(chief):
    CommentFactory(body="This is a RUDE remark")
    CommentFactory(body="A kind remark")

    assert listed(chief.get(QUEUE, {"q": "rude"})) == ["This is a RUDE remark"]


def test_search_by_author(chief):
    troll = UserFactory(username="TheTroll")
    CommentFactory(author=troll, body="one")
    CommentFactory(body="mentions thetroll")
    CommentFactory(body="unrelated")

    assert listed(chief.get(QUEUE, {"q": "@thetroll"})) == ["one"]
    assert set(listed(chief.get(QUEUE, {"q": "thetroll"}))) == {"one", "mentions thetroll"}


def test_text_search_covers_the_newest_comments_unless_filtered(chief, monkeypatch):
    monkeypatch.setattr("comments.admin.TEXT_SEARCH_WINDOW", 2)
    old = CommentFactory(body="needle, old")
    CommentFactory.create_batch(2, body="hay")

    assert listed(chief.get(QUEUE, {"q": "needle"})) == []
    filtered = chief.get(QUEUE, {"q": "needle", "article": old.article_id})
    assert listed(filtered) == ["needle, old"]


# Moderating


def test_hide_and_restore_in_bulk_through_the_services_and_recorded(moderator_client, moderator):
    a, b = CommentFactory(), CommentFactory()
    already = CommentFactory(status=Hidden)
    removed = CommentFactory(status=Removed)

    response = act(moderator_client, "hide", [a, b, already, removed])

    assert [status_of(c) for c in (a, b, already, removed)] == [Hidden, Hidden, Hidden, Removed]
    assert (
        "Hid 2 comments. 1 comment hidden already. 1 comment removed by their authors: left as "
        "they are." in response.content.decode()
    )
    assert records(a) == [HIDDEN_MESSAGE]
    assert records(already) == []
    entry = LogEntry.objects.get(object_id=str(a.pk))
    assert (entry.user, entry.action_flag) == (moderator, CHANGE)

    act(moderator_client, "restore", [a, removed])

    assert [status_of(c) for c in (a, b, removed)] == [Visible, Hidden, Removed]
    assert records(a) == [HIDDEN_MESSAGE, RESTORED_MESSAGE]


def test_hide_costs_the_same_few_queries_per_comment(chief):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from changes.outbox import touched

    def cost(rows: int) -> int:
        comments = CommentFactory.create_batch(rows)
        touched(comments=[comment.pk for comment in comments])  # announced, as they would be
        with CaptureQueriesContext(connection) as queries:
            act(chief, "hide", comments)
        return len(queries)

    cost(1)  # the admin's content type, cached from then on
    one, twenty = cost(1), cost(20)

    # Savepoint, lock its article and it, update it, count it out of its article (a top-level
    # comment: nothing above it to count), its record in the admin's log, release; the
    # articles' locks in bulk. The outbox's (changes.outbox.touched): what it announced of the
    # comment and its article, the comment's row, the changes (the comment's removal, its
    # article's comment_count), their scopes, the comment's announced state deleted (on
    # PostgreSQL: the feed's lock first, then the changes' ids and one statement for the rest).
    outbox = 5
    assert twenty - one == 19 * (7 + outbox)
    assert Comment.objects.filter(status=Hidden).count() == 22


def test_hide_one_from_its_page(moderator_client):
    comment = CommentFactory(body="Rude!")

    page = moderator_client.get(change_url(comment))
    response = moderator_client.post(change_url(comment), {"status": "hidden"})

    assert page.status_code == 200
    assert "Rude!" in page.content.decode()
    assert response.status_code == 302
    assert status_of(comment) == Hidden
    assert records(comment) == [HIDDEN_MESSAGE]
    history = moderator_client.get(f"{change_url(comment)[: -len('change/')]}history/")
    assert HIDDEN_MESSAGE in history.content.decode()


def test_a_removed_comment_cannot_be_restored_from_its_page(chief):
    comment = CommentFactory(status=Removed)

    chief.post(change_url(comment), {"status": "visible"})

    assert status_of(comment) == Removed


def test_only_the_status_can_be_changed(chief):
    comment = CommentFactory(body="Original")

    chief.post(change_url(comment), {"status": "visible", "body": "Rewritten"})

    comment.refresh_from_db()
    assert comment.body == "Original"


def test_nobody_adds_or_deletes_comments_in_the_admin(chief):
    comment = CommentFactory()

    assert chief.get(f"{QUEUE}add/").status_code == 403
    assert chief.post(f"{QUEUE}{comment.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Comment.objects.filter(pk=comment.pk).exists()


# Deactivating readers


def test_deactivate_authors_asks_then_hides_all_they_wrote(moderator_client, moderator):
    troll = UserFactory(username="troll")
    rude = CommentFactory(author=troll, body="rude")
    older = CommentFactory.create_batch(2, author=troll)
    removed = CommentFactory(author=troll, status=Removed)
    bystander = CommentFactory()
    AuthToken.objects.create(user=troll)

    confirm = act(moderator_client, "deactivate_authors", [rude])
    assert "troll" in confirm.content.decode() and "3 visible comments" in confirm.content.decode()
    troll.refresh_from_db()
    assert troll.is_active  # not before confirming

    response = act(moderator_client, "deactivate_authors", [rude], apply="yes")

    troll.refresh_from_db()
    assert not troll.is_active
    assert not AuthToken.objects.filter(user=troll).exists()
    assert [status_of(c) for c in (rude, *older)] == [Hidden] * 3
    assert status_of(removed) == Removed and status_of(bystander) == Visible
    assert records(rude) == [HIDDEN_WITH_AUTHOR_MESSAGE]
    user_entry = LogEntry.objects.get(object_id=str(troll.pk), content_type__model="user")
    assert user_entry.user == moderator
    assert user_entry.get_change_message() == "Deactivated; 3 of their comments hidden."
    assert "Deactivated troll; 3 comments hidden." in response.content.decode()


def test_moderators_cannot_deactivate_staff(moderator_client):
    colleague = StaffFactory()
    comment = CommentFactory(author=colleague)

    response = act(moderator_client, "deactivate_authors", [comment], apply="yes")

    colleague.refresh_from_db()
    assert colleague.is_active and status_of(comment) == Visible
    assert "Only those who administer users deactivate staff." in response.content.decode()


def test_unticking_active_on_a_user_hides_their_comments(chief):
    troll = UserFactory(username="troll")
    comment = CommentFactory(author=troll)
    page = chief.get(f"/admin/auth/user/{troll.pk}/change/")
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if key in {"username", "first_name", "last_name", "email"}
    }
    data |= {
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "profile-TOTAL_FORMS": 1,
        "profile-INITIAL_FORMS": 0,
        "profile-MIN_NUM_FORMS": 0,
        "profile-MAX_NUM_FORMS": 1,
    }  # is_active left out: unticked

    response = chief.post(f"/admin/auth/user/{troll.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    troll.refresh_from_db()
    assert not troll.is_active
    assert status_of(comment) == Hidden


def test_the_users_deactivate_action(chief):
    trolls = UserFactory.create_batch(2)
    comments = [CommentFactory(author=troll) for troll in trolls]

    response = chief.post(
        "/admin/auth/user/",
        {"action": "deactivate", "_selected_action": [t.pk for t in trolls], "index": 0},
        follow=True,
    )

    assert "Deactivated 2 users; 2 comments hidden." in response.content.decode()
    assert [status_of(c) for c in comments] == [Hidden, Hidden]


def test_nobody_deactivates_themselves(chief, superuser):
    response = chief.post(
        "/admin/auth/user/",
        {"action": "deactivate", "_selected_action": [superuser.pk], "index": 0},
        follow=True,
    )

    superuser.refresh_from_db()
    assert superuser.is_active
    assert "You cannot deactivate yourself." in response.content.decode()


# The log


def test_moderators_see_the_moderation_log_only(moderator_client, editor_client, chief):
    comment = CommentFactory()
    act(moderator_client, "hide", [comment])
    article = ArticleFactory()
    editor_client.post(
        "/admin/articles/article/",
        {"action": "unpublish", "_selected_action": [article.pk], "index": 0},
    )

    moderators_view = moderator_client.get("/admin/admin/logentry/")
    chiefs_view = chief.get("/admin/admin/logentry/")

    assert {e.content_type.model for e in moderators_view.context["cl"].result_list} == {"comment"}
    assert {e.content_type.model for e in chiefs_view.context["cl"].result_list} == {
        "comment",
        "article",
    }
    assert editor_client.get("/admin/admin/logentry/").status_code == 403


def test_a_hide_refused_from_its_page_is_not_on_the_record(moderator_client, monkeypatch):
    """Its author removes the comment between the moderator's form being read and saved: the
    service refuses the hide, the page says so, and the admin's log records nothing (the admin
    used to log the change as done)."""
    from comments import admin as comments_admin
    from comments.services import comment_delete

    comment = CommentFactory(body="Rude!")
    load = comments_admin.CommentAdmin.get_object

    def read_then_removed(self, request, object_id, from_field=None):
        found = load(self, request, object_id, from_field)
        if request.method == "POST":
            comment_delete(comment=found, actor=found.author)  # the author, meanwhile
        return found

    monkeypatch.setattr(comments_admin.CommentAdmin, "get_object", read_then_removed)
    response = moderator_client.post(change_url(comment), {"status": "hidden"}, follow=True)

    assert status_of(comment) == Removed
    assert "cannot be moderated" in response.content.decode()
    assert records(comment) == []


def test_a_moderation_and_its_record_are_one_transaction(moderator):
    """The record is written by the service, in its transaction: undone with it."""
    from django.db import transaction

    from comments.services import comment_hide

    comment = CommentFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        comment_hide(comment=comment, moderator=moderator)
        assert records(comment) == [HIDDEN_MESSAGE]
        raise RuntimeError("the caller's transaction fails afterwards")

    assert status_of(comment) == Visible
    assert records(comment) == []


# The review queue: flags and their reasons first


def test_needs_review_lists_the_most_flagged_first_with_their_reasons(moderator_client, settings):
    from comments.services import comment_flag

    settings.COMMENT_FLAG_THRESHOLD = 3
    once = ThreadedCommentFactory(body="once")
    thrice = ThreadedCommentFactory(body="thrice")
    ThreadedCommentFactory(body="never")
    comment_flag(comment=once, user=UserFactory(), reason="off_topic")
    for reason in ["spam", "spam", "abuse"]:
        comment_flag(comment=thrice, user=UserFactory(), reason=reason)

    response = moderator_client.get(QUEUE, {"review": "open"})

    assert listed(response) == ["thrice", "once"]
    html = response.content.decode()
    assert "3: spam (2), abuse" in html and "1: off topic" in html
    assert "Withheld for review: flagged by readers" in html  # thrice's status


def test_a_flagged_comments_page_shows_its_flags_first_and_restores_it(
    moderator_client, moderator, settings
):
    from comments.services import comment_flag, withheld_for_review_message

    settings.COMMENT_FLAG_THRESHOLD = 1
    comment = ThreadedCommentFactory(body="The flagged words")
    comment_flag(comment=comment, user=UserFactory(username="carol"), reason="abuse", note="Rude")

    page = moderator_client.get(change_url(comment)).content.decode()
    saved = moderator_client.post(change_url(comment), {"status": "visible"}, follow=True)

    form = page[page.index('id="comment_form"') :]
    assert form.index("carol — Abuse: Rude") < form.index("The flagged words")
    assert saved.status_code == 200 and status_of(comment) == Visible
    assert records(comment) == [
        withheld_for_review_message(1),
        "Restored by a moderator after review of its flags.",
    ]
    assert Comment.objects.get(pk=comment.pk).flag_count == 0


def test_saving_a_comment_awaiting_review_unchanged_decides_nothing(moderator_client, settings):
    from comments.services import comment_flag

    settings.COMMENT_FLAG_THRESHOLD = 1
    comment = ThreadedCommentFactory(body="flagged")
    comment_flag(comment=comment, user=UserFactory(), reason="spam")

    moderator_client.post(change_url(comment), {"status": "pending_review"}, follow=True)

    assert status_of(comment) == Comment.Status.PENDING_REVIEW
    assert len(records(comment)) == 1


# Word lists, and approval


def test_moderators_keep_the_word_lists_folded(moderator_client):
    from comments.models import CommentWord

    added = moderator_client.post(
        "/admin/comments/commentword/add/", {"word": "  CAFÉ  Crème ", "kind": "suspect"}
    )
    again = moderator_client.post(
        "/admin/comments/commentword/add/", {"word": "cafe creme", "kind": "banned"}
    )

    assert added.status_code == 302
    assert list(CommentWord.objects.values_list("word", "kind")) == [("cafe creme", "suspect")]
    assert again.status_code == 200 and "on a list already" in again.content.decode()


def test_only_moderators_see_the_word_lists(editor_client, moderator_client):
    assert editor_client.get("/admin/comments/commentword/").status_code == 403
    assert moderator_client.get("/admin/comments/commentword/").status_code == 200


def test_approving_from_the_queue_approves_pending_comments_only(moderator_client):
    pending = ThreadedCommentFactory(body="pending", status=Comment.Status.PENDING)
    hidden = ThreadedCommentFactory(body="hidden", status=Hidden)

    response = act(moderator_client, "approve", [pending, hidden])

    assert "Approved 1 comment. 1 comment not awaiting approval." in response.content.decode()
    assert status_of(pending) == Visible and status_of(hidden) == Hidden
    assert records(pending) == ["Approved by a moderator."]
    assert Comment.objects.get(pk=pending.pk).approved_at is not None
