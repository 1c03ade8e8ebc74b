from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import display_name_of
from botbeat.fields import StrictCharField, StrictIntegerField, StrictSerializer
from botbeat.renderers import iso_datetime
from botbeat.services import Invalid
from botbeat.text import NO_CONTROL_CHARACTERS_IN_TEXT
from comments.models import BODY_MAX_LENGTH, MAX_DEPTH, NOTE_MAX_LENGTH, Comment, CommentFlag
from comments.services import body_clean

# What staff may set a comment's status to: `removed` is the author's alone (DELETE).
MODERATION_STATUS_CHOICES = [
    (Comment.Status.VISIBLE.value, "Visible (restore or approve a withheld comment)"),
    (Comment.Status.HIDDEN.value, "Hidden by a moderator"),
]


def body_field_clean(value: str) -> str:
    """comments.services.body_clean, as a serializer field's validation."""
    try:
        return body_clean(value)
    except Invalid as error:
        raise serializers.ValidationError(error.message, code=error.code) from None


class CommentAuthorSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    display_name = serializers.SerializerMethodField(
        help_text="The name to show: the username when the reader set none."
    )

    def get_display_name(self, user) -> str:
        return display_name_of(user)


VISIBLE = Comment.Status.VISIBLE


PENDING = Comment.Status.PENDING


def thread_item(row: dict, *, show_withheld: bool = False, show_pending: bool = False) -> dict:
    """A comment (CommentSerializer's fields) from a row of thread_rows(): a page of 200 in a
    tenth of the time DRF's field-by-field path took. tests/comments/test_serializers.py
    holds it to DRF's own output. `show_withheld`: staff see what a withheld comment said;
    `show_pending`: its author sees what their pending comment says (never what a Moderator
    or the readers' flags withheld)."""
    shows = show_withheld or row["status"] == VISIBLE or (show_pending and row["status"] == PENDING)
    edited_at = row["edited_at"]
    return {
        "id": row["id"],
        "article": row["article__slug"],
        "parent": row["parent_id"],
        "depth": row["depth"],
        "author": (
            {
                "username": row["author__username"],
                "display_name": row["author__profile__display_name"] or row["author__username"],
            }
            if shows
            else None
        ),
        "body": row["body"] if shows else None,
        "created_at": iso_datetime(row["created_at"]),
        "edited_at": None if edited_at is None else iso_datetime(edited_at),
        "reply_count": row["reply_count"],
        "like_count": row["like_count"],
        "status": row["status"],
    }


class CommentSerializer(serializers.ModelSerializer):
    """A comment as it appears in a thread.

    A withheld comment (`hidden` or `removed`) is shown to the public only while visible replies
    hang under it, with `body` and `author` null. Staff (context `show_withheld`) see them all.
    """

    article = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="The article's slug."
    )
    parent = serializers.IntegerField(
        source="parent_id",
        read_only=True,
        allow_null=True,
        help_text="The comment this one answers; null for a top-level comment.",
    )
    depth = serializers.IntegerField(
        read_only=True,
        min_value=0,
        max_value=MAX_DEPTH,
        help_text=f"0 for a top-level comment, the parent's depth + 1 for a reply; at most "
        f"{MAX_DEPTH}. Indent by it.",
    )
    author = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    reply_count = serializers.IntegerField(
        read_only=True,
        help_text="Visible comments beneath this one, at any depth (what the public sees).",
    )
    like_count = serializers.IntegerField(
        read_only=True,
        min_value=0,
        help_text="The readers who like this comment (PUT .../like/). Whether the reader "
        "asking is one of them is not here (it would make the thread private): "
        "GET /api/v1/auth/me/likes/ says it.",
    )

    class Meta:
        model = Comment
        fields = [
            "id",
            "article",
            "parent",
            "depth",
            "author",
            "body",
            "created_at",
            "edited_at",
            "reply_count",
            "like_count",
            "status",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "edited_at": {"help_text": "When the author last changed the body; null if never."},
            "status": {
                "help_text": "`visible`; `hidden` by a moderator, `removed` by its author or "
                "`pending_review` (flagged by readers, awaiting a Moderator): then `body` and "
                "`author` are null, except for Moderators. `pending` (awaiting approval) is "
                "never in a public answer: only its author (in the 201 and in "
                "/auth/me/comments/, with its body) and Moderators see it."
            },
        }

    def _shows_content(self, comment) -> bool:
        return (
            comment.status == Comment.Status.VISIBLE
            or self.context.get("show_withheld", False)
            or (comment.status == PENDING and self.context.get("show_pending", False))
        )

    @extend_schema_field(CommentAuthorSerializer(allow_null=True))
    def get_author(self, comment):
        if not self._shows_content(comment):
            return None
        return CommentAuthorSerializer(comment.author).data

    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text="Plain text with `\\n` newlines, never HTML: escape it, and render it "
            "in a bidirectional isolate of its own (it may hold right-to-left text and its "
            "controls). Null when withheld, except for staff.",
        )
    )
    def get_body(self, comment):
        return comment.body if self._shows_content(comment) else None

    def to_representation(self, comment) -> dict:
        author = comment.author
        row = {
            "id": comment.pk,
            "article__slug": comment.article.slug,
            "parent_id": comment.parent_id,
            "depth": comment.depth,
            "body": comment.body,
            "status": comment.status,
            "created_at": comment.created_at,
            "edited_at": comment.edited_at,
            "reply_count": comment.reply_count,
            "like_count": comment.like_count,
            "author__username": author.get_username(),
            "author__profile__display_name": display_name_of(author),
        }
        return thread_item(
            row,
            show_withheld=self.context.get("show_withheld", False),
            show_pending=self.context.get("show_pending", False),
        )


