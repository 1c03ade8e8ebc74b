from django.conf import settings
from django.db import models
from django.db.models import Q

# Replies nest this deep at most (a top-level comment has depth 0).
MAX_DEPTH = 8


class Comment(models.Model):
    """A reader's comment on an article, or a reply to another comment of the same article."""

    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HIDDEN = "hidden", "Hidden by a moderator"
        REMOVED = "removed", "Removed by its author"

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    # A comment with replies is never deleted, only withheld (status), so PROTECT holds threads.
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    # The ids from the root down to this comment, zero-padded: sorting by it is thread order.
    path = models.CharField(max_length=255, blank=True, editable=False)
    body = models.TextField(max_length=5000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VISIBLE)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["article", "path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["visible", "hidden", "removed"]),
                name="comment_status_valid",
            ),
            models.CheckConstraint(condition=Q(depth__lte=MAX_DEPTH), name="comment_depth_max"),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="comment_not_own_parent"
            ),
        ]
        indexes = [
            # an article's thread, in thread order
            models.Index(fields=["article", "path"], name="comment_thread"),
            # comment_count: an article's visible comments
            models.Index(fields=["article", "status"], name="comment_article_status"),
            # the moderation queue, newest first
            models.Index(fields=["-created_at"], name="comment_newest"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} on {self.article_id}: {self.body[:60]}"
