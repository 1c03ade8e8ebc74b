"""Writes on comments: each is one transaction and checks who may do it.

They raise botbeat.services' errors, which the API answers as problem documents
(botbeat.errors) and the admin as messages: Invalid (400, naming the field), Forbidden (403,
with a specific `code`) and NotFound (404). A moderation (hide, restore) writes its entry in the
admin's log itself, in its transaction, naming who did it: callers log nothing.

Who may do what:
- any signed-in reader posts and replies on a published article whose comments are open;
- a comment's author edits its body (while it is visible) and deletes it (status `removed`,
  for good: nobody restores it);
- Moderators (botbeat.roles) hide any comment (status `hidden`) and restore a hidden one;
- any signed-in reader likes a visible comment of a published article but their own, and
  unlikes what they liked (comment_like, comment_unlike);
- any signed-in reader flags another's comment, once (comment_flag); flags from
  COMMENT_FLAG_THRESHOLD distinct readers withhold it (`pending_review`) until a Moderator
  restores or hides it, which closes its open flags.

What a comment may say (comment_create, comment_edit): a banned word of the newsroom's lists
(comments.words) refuses it (400 `banned_word`, naming no word); a suspect word holds it as
`pending` until a Moderator approves it, and so does pre-moderation (COMMENT_PREMODERATION=N:
a reader's comments wait until N of theirs were approved). The same body from the same reader
on the same article within COMMENT_DUPLICATE_MINUTES is refused (400 `duplicate`).
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from articles.models import Article
from botbeat.cache import thread_key
from botbeat.counts import count_of
from botbeat.purge import purge
from botbeat.roles import moderates, sees_more_than_public
from botbeat.services import Forbidden, Invalid, NotFound, audit
from botbeat.text import control_character_in, is_visible_text
from changes import outbox
from comments import words
from comments.models import (
    BODY_MAX_LENGTH,
    MAX_DEPTH,
    NOTE_MAX_LENGTH,
    Comment,
    CommentFlag,
    CommentLike,
    ancestor_ids,
    thread_place,
)


def body_clean(body: str) -> str:
    """A comment body as stored: plain text with `\\n` newlines, trimmed, visible, at most
    BODY_MAX_LENGTH characters. It is never interpreted (no HTML, no Markdown): clients escape
    it. Raises Invalid naming the field `body`."""
    if not isinstance(body, str):
        raise Invalid("Not a valid string.", code="invalid", field="body")
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    refused = control_character_in(text, allowed="\n\t")
    if refused:
        raise Invalid(refused, code="control_characters", field="body")
    if not is_visible_text(text):
        raise Invalid("This field may not be blank.", code="blank", field="body")
    if len(text) > BODY_MAX_LENGTH:
        raise Invalid(
            f"Ensure this field has no more than {BODY_MAX_LENGTH} characters.",
            code="max_length",
            field="body",
        )
    return text


BANNED_MESSAGE = "This comment holds a word that is not allowed here."


def _judged(body: str) -> words.Verdict:
    """The word lists' verdict on `body`; a banned word raises Invalid (`banned_word`), naming
    no word: a reader is not taught the list."""
    verdict = words.judge(body)
    if verdict.banned:
        raise Invalid(BANNED_MESSAGE, code="banned_word", field="body")
    return verdict


def premoderated(author: User) -> bool:
    """Whether `author`'s new comments wait for approval: with COMMENT_PREMODERATION=N, a
    reader of whom fewer than N comments were approved. Editors and Moderators never wait."""
    wanted = settings.COMMENT_PREMODERATION
    if wanted <= 0 or sees_more_than_public(author):
        return False
    approved = Comment.objects.filter(author=author, approved_at__isnull=False)
    return approved.count() < wanted


def _refuse_duplicate(*, article: Article, author: User, body: str) -> None:
    """Under the article's row lock: two identical posts at once find each other."""
    since = timezone.now() - dt.timedelta(minutes=settings.COMMENT_DUPLICATE_MINUTES)
    same = Comment.objects.filter(
        article=article, author=author, body=body, created_at__gte=since
    ).exclude(status=Comment.Status.REMOVED)
    if same.exists():
        raise Invalid(
            "You posted this comment on this article a moment ago.",
            code="duplicate",
            field="body",
        )