class CommentCreateSerializer(StrictSerializer):
    body = StrictCharField(
        max_length=BODY_MAX_LENGTH,
        validators=[NO_CONTROL_CHARACTERS_IN_TEXT],
        help_text=(
            f"Plain text, never interpreted (no HTML, no Markdown): 1 to {BODY_MAX_LENGTH} "
            "characters once trimmed, `\\r\\n` and `\\r` stored as `\\n`. Refused: control "
            "characters other than newline and tab (`control_characters`), and a body that shows "
            "nothing, only spaces and invisible characters (`blank`). Kept: every script and "
            "emoji, newlines and tabs, and the format characters that emoji sequences and "
            "right-to-left text need (zero-width joiners, bidirectional marks and controls), "
            "which names refuse: render each body in a bidirectional isolate of its own "
            '(`<bdi>`, `dir="auto"`), so that a control inside it cannot reorder the text '
            "around it."
        ),
    )
    parent = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text=(
            "The id of the comment to answer: a visible comment of the same article. Replies "
            f"nest to depth {MAX_DEPTH}; a reply to a comment at depth {MAX_DEPTH} is attached "
            "to that comment's parent (the answer's `parent` says where it went)."
        ),
    )

    def validate_body(self, value: str) -> str:
        return body_field_clean(value)

    def validate_parent(self, value: int | None) -> Comment | None:
        """The parent comment itself; whether it may take this reply is comment_create's call."""
        if value is None:
            return None
        parent = Comment.objects.filter(pk=value).first()
        if parent is None:
            raise serializers.ValidationError("No comment has this id.", code="does_not_exist")
        return parent


class CommentUpdateSerializer(StrictSerializer):
    body = StrictCharField(
        required=False,
        max_length=BODY_MAX_LENGTH,
        validators=[NO_CONTROL_CHARACTERS_IN_TEXT],
        help_text="The author's new text (sets `edited_at`); the same rules as when posting.",
    )
    status = serializers.ChoiceField(
        choices=MODERATION_STATUS_CHOICES,
        required=False,
        help_text="Staff only: `hidden` hides the comment, `visible` restores a hidden one.",
    )

    def validate_body(self, value: str) -> str:
        return body_field_clean(value)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                "Give `body` (the author) or `status` (staff).", code="required"
            )
        return attrs


class CommentLikeSerializer(serializers.Serializer):
    """The answer to PUT and DELETE .../like/: the caller's like, and the count it moved."""

    id = serializers.IntegerField(read_only=True, help_text="The comment's id.")
    liked = serializers.BooleanField(
        read_only=True,
        help_text="Whether the caller likes it now (true after PUT, false after "
        "DELETE, whatever it was before).",
    )
    like_count = serializers.IntegerField(
        read_only=True, min_value=0, help_text="The readers who like it, the caller included."
    )


class MyLikesSerializer(serializers.Serializer):
    article = serializers.CharField(read_only=True, help_text="The article's slug.")
    comment_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        read_only=True,
        help_text="The ids of the article's comments the caller likes, ascending.",
    )


class CommentFlagCreateSerializer(StrictSerializer):
    reason = serializers.ChoiceField(
        choices=CommentFlag.Reason.choices, help_text="Why the comment should not be shown."
    )
    note = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=NOTE_MAX_LENGTH,
        validators=[NO_CONTROL_CHARACTERS_IN_TEXT],
        help_text=f"Optional, for the Moderators: plain text, at most {NOTE_MAX_LENGTH} "
        "characters, trimmed.",
    )


class CommentFlagSerializer(serializers.Serializer):
    """The caller's own flag: what they reported, never what others did."""

    comment = serializers.IntegerField(source="comment_id", read_only=True)
    reason = serializers.ChoiceField(choices=CommentFlag.Reason.choices, read_only=True)
    note = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class ReviewFlagSerializer(serializers.Serializer):
    """A flag as Moderators see it: who, why, when, and whether it was decided on."""

    username = serializers.CharField(source="user.username", read_only=True)
    reason = serializers.ChoiceField(choices=CommentFlag.Reason.choices, read_only=True)
    note = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    reviewed_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When a Moderator decided on the comment; null: an open flag.",
    )


class ReviewItemSerializer(serializers.Serializer):
    """A comment of the review queue: the comment as Moderators see it in a thread, its open
    flags' count and every flag, open ones first."""

    comment = serializers.SerializerMethodField()
    flag_count = serializers.IntegerField(
        read_only=True, min_value=0, help_text="Open flags: those no Moderator decided on yet."
    )
    flags = ReviewFlagSerializer(many=True, read_only=True, source="review_flags")

    @extend_schema_field(CommentSerializer)
    def get_comment(self, comment) -> dict:
        return CommentSerializer(comment, context={"show_withheld": True}).data
