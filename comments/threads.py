"""A page of an article's thread, as GET /api/v1/articles/{slug}/comments/ answers it: for that
path (comments.views) and for the article's page (articles.views), which shows its first page.

Not in comments/views.py: no app imports another's views (tests/test_imports.py), and the
article's page is the articles app's.
"""

from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse

from botbeat.cache import tag_answer, thread_key
from botbeat.pagination import Keyset
from comments.filters import CommentOrdering
from comments.models import CommentQuerySet, comment_thread_rows
from comments.pagination import KEYSETS, CommentCursorPagination
from comments.serializers import thread_item

ORDERINGS = [value for value, _ in CommentOrdering.choices]


def thread_comments(*, article_id: int, user) -> CommentQuerySet:
    """The article's comments that `user` sees, as thread rows (comments.models.thread_rows).
    The answer showing them carries the thread's key: a like purges it (comment_like)."""
    tag_answer(thread_key(article_id))
    return comment_thread_rows().filter(article_id=article_id).visible_to(user)


class _Ordered:
    """What KeysetCursorPagination asks of its view: the keyset to page on."""

    def __init__(self, ordering: str):
        self.keyset = KEYSETS[ordering]

    def get_keyset(self) -> Keyset:
        return self.keyset


class ThreadPage:
    """The page of `comments` (thread rows) that `request` asks for, by its `cursor` and
    `page_size`, in `ordering`; `show_withheld`: the reader is a Moderator."""

    def __init__(self, comments: CommentQuerySet, request, *, ordering: str, show_withheld: bool):
        self.paginator = CommentCursorPagination()
        self.rows = self.paginator.paginate_queryset(comments, request, view=_Ordered(ordering))
        self.show_withheld = show_withheld

    def inputs(self) -> list:
        """What the body is written from, beyond its URL (botbeat.conditional.respond)."""
        paginator = self.paginator
        return [self.rows, self.show_withheld, paginator.has_next, paginator.has_previous]

    def body(self):
        items = [thread_item(row, show_withheld=self.show_withheld) for row in self.rows]
        return self.paginator.get_paginated_response(items).data


class ThreadRequest:
    """The request for GET .../comments/ that the article's page stands for: the paginator
    reads its query (`page_size`) and writes its links from its address, so that they point
    to the comments path, as that path's own answer's do."""

    def __init__(self, request, *, slug: str, page_size: str | None, ordering: str | None):
        query = {
            name: value
            for name, value in (("ordering", ordering), ("page_size", page_size))
            if value is not None
        }
        self.query_params = QueryDict(urlencode(query))
        path = reverse("article-comments", kwargs={"slug": slug})
        self.url = request.build_absolute_uri(path + (f"?{urlencode(query)}" if query else ""))

    def build_absolute_uri(self) -> str:
        return self.url


def thread_first_page(
    request,
    *,
    article_id: int,
    slug: str,
    page_size: str | None,
    ordering: str | None,
    show_withheld: bool,
) -> ThreadPage:
    """The thread's first page exactly as GET .../comments/?page_size=&ordering= answers the
    request's reader (each given when not None; validated by the caller)."""
    comments = thread_comments(article_id=article_id, user=request.user)
    thread_request = ThreadRequest(request, slug=slug, page_size=page_size, ordering=ordering)
    return ThreadPage(
        comments,
        thread_request,
        ordering=ordering or CommentOrdering.OLDEST,
        show_withheld=show_withheld,
    )
