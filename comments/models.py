from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from articles.models import published_q
from botbeat.counters import save_leaving
from botbeat.prebuilt import prebuilt
from botbeat.roles import moderates, sees_unpublished

# Replies nest this deep at most (a top-level comment has depth 0). A reply to a comment at
# this depth is attached to that comment's parent instead (comments.services.comment_create).
MAX_DEPTH = 8
BODY_MAX_LENGTH = 5000
# Each level of `path` is a comment id, zero-padded to this many digits.
PATH_SEGMENT_LENGTH = 12


def thread_place(*, pk: int, parent: "Comment | None") -> tuple[str, int | None]:
    """The `path` and `thread` of the comment `pk` under `parent` (None: a top-level one)."""
    if pk >= 10**PATH_SEGMENT_LENGTH:
        raise ValueError("Comment ids outgrew PATH_SEGMENT_LENGTH: widen it (and migrate).")
    segment = format(pk, f"0{PATH_SEGMENT_LENGTH}d")
    if parent is None:
        return segment, pk
    return parent.path + segment, parent.thread


def ancestor_ids(path: str) -> list[int]:
    """The ids of the comments above the one at `path`: its top-level comment down to its
    parent (none for a top-level comment)."""
    n = PATH_SEGMENT_LENGTH
    return [int(path[start : start + n]) for start in range(0, len(path) - n, n)]


# A comment's columns in a thread, as .values() names them (thread_rows()); `path` and
# `thread` are the cursor's.
THREAD_COLUMNS = (
    "id",
    "article__slug",
    "parent_id",
    "depth",
    "path",
    "thread",
    "body",
    "status",
    "created_at",
    "edited_at",
    "reply_count",
    "like_count",
    "author__username",
    "author__profile__display_name",
)


class CommentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CommentQuerySet":
        """The comments of the articles `user` may see (Editors: every article; everyone else:
        the published ones). Moderators see every comment of those; everyone else the visible
        comments and, in their place, the withheld ones (hidden, removed, awaiting review or
        approval) that have visible replies beneath them; a withheld comment without any is
        gone. (A `pending` comment has none: a reply needs a visible parent. Its author sees
        it in /auth/me/comments/, never here: a public answer stays everybody's.) The change
        feed's outbox holds the same rule on the row (changes.outbox._comment_rows)."""
        comments = self if sees_unpublished(user) else self.filter(published_q("article__"))
        if moderates(user):
            return comments.all()
        return comments.filter(Q(status=Comment.Status.VISIBLE) | Q(reply_count__gt=0))

    def thread_rows(self) -> "CommentQuerySet":
        """What a comment in a thread shows, as plain rows (`.values()`, THREAD_COLUMNS) with
        its article's slug and its author's names joined in: one query for a page, and no
        instance (comments.serializers.thread_item writes them out)."""
        # values() keeps the queryset's class (Django clones it); django-stubs says QuerySet.
        return self.values(*THREAD_COLUMNS)  # type: ignore[return-value]

    def for_thread(self) -> "CommentQuerySet":
        """What a comment renders, in one query however many comments and authors."""
        return self.select_related("article", "author__profile").only(*THREAD_COLUMNS)


