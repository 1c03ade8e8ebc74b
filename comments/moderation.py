"""Moderation of many comments at once: the admin's bulk actions, and a reader's deactivation.

comments.services holds the rules for one comment (who may hide or restore it, that a comment
its author removed stays removed) and records each change in the admin's log. These functions
apply them to many comments, or to everything a reader wrote; a deactivation is recorded too,
on the user, in the same transaction (botbeat.services.audit).
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from accounts.services import auth_tokens_revoke_all
from articles.models import Article
from botbeat.roles import may_deactivate
from botbeat.services import Forbidden, audit
from comments.models import Comment
from comments.services import HIDDEN_MESSAGE, comment_hide, comment_restore

HIDDEN_WITH_AUTHOR_MESSAGE = "Hidden: its author was deactivated."
# What a deactivation hides: what the public sees, and what waits to be shown (a Moderator
# would otherwise approve or restore a deactivated reader's comment later, unaware).
SHOWN_OR_WAITING = [
    Comment.Status.VISIBLE,
    Comment.Status.PENDING,
    Comment.Status.PENDING_REVIEW,
]


@dataclass
class ModerationResult:
    """What a bulk moderation changed, and what it left alone."""

    changed: list[Comment] = field(default_factory=list)
    unchanged: int = 0  # already in the wanted status
    refused: int = 0  # removed by their authors: nobody moderates those


# Rows locked by one query, this many at a time.
LOCK_BATCH = 500


def _moderate(*, service, comments, moderator, wanted: str) -> ModerationResult:
    """Run `service` on each comment not yet `wanted` (it records each one it changes)."""
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
        service=functools.partial(comment_hide, message=message),
        comments=comments,
        moderator=moderator,
        wanted=Comment.Status.HIDDEN,
    )


@transaction.atomic
def comments_restore(*, comments: Iterable[Comment], moderator: User) -> ModerationResult:
    """Show these hidden comments again through comment_restore, and record each one restored."""
    return _moderate(
        service=comment_restore,
        comments=comments,
        moderator=moderator,
        wanted=Comment.Status.VISIBLE,
    )


@transaction.atomic
def user_deactivate(*, user: User, by: User) -> int:
    """Deactivate `user` and hide every comment they wrote that is visible or waits for a
    Moderator (pending, pending review); returns how many were hidden.

    They can no longer sign in (Django refuses inactive users' sessions) and their API tokens
    are revoked. Each comment is hidden through comment_hide and recorded, and so is the
    deactivation itself, on the user. Reactivating them later does not bring their comments
    back: a moderator restores those one by one.

    Moderators may deactivate readers only; staff accounts take someone who administers users
    (auth.change_user). Nobody deactivates themselves. Running it again hides what was
    written since, if anything.
    """
    if user.pk == by.pk:
        raise Forbidden("You cannot deactivate yourself.", code="self")
    if not may_deactivate(by):
        raise Forbidden("Only moderators deactivate users.", code="not_moderator")
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if (user.is_staff or user.is_superuser) and not by.has_perm("auth.change_user"):
        raise Forbidden("Only those who administer users deactivate staff.", code="staff_user")
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    auth_tokens_revoke_all(user=user)
    # A list, not an iterator: each hide writes to the table being read.
    visible = list(
        Comment.objects.filter(author=user, status__in=SHOWN_OR_WAITING)
        .only("pk", "article_id", "status")
        .order_by("pk")
    )
    hidden = comments_hide(
        comments=visible, moderator=by, message=HIDDEN_WITH_AUTHOR_MESSAGE
    ).changed
    audit(by=by, objects=[user], message=f"Deactivated; {len(hidden)} of their comments hidden.")
    return len(hidden)
