"""Keyset cursors over a thread: on `path` (oldest first), or `(thread desc, path)` (newest)."""

import re
from typing import Any

from botbeat.pagination import Keyset, KeysetCursorPagination
from comments.filters import CommentOrdering
from comments.models import MAX_DEPTH, PATH_SEGMENT_LENGTH

PATH_PATTERN = re.compile(rf"(?:\d{{{PATH_SEGMENT_LENGTH}}}){{1,{MAX_DEPTH + 1}}}")


class CommentKeyset(Keyset):
    """A Keyset over comments: `path` (kind "path": a digit string) and `thread` (an id)."""

    def decode_values(self, raw: list) -> list[Any]:
        if not isinstance(raw, list) or len(raw) != len(self.fields):
            raise ValueError("wrong key length")
        values = []
        for (_, _, kind), value in zip(self.fields, raw, strict=True):
            if kind == "path":
                if not isinstance(value, str) or not PATH_PATTERN.fullmatch(value):
                    raise ValueError("not a path")
            elif isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
                raise ValueError("not an id")
            values.append(value)
        return values


KEYSETS = {
    CommentOrdering.OLDEST: CommentKeyset(CommentOrdering.OLDEST, ("path", False, "path")),
    CommentOrdering.NEWEST: CommentKeyset(
        CommentOrdering.NEWEST, ("thread", True, "int"), ("path", False, "path")
    ),
}


class CommentCursorPagination(KeysetCursorPagination):
    """Large pages: a thread of 200 comments comes in one request (the default page)."""

    page_size = 200
    max_page_size = 500
