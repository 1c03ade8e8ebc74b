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

`Last-Modified` (the detail and the page: `respond(..., dated=True)`) comes from the same
memory, for the same reason: no time in the database moves with everything these answers
show (a comment's hiding, a tag's renaming, a scheduled article going live move none), so a
date made of their times would keep an answer "not modified" after it changed. Instead, each
process remembers, per URL, the inputs it last answered from and when it first saw them
(`CHANGES`): that moment is never before the change it shows, since the inputs that show a
change only exist after it. The date is that second once it is over (`last_modified`): a date
given during its own second could be given again to a later change in the same second, which
`If-Modified-Since` (whole seconds) could not tell apart. So the date moves whenever the body
can have changed; another process, or one that forgot the URL, gives a later date for the same
body (an If-Modified-Since then costs a 200, never a stale 304). The response cache keeps the
moment with the answer and dates its replays the same way.
"""

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson
from django.core.signals import setting_changed
from django.http import HttpResponseBase, HttpResponseNotModified
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag

# Answers remembered per process; an entry is a digest and an ETag, about 150 bytes.
REMEMBERED = 4096


class Remembered:
    """The last `size` values put, by key (a digest of what made them)."""

    def __init__(self, size: int = REMEMBERED):
        self.size = size
        self._values: OrderedDict[bytes, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Any:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: bytes, value: Any) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self, **kwargs) -> None:
        with self._lock:
            self._values.clear()


class ChangeTimes:
    """Per URL (and media type), the digest of the inputs this process last answered it from,
    and when it first saw those inputs; the last REMEMBERED URLs."""

    def __init__(self, size: int = REMEMBERED):
        self.size = size
        self._seen: OrderedDict[bytes, tuple[bytes, float]] = OrderedDict()
        self._lock = threading.Lock()

    def since(self, url: bytes, digest: bytes, now: float) -> float:
        """When this process first saw the URL answered from `digest`, since it last answered
        it from other inputs: `now` if it never did, or forgot."""
        with self._lock:
            seen = self._seen.get(url)
            if seen is None or seen[0] != digest:
                seen = self._seen[url] = (digest, now)
            self._seen.move_to_end(url)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
            return seen[1]

    def clear(self, **kwargs) -> None:
        with self._lock:
            self._seen.clear()


RENDERED = Remembered()  # the ETags of the answers this process rendered, by input digest
CHANGES = ChangeTimes()
# A setting may change what an answer says (tests override them): forget every ETag and date.
setting_changed.connect(RENDERED.clear, dispatch_uid="botbeat-conditional-rendered")
setting_changed.connect(CHANGES.clear, dispatch_uid="botbeat-conditional-changes")


def last_modified(since: float, now: float) -> int | None:
    """The Last-Modified (epoch seconds) of an answer whose inputs were first seen at `since`:
    that second, once it is over; None (no date) until then."""
    second = math.floor(since)
    return second if math.floor(now) > second else None


def _address(request) -> list:
    return [request.build_absolute_uri(), getattr(request, "accepted_media_type", "")]


def _digest(request, inputs) -> bytes | None:
    try:
        raw = orjson.dumps([*_address(request), inputs])
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


def respond(
    request, inputs, render: Callable[[], HttpResponseBase], *, dated: bool = False
) -> HttpResponseBase:
    """`render()`'s answer, unless this GET's preconditions settle it without rendering.

    `inputs`: everything `render` writes the body from beyond the request's URL and media type
    (rows, the page's flags): what orjson can write. The caller records the answer's keys
    (tag_answer) before, whichever way it is answered. A 304 made here is the one the
    middleware would make (ConditionalGetMiddleware copies its headers from the 200, which has
    none of its own yet but the ETag and the date; the outer middleware adds the rest to
    either). `dated`: the answer carries `Last-Modified` (see the module's docstring), and
    `If-Modified-Since` is decided by it, after `If-None-Match` (RFC 9110, 13.2.2), as the
    middleware decides it.
    """
    if request.method != "GET" and not (request.method == "HEAD" and dated):
        return render()
    if getattr(request, PRIVATE_ANSWER, False):
        return render()
    key = _digest(request, inputs)
    since = modified = None
    if dated and key is not None:
        now = clock()
        url = hashlib.md5(orjson.dumps(_address(request)), usedforsecurity=False).digest()
        since = CHANGES.since(url, key, now)
        modified = last_modified(since, now)
    # HEAD: the middleware leaves it alone, so do we.
    if request.method == "GET" and key is not None and (etag := RENDERED.get(key)) is not None:
        decided = get_conditional_response(request, etag=etag, last_modified=modified)
        if decided is not None:
            if isinstance(decided, HttpResponseNotModified):
                decided["ETag"] = etag
                if modified is not None:
                    decided["Last-Modified"] = http_date(modified)
            decided.rendered_from_memory = True
            return decided
    response = render()
    if since is not None:
        response.modified_since = since  # for the response cache, which dates its replays
        if modified is not None:
            response["Last-Modified"] = http_date(modified)
    if key is not None and request.method == "GET":
        if hasattr(response, "add_post_render_callback"):  # DRF's, rendered later
            response.add_post_render_callback(partial(_remember, key))
        else:  # a plain HttpResponse (the feeds'), written already
            _remember(key, response)
    return response


def clock() -> float:
    """Now, in epoch seconds (tests set it)."""
    return time.time()


class RespondMixin:
    """For views answering through respond(): DRF adds `Allow` to every answer, which the
    middleware's 304 does not carry; one made by respond() drops it too."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(response, "rendered_from_memory", False):
            response.headers.pop("Allow", None)
        return response
