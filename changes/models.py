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


KINDS = ("article", "company", "tag", "comment")


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


class ChangeScope(models.Model):
    """The change `change` concerns the company or tag `ref_id` (`scope` "company" or "tag"):
    what the feed's `company` and `tag` filters read. An article's change is in the scope of
    its company and its tags, those it had when last announced and those it has now (so that a
    mirror filtered by a tag learns that an article left it); a comment's in its article's; a
    company's or a tag's in its own."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="scopes")
    scope = models.CharField(max_length=8)  # "company" or "tag"
    ref_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["scope", "ref_id", "change"], name="changescope_ref")]

    def __str__(self) -> str:
        return f"{self.change_id} {self.scope} {self.ref_id}"


class Announced(models.Model):
    """What the outbox last told the public about one resource still public: its `key` then,
    and for articles and comments the company and tags it was filed under. A resource with no
    row is one the public does not know (never published, or removed since). The outbox
    decides each change's type by comparing the resource now with this row."""

    kind = models.CharField(max_length=8)
    object_id = models.BigIntegerField()
    key = models.CharField(max_length=255)
    article_id = models.BigIntegerField(null=True)  # a comment's article
    company_id = models.BigIntegerField(null=True)  # an article's (a comment's: its article's)
    tag_ids = models.JSONField(default=list)  # likewise
    published_at = models.DateTimeField(null=True)  # an article's (its company's latest)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="announced_unique")
        ]
        indexes = [models.Index(fields=["article_id"], name="announced_article")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.key}"


class Pruned(models.Model):
    """One row (pk 1): the highest id the pruning deleted. A `since` token below it is past
    retention (410 since_expired): the changes after it are no longer all there."""

    through_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"pruned through {self.through_id}"