def _parent_error(message: str, code: str) -> Invalid:
    return Invalid(message, code=code, field="parent")


def _lock_article(article_id: int) -> None:
    """Lock the article's row until the transaction ends. Every comment write takes it first,
    before any comment's row: the counts move under it (_count_visible), and one order of locks
    (the article, then its comments) keeps two writes on one thread from deadlocking."""
    list(Article.objects.select_for_update().filter(pk=article_id).values_list("pk", flat=True))


def _count_visible(comment: Comment, delta: int) -> None:
    """`comment` became visible (delta 1) or stopped being so (-1): its article's
    `comment_count` and the `reply_count` of every comment above it move by `delta`.

    F() updates, in the write's transaction, under the article's row lock: the counts stay
    exact however many readers post and moderators hide at once. The services below are the
    only writers of a comment's status, so they keep them exact.
    """
    Article.objects.filter(pk=comment.article_id).update(comment_count=F("comment_count") + delta)
    above = ancestor_ids(comment.path)
    if above:
        Comment.objects.filter(pk__in=above).update(reply_count=F("reply_count") + delta)


def _set_status(comment: Comment, status: str) -> None:
    """Save a new status of a locked comment, and count it in or out of what the public sees."""
    was_visible = comment.status == Comment.Status.VISIBLE
    comment.status = status
    comment.save(update_fields=["status"])
    is_visible = status == Comment.Status.VISIBLE
    if is_visible != was_visible:
        _count_visible(comment, 1 if is_visible else -1)
    outbox.touched(comments=[comment.pk])


@transaction.atomic
def comment_create(
    *,
    article: Article,
    author: User,
    body: str,
    parent: Comment | None = None,
) -> Comment:
    """Post a comment on `article`, or a reply to `parent` (a visible comment of the same
    article).

    Only a published article takes comments (404 otherwise, staff included), and only while its
    `comments_open` (403 `comments_closed`). A reply to a comment at MAX_DEPTH is attached to
    that comment's parent, so it shows right below it at the same depth: a reader can always
    answer, and the thread never nests deeper. The comment's `path` and `thread` need its id:
    they are set by an update right after the insert, in this transaction, so that nobody
    ever sees them unset.
    """
    body = body_clean(body)
    if not article.is_public:
        raise NotFound("No Article matches the given query.", code="not_found")
    if not article.comments_open:
        raise Forbidden("Comments are closed on this article.", code="comments_closed")
    verdict = _judged(body)
    if parent is not None:
        if parent.article_id != article.pk:
            raise _parent_error("This comment belongs to another article.", "other_article")
        if parent.status != Comment.Status.VISIBLE:
            raise _parent_error(
                "This comment was removed or hidden: it takes no replies.", "withheld"
            )
        if parent.depth >= MAX_DEPTH:
            parent = parent.parent

    _lock_article(article.pk)
    _refuse_duplicate(article=article, author=author, body=body)
    waits = verdict.suspect or premoderated(author)
    comment = Comment.objects.create(
        article=article,
        author=author,
        parent=parent,
        depth=parent.depth + 1 if parent else 0,
        body=body,
        status=Comment.Status.PENDING if waits else Comment.Status.VISIBLE,
    )
    comment.path, comment.thread = thread_place(pk=comment.pk, parent=parent)
    Comment.objects.filter(pk=comment.pk).update(path=comment.path, thread=comment.thread)
    if comment.status == Comment.Status.VISIBLE:
        _count_visible(comment, 1)
    outbox.touched(comments=[comment.pk])
    return comment