class Comment(models.Model):
    """A reader's comment on an article, or a reply to another comment of the same article."""

    class Status(models.TextChoices):
        VISIBLE = "visible", "Visible"
        HIDDEN = "hidden", "Hidden by a moderator"
        REMOVED = "removed", "Removed by its author"
        # Withheld until a Moderator restores or hides it: readers flagged it (flag threshold).
        PENDING_REVIEW = "pending_review", "Withheld for review: flagged by readers"
        # Not shown yet: a suspect word, or a reader still pre-moderated, until a Moderator
        # approves it (its author sees it in /auth/me/comments/).
        PENDING = "pending", "Awaiting a moderator's approval"

    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    # Comments are withheld (status), never deleted through the API. RESTRICT keeps a comment
    # with replies from being deleted alone, yet lets an article's deletion take its whole
    # thread (PROTECT would refuse that too).
    parent = models.ForeignKey(
        "self", on_delete=models.RESTRICT, null=True, blank=True, related_name="replies"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    # The ids from the top-level comment down to this one, each zero-padded to
    # PATH_SEGMENT_LENGTH digits: sorting by it is thread order (each comment followed by its
    # replies, oldest first), and a comment's replies at any depth are the paths it prefixes.
    # Digits only, so that every database collation sorts it the same way. Set right after the
    # insert, in the same transaction, once the id is known (comment_create).
    path = models.CharField(max_length=255, blank=True, editable=False)
    # The id of the top-level comment of this comment's thread (its own id for a top-level
    # one): newest-first order sorts threads by it. Set with `path`.
    thread = models.BigIntegerField(null=True, editable=False)
    body = models.TextField(max_length=BODY_MAX_LENGTH)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VISIBLE)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # The visible comments beneath this one, at any depth. Maintained exactly, with the
    # article's comment_count, by the comment services (comment_count_visible).
    reply_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # The readers who like it (CommentLike rows), kept exactly by comment_like and
    # comment_unlike: F() updates in the transaction that adds or deletes the row.
    like_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # The readers' flags no Moderator has decided on yet (CommentFlag.reviewed_at null): the
    # moderation queue's first key. Kept exactly by comment_flag and the moderation services,
    # under the comment's row lock.
    flag_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # When a Moderator approved it (it was `pending`): its author's standing, for
    # pre-moderation (COMMENT_PREMODERATION), is how many of theirs carry one.
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["article", "path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["visible", "hidden", "removed", "pending_review", "pending"]
                ),
                name="comment_status_valid",
            ),
            models.CheckConstraint(condition=Q(depth__lte=MAX_DEPTH), name="comment_depth_max"),
            models.CheckConstraint(
                condition=Q(parent__isnull=True, depth=0) | Q(parent__isnull=False, depth__gt=0),
                name="comment_depth_matches_parent",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="comment_not_own_parent"
            ),
            # Bodies are kept when a comment is withheld: never empty, never over the limit.
            models.CheckConstraint(condition=~Q(body=""), name="comment_body_not_empty"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), BODY_MAX_LENGTH),
                name="comment_body_max_length",
            ),
        ]
        indexes = [
            # an article's thread, oldest first (thread order)
            models.Index(fields=["article", "path"], name="comment_thread"),
            # an article's thread, newest threads first
            models.Index(fields=["article", "-thread", "path"], name="comment_thread_newest"),
            # an article's visible comments: comment_counts_refresh, the recount
            models.Index(fields=["article", "status"], name="comment_article_status"),
            # the moderation queue, newest first
            models.Index(fields=["-created_at"], name="comment_newest"),
            # the review queue (API and admin): the most flagged first
            models.Index(fields=["-flag_count", "created_at"], name="comment_review_queue"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} on {self.article_id}: {self.body[:60]}"

    def save(self, *args, **kwargs):
        save_leaving(self, ("reply_count", "like_count", "flag_count"), args, kwargs)


@prebuilt
def comment_thread_rows() -> CommentQuerySet:
    """Comment.objects.thread_rows(), for a thread's page (botbeat.prebuilt)."""
    return Comment.objects.thread_rows()


class CommentLike(models.Model):
    """A reader likes a comment: one row per reader and comment (comments.services.comment_like).
    Never shown per reader in a public answer: /auth/me/likes/ says which a reader liked."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_likes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="comment_like_once"),
        ]
        indexes = [
            # a reader's likes on an article (/auth/me/likes/?article=)
            models.Index(fields=["user", "comment"], name="comment_like_by_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} likes #{self.comment_id}"


NOTE_MAX_LENGTH = 500


class CommentFlag(models.Model):
    """A reader reports a comment: one flag per reader and comment (comments.services
    .comment_flag). Open until a Moderator decides on the comment (hides or restores it):
    `reviewed_at` then says when, and the flag no longer counts toward the threshold."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        ABUSE = "abuse", "Abuse"
        OFF_TOPIC = "off_topic", "Off topic"
        OTHER = "other", "Other"

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_flags"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="comment_flag_once"),
            models.CheckConstraint(
                condition=Q(reason__in=["spam", "abuse", "off_topic", "other"]),
                name="comment_flag_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} flags #{self.comment_id}: {self.reason}"


class CommentWord(models.Model):
    """A word (or a phrase of words) of the newsroom's lists: a banned one refuses a comment,
    a suspect one holds it for approval (comments.words). Stored folded (case and accents),
    as comments are matched: `Café` and `cafe` are one entry."""

    class Kind(models.TextChoices):
        BANNED = "banned", "Banned: the comment is refused"
        SUSPECT = "suspect", "Suspect: the comment waits for approval"

    word = models.CharField(
        max_length=100,
        unique=True,
        help_text="One word, or a phrase of words; matched on whole words, whatever their case "
        "and accents (a list holding `cunt` lets `Scunthorpe` pass).",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["word"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["banned", "suspect"]), name="comment_word_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(word=""), name="comment_word_not_empty"),
        ]

    def __str__(self) -> str:
        return self.word
