"""The outbox: one row per change the public can see, written in the transaction that makes it
(changes.outbox). It is the single source of the change feed (GET /api/v1/changes/) and of the
webhooks' deliveries (webhooks/)."""

from django.db import models
from django.utils import timezone


class ChangeType(models.TextChoices):
    ARTICLE_PUBLISHED = "article.published"
    ARTICLE_UPDATED = "article.updated"
    ARTICLE_REMOVED = "article.removed"
    COMPANY_UPDATED = "company.updated"
    COMPANY_REMOVED = "company.removed"
    TAG_UPDATED = "tag.updated"
    TAG_REMOVED = "tag.removed"
    COMMENT_CREATED = "comment.created"
    COMMENT_UPDATED = "comment.updated"
    COMMENT_REMOVED = "comment.removed"


class Change(models.Model):
    """`type` happened to the resource `object_id` (its row's primary key), publicly known by
    `key` (an article's, company's or tag's slug; a comment's id) at `at`. The id orders the
    feed: it is what `since` tokens and webhook deliveries count in."""

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=32, choices=ChangeType.choices)
    key = models.CharField(max_length=255)
    object_id = models.BigIntegerField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["at"], name="change_at")]

    def __str__(self) -> str:
        return f"{self.id} {self.type} {self.key}"

    @property
    def kind(self) -> str:
        """ "article", "company", "tag" or "comment"."""
        return self.type.partition(".")[0]
