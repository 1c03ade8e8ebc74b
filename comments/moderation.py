"""Moderation as the staff's tools do it: the comment services, plus a record of each action.

comments.services holds the rules for one comment (who may hide or restore it, and that a
comment its author removed stays removed). These functions apply them to many comments, or to
everything a reader wrote, and record every change in Django's admin log (LogEntry: who, when,
what), which the admin shows as each comment's and each user's history.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from knox.models import AuthToken
from rest_framework import exceptions

from accounts.services import auth_token_revoke
from articles.models import Article
from comments.models import Comment
from comments.services import comment_hide, comment_restore

# Granted to the Moderators group (articles/migrations/0002_roles.py): deactivating a reader
# from the moderation queue. auth.change_user would do too, but it lets its holder edit any
# account, staff and superusers included.
DEACTIVATE_PERMISSION = "comments.deactivate_commenter"

HIDDEN_MESSAGE = "Hidden by a moderator."
RESTORED_MESSAGE = "Restored by a moderator."
HIDDEN_WITH_AUTHOR_MESSAGE = "Hidden: its author was deactivated."


@dataclass
class ModerationResult:
    """What a bulk moderation changed, and what it left alone."""

    changed: list[Comment] = field(default_factory=list)
    unchanged: int = 0  # already in the wanted status
    refused: int = 0  # removed by their authors: nobody moderates those


def record_moderation(*, moderator: User, comments: list[Comment], message: str) -> None:
    """Write each comment's moderation into the admin's log (who, when, what): the admin's
    actions and the API's PATCH alike."""
    if comments:
        LogEntry.objects.log_actions(
            user_id=moderator.pk, queryset=comments, action_flag=CHANGE, change_message=message
        )


# Rows locked by one query, this many at a time.
LOCK_BATCH = 500


def _moderate(*, service, comments, moderator, wanted: str, message: str) -> ModerationResult:
    """Run `service` on each comment not yet `wanted`, and record those it changed."""
    result = ModerationResult()
    comments = list(comments)
    # The comments' articles first, all of them, in one order: every comment write locks its
    # article's row before the comment's (comments.services), so that none deadlocks this one.
    list(
        Article.objects.select_for_update()
        .filter(pk__in={comment.article_id for comment in comments})
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(comments), LOCK_BATCH):
        batch = comments[start : start + LOCK_BATCH]
        # Lock the batch's rows until the transaction ends and read their current status: the
        # instances given may be stale, and the service does not say whether it changed one.
        current = dict(
            Comment.objects.select_for_update()
            .filter(pk__in=[comment.pk for comment in batch])
            .values_list("pk", "status")
        )
        for comment in batch:
            status = current.get(comment.pk)
            if status == wanted:
                result.unchanged += 1
            elif status == Comment.Status.REMOVED:
                result.refused += 1  # its author's: the service would refuse it
            elif status is not None:  # (None: gone meanwhile)
                result.changed.append(service(comment=comment, moderator=moderator))
    record_moderation(moderator=moderator, comments=result.changed, message=message)
    return result


@transaction.atomic
def comments_hide(
    *, comments: Iterable[Comment], moderator: User, message: str = HIDDEN_MESSAGE
) -> ModerationResult:
    """Hide these comments through comment_hide, and record each one hidden; all or nothing.

    Comments already hidden are left alone, and ones their authors removed are refused and
    counted, as comment_hide refuses them.
    """
    return _moderate(
        service=comment_hide,
        comments=comments,
        moderator=moderator,
        wanted=Comment.Status.HIDDEN,
        message=message,
    )


@transaction.atomic
def comments_restore(*, comments: Iterable[Comment], moderator: User) -> ModerationResult:
    """Show these hidden comments again through comment_restore, and record each one restored."""
    return _moderate(
        service=comment_restore,
        comments=comments,
        moderator=moderator,
        wanted=Comment.Status.VISIBLE,
        message=RESTORED_MESSAGE,
    )


def may_deactivate(user: User) -> bool:
    """Whether `user` may deactivate readers: moderators, and whoever administers users."""
    return user.has_perm(DEACTIVATE_PERMISSION) or user.has_perm("auth.change_user")


@transaction.atomic
def user_deactivate(*, user: User, by: User) -> int:
    """Deactivate `user` and hide every visible comment they wrote; returns how many were hidden.

    They can no longer sign in (Django refuses inactive users' sessions) and their API tokens
    are revoked. Each comment is hidden through comment_hide and recorded, and so is the
    deactivation itself, on the user. Reactivating them later does not bring their comments
    back: a moderator restores those one by one.

    Moderators may deactivate readers only; staff accounts take someone who administers users
    (auth.change_user). Nobody deactivates themselves. Running it again hides what was
    written since, if anything.
    """
    if user.pk == by.pk:
        raise exceptions.PermissionDenied("You cannot deactivate yourself.", code="self")
    if not may_deactivate(by):
        raise exceptions.PermissionDenied("Only moderators deactivate users.", code="not_moderator")
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if (user.is_staff or user.is_superuser) and not by.has_perm("auth.change_user"):
        raise exceptions.PermissionDenied(
            "Only those who administer users deactivate staff.", code="staff_user"
        )
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    for token in AuthToken.objects.filter(user=user):
        auth_token_revoke(token=token)
    # A list, not an iterator: each hide writes to the table being read.
    visible = list(
        Comment.objects.filter(author=user, status=Comment.Status.VISIBLE)
        .only("pk", "article_id", "status")
        .order_by("pk")
    )
    hidden = comments_hide(
        comments=visible, moderator=by, message=HIDDEN_WITH_AUTHOR_MESSAGE
    ).changed
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[user],
        action_flag=CHANGE,
        change_message=f"Deactivated; {len(hidden)} of their comments hidden.",
    )
    return len(hidden)