def _locked(comment: Comment) -> Comment:
    # The row is locked until the transaction ends, so that an author's delete and a
    # moderator's restore, say, cannot interleave and lose one of them (or miscount). Its
    # article's row first, as every comment write takes them.
    _lock_article(comment.article_id)
    return Comment.objects.select_for_update().get(pk=comment.pk)


def _require_author(comment: Comment, user: User, verb: str) -> None:
    if comment.author_id == user.pk:
        return
    hint = " Moderators hide comments instead (PATCH `status`)." if moderates(user) else ""
    raise Forbidden(f"Only its author may {verb} a comment.{hint}", code="not_author")


def _require_moderator(user: User) -> None:
    if not moderates(user):
        raise Forbidden("Only moderators moderate comments.", code="not_moderator")


def _refuse_removed(comment: Comment) -> None:
    if comment.status == Comment.Status.REMOVED:
        raise Forbidden(
            "Its author removed this comment: it cannot be moderated or restored.",
            code="comment_removed",
        )


@transaction.atomic
def comment_edit(*, comment: Comment, editor: User, body: str) -> Comment:
    """Replace the body of `editor`'s own visible comment; `edited_at` records when it changed
    (an edit to the same text changes nothing). Allowed while comments are closed too. The
    word lists judge the new text as a new comment's: a suspect word sends the comment back
    to `pending`, for a Moderator to approve."""
    body = body_clean(body)
    comment = _locked(comment)
    _require_author(comment, editor, "edit")
    if comment.status != Comment.Status.VISIBLE:
        raise Forbidden("A removed or hidden comment cannot be edited.", code="comment_withheld")
    verdict = _judged(body)
    if comment.body != body:
        comment.body = body
        comment.edited_at = timezone.now()
        comment.save(update_fields=["body", "edited_at"])
        if verdict.suspect:
            _set_status(comment, Comment.Status.PENDING)
        outbox.touched(comments=[comment.pk])
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, actor: User) -> Comment:
    """The author removes their comment, for good (status `removed`; the row stays, so that the
    replies under it keep their place). Deleting it again changes nothing."""
    comment = _locked(comment)
    _require_author(comment, actor, "delete")
    if comment.status != Comment.Status.REMOVED:
        _set_status(comment, Comment.Status.REMOVED)
    return comment


HIDDEN_MESSAGE = "Hidden by a moderator."
RESTORED_MESSAGE = "Restored by a moderator."


def _review_flags(comment: Comment) -> None:
    """A Moderator decided on the locked `comment`: its open flags are closed (they stay, as
    the record of who reported what) and count toward no threshold any more."""
    if comment.flag_count:
        CommentFlag.objects.filter(comment=comment, reviewed_at__isnull=True).update(
            reviewed_at=timezone.now()
        )
        comment.flag_count = 0
        Comment.objects.filter(pk=comment.pk).update(flag_count=0)


@transaction.atomic
def comment_hide(*, comment: Comment, moderator: User, message: str = HIDDEN_MESSAGE) -> Comment:
    """A moderator withholds a comment from the public (status `hidden`), on the record
    (`message`, in the admin's log); hiding it again changes and records nothing. Its open
    flags are closed: the Moderator decided."""
    _require_moderator(moderator)
    comment = _locked(comment)
    _refuse_removed(comment)
    _review_flags(comment)
    if comment.status != Comment.Status.HIDDEN:
        _set_status(comment, Comment.Status.HIDDEN)
        audit(by=moderator, objects=[comment], message=message)
    return comment


