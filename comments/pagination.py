"""Keyset cursors over a thread: on `path` (oldest first), `(thread desc, path)` (newest), or
`(the thread's likes desc, thread, path)` (best)."""

import re
from typing import Any

from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When

from botbeat.pagination import Keyset, KeysetCursorPagination
from comments.filters import CommentOrdering
from comments.models import MAX_DEPTH, PATH_SEGMENT_LENGTH, Comment

PATH_PATTERN = re.compile(rf"(?:\d{{{PATH_SEGMENT_LENGTH}}}){{1,{MAX_DEPTH + 1}}}")


class CommentKeyset(Keyset):
    """A Keyset over comments: `path` (kind "path": a digit string), `thread` (kind "int": an
    id) and a count (kind "count": 0 or more)."""

    def decode_values(self, raw: list) -> list[Any]:
        if not isinstance(raw, list) or len(raw) != len(self.fields):
            raise ValueError("wrong key length")
        values = []
        for (_, _, kind), value in zip(self.fields, raw, strict=True):
            if kind == "path":
                if not isinstance(value, str) or not PATH_PATTERN.fullmatch(value):
                    raise ValueError("not a path")
            elif kind == "count":
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
                    raise ValueError("not a count")
            elif isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
                raise ValueError("not an id")
            values.append(value)
        return values


class BestKeyset(CommentKeyset):
    """Most liked threads first: each comment sorts by its top-level comment's like_count
    (`best_likes`), then its thread (oldest first on a tie) and its path.

    Likes change while a reader pages, so a cursor is a place in the order as it was: the
    thread it stopped in keeps, for this page, the likes it had then, so the page finishes that
    thread (its replies never move) and goes on with the threads ranked after that place now.
    A thread whose likes carried it across the place since is served twice or not at all, as
    any keyset over a moving key would; every other thread comes exactly once, no page is
    empty while comments remain, and a cursor never goes stale. The key is computed (a
    subquery per comment on the primary key): no index orders a thread by it, which a page
    of one article's thread can afford."""

    def prepare(self, queryset, position: list[Any] | None):
        likes = Subquery(
            Comment.objects.filter(pk=OuterRef("thread")).values("like_count")[:1],
            output_field=IntegerField(),
        )
        if position is not None:
            pinned, thread = position[0], position[1]
            likes = Case(When(thread=thread, then=Value(pinned)), default=likes)
        return queryset.annotate(best_likes=likes)


KEYSETS = {
    CommentOrdering.OLDEST: CommentKeyset(CommentOrdering.OLDEST, ("path", False, "path")),
    CommentOrdering.NEWEST: CommentKeyset(
        CommentOrdering.NEWEST, ("thread", True, "int"), ("path", False, "path")
    ),
    CommentOrdering.BEST: BestKeyset(
        CommentOrdering.BEST,
        ("best_likes", True, "count"),
        ("thread", False, "int"),
        ("path", False, "path"),
    ),
}


class CommentCursorPagination(KeysetCursorPagination):
    """Large pages: a thread of 200 comments comes in one request (the default page)."""

    page_size = 200
    max_page_size = 500
