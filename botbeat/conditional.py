"""Conditional GETs answered without rendering: each process remembers the ETag of what it
rendered, by a digest of what it rendered it from.

Django's ConditionalGetMiddleware decides a 304 from the md5 of the rendered body, so a matching
`If-None-Match` costs the whole answer. The hot views (the feed, an article, its panels, a
thread) write their bodies from plain rows, and that writing is a pure function of the rows and
of the request's URL and media type. So `respond()` digests those inputs once the queries have
run; when this process already rendered an answer from the same inputs, it knows the body's
ETag without writing it, and a conditional GET that carries it is answered 304 then and there.
Otherwise the body is rendered, and its ETag (the md5 of the body, exactly what the middleware
sets, what the response cache stores and what a CDN holds) is remembered for next time.

Exact by construction: the same inputs give the same bytes, in one process (one version of the
code, fixed settings; a test's override_settings clears the memory). A write changes the rows,
hence the digest. What it cannot save is the queries: deciding before them needs a validator
that every write maintains, cheaper than the rows themselves. The database holds none for these
answers: `updated_at` moves on editorial saves only (not with comment counts, tag renames, link
changes made by QuerySet.update), and PostgreSQL's `xmin` would need the same rows read. The
response cache's per-key purges are such a validator (see the branch's report).
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import partial

import orjson
from django.core.signals import setting_changed
from django.http import HttpResponseBase, HttpResponseNotModified
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag

# Answers remembered per process; an entry is a digest and an ETag, about 150 bytes.
REMEMBERED = 4096


class RenderedETags:
    """The ETags of the last REMEMBERED answers this process rendered, by input digest."""

    def __init__(self, size: int = REMEMBERED):
        self.size = size
        self._etags: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> str | None:
        with self._lock:
            etag = self._etags.get(key)
            if etag is not None:
                self._etags.move_to_end(key)
            return etag

    def put(self, key: bytes, etag: str) -> None:
        with self._lock:
            self._etags[key] = etag
            self._etags.move_to_end(key)
            while len(self._etags) > self.size:
                self._etags.popitem(last=False)

    def clear(self, **kwargs) -> None:
        with self._lock:
            self._etags.clear()


RENDERED = RenderedETags()
# A setting may change what an answer says (tests override them): forget every ETag.
setting_changed.connect(RENDERED.clear, dispatch_uid="botbeat-conditional-rendered")


def _digest(request, inputs) -> bytes | None:
    try:
        raw = orjson.dumps(
            [request.build_absolute_uri(), getattr(request, "accepted_media_type", ""), inputs]
        )
    except TypeError:  # something orjson cannot write: no memory for this answer
        return None
    return hashlib.md5(raw, usedforsecurity=False).digest()


def _remember(key: bytes, response) -> None:
    """After rendering: the body's ETag, as ConditionalGetMiddleware would set it."""
    if response.status_code == 200 and not response.streaming and response.content:
        response["ETag"] = quote_etag(
            hashlib.md5(response.content, usedforsecurity=False).hexdigest()
        )
        RENDERED.put(key, response["ETag"])


# Set on a request whose answer is for its sender alone (answer_privately).
PRIVATE_ANSWER = "botbeat_private_answer"


def answer_privately(request) -> None:
    """Mark `request`'s answer as its sender's alone (a preview link's: articles/previews.py):
    respond() then renders it without this process's memory, so that no ETag of it is
    remembered or set, and no 304 is decided from one. Marked on Django's request, which DRF's
    wraps, so that either reads it."""
    setattr(getattr(request, "_request", request), PRIVATE_ANSWER, True)


def respond(request, inputs, render: Callable[[], HttpResponseBase]) -> HttpResponseBase:
    """`render()`'s answer, unless this GET's preconditions settle it without rendering.

    `inputs`: everything `render` writes the body from beyond the request's URL and media type
    (rows, the page's flags): what orjson can write. The caller records the answer's keys
    (tag_answer) before, whichever way it is answered. A 304 made here is the one the
    middleware would make (ConditionalGetMiddleware copies its headers from the 200, which has
    none of its own yet but the ETag; the outer middleware adds the rest to either).
    """
    if request.method != "GET":  # HEAD: the middleware leaves it alone, so do we
        return render()
    if getattr(request, PRIVATE_ANSWER, False):
        return render()
    key = _digest(request, inputs)
    if key is not None and (etag := RENDERED.get(key)) is not None:
        decided = get_conditional_response(request, etag=etag)
        if decided is not None:
            if isinstance(decided, HttpResponseNotModified):
                decided["ETag"] = etag
            decided.rendered_from_memory = True
            return decided
    response = render()
    if key is not None:
        response.add_post_render_callback(partial(_remember, key))
    return response


class RespondMixin:
    """For views answering through respond(): DRF adds `Allow` to every answer, which the
    middleware's 304 does not carry; one made by respond() drops it too."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(response, "rendered_from_memory", False):
            response.headers.pop("Allow", None)
        return response