@transaction.atomic
def comment_restore(*, comment: Comment, moderator: User) -> Comment:
    """A moderator shows a withheld comment again (status `visible`: hidden, or awaiting
    review), on the record; restoring a visible one changes and records nothing. A comment
    its author removed stays removed. Its open flags are closed: the flags counted so far
    withhold it no more."""
    _require_moderator(moderator)
    comment = _locked(comment)
    _refuse_removed(comment)
    _review_flags(comment)
    if comment.status == Comment.Status.PENDING:
        # An approval: it counts toward its author's standing (premoderated()).
        comment.approved_at = timezone.now()
        comment.save(update_fields=["approved_at"])
        _set_status(comment, Comment.Status.VISIBLE)
        audit(by=moderator, objects=[comment], message=APPROVED_MESSAGE)
    elif comment.status != Comment.Status.VISIBLE:
        message = (
            RESTORED_AFTER_REVIEW_MESSAGE
            if comment.status == Comment.Status.PENDING_REVIEW
            else RESTORED_MESSAGE
        )
        _set_status(comment, Comment.Status.VISIBLE)
        audit(by=moderator, objects=[comment], message=message)
    return comment


def comment_approve(*, comment: Comment, moderator: User) -> Comment:
    """A Moderator approves a `pending` comment: comment_restore, which approves what waits
    for approval (and records it), named for what the admin's action and the docs call it."""
    return comment_restore(comment=comment, moderator=moderator)


RESTORED_AFTER_REVIEW_MESSAGE = "Restored by a moderator after review of its flags."
APPROVED_MESSAGE = "Approved by a moderator."
FLAGGABLE = frozenset({Comment.Status.VISIBLE, Comment.Status.PENDING_REVIEW})


def withheld_for_review_message(count: int) -> str:
    return f"Withheld for review: flagged by {count} readers (the threshold)."


@transaction.atomic
def comment_flag(
    *, comment: Comment, user: User, reason: str, note: str = ""
) -> tuple[CommentFlag, bool]:
    """`user` reports `comment` for `reason` (CommentFlag.Reason), with an optional `note`;
    returns their flag and whether this made it (False: they had flagged it already, and
    nothing changes, the first reason and note stand).

    Another reader's comment only (403 `own_comment`), visible or already awaiting review
    (403 `comment_withheld` otherwise), on a published article (404). When the comment's open
    flags (one per reader: distinct readers, by comment_flag_once) reach
    COMMENT_FLAG_THRESHOLD, it is withheld as `pending_review`, counted out of what the public
    sees and recorded in the admin's log, in this transaction. The flag locks the comment's
    row (its article's first, as every comment write), so concurrent flags count exactly and
    exactly one of them withholds it.
    """
    if reason not in CommentFlag.Reason.values:
        raise Invalid("Not a valid reason.", code="invalid_choice", field="reason")
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise Invalid(
            f"Ensure this field has no more than {NOTE_MAX_LENGTH} characters.",
            code="max_length",
            field="note",
        )
    comment = _locked(comment)
    if not Article.objects.published().filter(pk=comment.article_id).exists():
        raise NotFound("No Comment matches the given query.", code="not_found")
    if comment.author_id == user.pk:
        raise Forbidden("Readers do not flag their own comments.", code="own_comment")
    existing = CommentFlag.objects.filter(comment=comment, user=user).first()
    if existing is not None:
        return existing, False
    if comment.status not in FLAGGABLE:
        raise Forbidden("This comment is withheld already.", code="comment_withheld")
    flag = CommentFlag.objects.create(comment=comment, user=user, reason=reason, note=note)
    comment.flag_count += 1
    Comment.objects.filter(pk=comment.pk).update(flag_count=F("flag_count") + 1)
    threshold = settings.COMMENT_FLAG_THRESHOLD
    if comment.status == Comment.Status.VISIBLE and comment.flag_count >= threshold:
        _set_status(comment, Comment.Status.PENDING_REVIEW)
        # The reader whose flag reached the threshold is named: the log needs someone, and the
        # message says the rule acted.
        audit(by=user, objects=[comment], message=withheld_for_review_message(comment.flag_count))
    return flag, True


def _liked(comment: Comment, delta: int) -> None:
    """`comment` gained (1) or lost (-1) a like: its like_count moves by an F() update in the
    transaction that added or deleted the CommentLike row, so that it stays the number of
    those rows however many readers like it at once; the change feed and the cached answers
    that show it (its thread, its own GET, the article's page: botbeat.cache.thread_key) are
    told. Its article's other answers (the detail, the lists) show no like: not purged."""
    Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") + delta)
    purge(thread_key(comment.article_id))
    outbox.touched(comments=[comment.pk])


def _likeable(comment: Comment) -> Comment:
    comment = Comment.objects.select_related("article").get(pk=comment.pk)
    if not comment.article.is_public:
        raise NotFound("No Comment matches the given query.", code="not_found")
    return comment


@transaction.atomic
def comment_like(*, comment: Comment, user: User) -> bool:
    """`user` likes `comment`; True when this added their like, False when they had liked it
    already (idempotent: nothing changes). A visible comment of a published article only, and
    never one's own (403 `own_comment`, `comment_withheld`).

    No lock is taken before the insert: the unique constraint (comment_like_once) decides
    between two concurrent likes of one reader, the second waiting for the first's commit and
    then finding its row; the F() update then locks the comment's row alone."""
    comment = _likeable(comment)
    if comment.author_id == user.pk:
        raise Forbidden("Readers do not like their own comments.", code="own_comment")
    if comment.status != Comment.Status.VISIBLE:
        raise Forbidden("A withheld comment takes no likes.", code="comment_withheld")
    try:
        with transaction.atomic():
            CommentLike.objects.create(comment=comment, user=user)
    except IntegrityError:
        return False
    _liked(comment, 1)
    return True


@transaction.atomic
def comment_unlike(*, comment: Comment, user: User) -> bool:
    """`user` takes back their like of `comment`; True when there was one to take back, False
    otherwise (idempotent). Allowed whatever the comment's status: a reader may always take
    back what they gave."""
    comment = _likeable(comment)
    deleted, _ = CommentLike.objects.filter(comment=comment, user=user).delete()
    if deleted:
        _liked(comment, -1)
    return bool(deleted)


# Comments whose reply_count one UPDATE sets, at most (the size of its IN list).
REFRESH_BATCH = 5000


@transaction.atomic
def comment_counts_refresh(*, article_ids: Iterable[int] | None = None) -> None:
    """Recount `Article.comment_count` and `Comment.reply_count` from the comments themselves,
    for these articles (None: all of them).

    The services above keep both exact as they write; this is for comments written around
    them: a bulk load (generate_fake), test factories, a repair. The articles' rows are locked
    first, as the services lock them; with `article_ids` None, run it while nothing else
    writes comments (it locks no article).

    One pass over the visible comments' paths, each counting for every comment above it:
    linear in the comments, however deep or long their threads.
    """
    articles = (
        Article.objects.all()
        if article_ids is None
        else Article.objects.filter(pk__in=list(article_ids))
    )
    comments = (
        Comment.objects.all()
        if article_ids is None
        else Comment.objects.filter(article__in=articles)
    )
    if article_ids is not None:
        list(articles.select_for_update().order_by("pk").values_list("pk", flat=True))
    visible = Comment.objects.filter(status=Comment.Status.VISIBLE)
    articles.update(comment_count=count_of(visible, per="article"))

    beneath: Counter[int] = Counter()
    paths = comments.filter(status=Comment.Status.VISIBLE, depth__gt=0).values_list(
        "path", flat=True
    )
    for path in paths.iterator(chunk_size=REFRESH_BATCH):
        beneath.update(ancestor_ids(path))
    comments.exclude(reply_count=0).update(reply_count=0)
    by_count: dict[int, list[int]] = {}
    for pk, n in beneath.items():
        by_count.setdefault(n, []).append(pk)
    for n, pks in by_count.items():
        for start in range(0, len(pks), REFRESH_BATCH):
            Comment.objects.filter(pk__in=pks[start : start + REFRESH_BATCH]).update(reply_count=n)
