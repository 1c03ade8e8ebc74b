"""Purging what a write changed: the response cache here, and the edge in front of the site.

A write names the keys it touched (botbeat.cache: `article-<id>`, `company-<id>`, `tag-<id>`,
`feed`) with `purge(...)`; once its transaction commits, every purger in `CACHE_PURGERS` drops
the answers that show one of them. The keys of one transaction are sent together, once.

Purgers (the setting lists their dotted paths; `EDGE_PURGER=varnish` adds the edge's):
- `ResponseCachePurger`: the server-side response cache (botbeat/cache.py).
- `VarnishPurger`: Varnish with the xkey module, as deploy/varnish/botbeat.vcl configures it: one
  `PURGE` request per Varnish (`VARNISH_PURGE_URLS`) with the keys in `xkey-purge`. A purge that
  fails is logged; the edge then holds the answer until its `s-maxage` passes.
"""

import logging
import threading
import urllib.request
from collections.abc import Collection, Iterable
from functools import cache as memoize
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from botbeat import cache, replicas

logger = logging.getLogger(__name__)


class Purger(Protocol):
    def purge(self, keys: Collection[str]) -> None:
        """Drop every answer that shows one of `keys`."""

    def purge_everything(self) -> None:
        """Drop every answer."""


class ResponseCachePurger:
    def purge(self, keys: Collection[str]) -> None:
        cache.purge_keys(keys)

    def purge_everything(self) -> None:
        cache.new_generation()


class VarnishPurger:
    """Varnish's xkey: `PURGE /` with `xkey-purge: <keys>`, answered 200 by the shipped VCL."""

    timeout = 2  # seconds: a write waits for its purge at most this long per Varnish

    def __init__(self, urls: Iterable[str] | None = None):
        self.urls = None if urls is None else list(urls)

    def purge(self, keys: Collection[str]) -> None:
        for url in settings.VARNISH_PURGE_URLS if self.urls is None else self.urls:
            self.send(url, " ".join(sorted(keys)))

    def purge_everything(self) -> None:
        self.purge([cache.ALL_KEY])

    def send(self, url: str, keys: str) -> None:
        request = urllib.request.Request(url, method="PURGE", headers={"xkey-purge": keys})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
        except OSError:
            logger.warning("edge purge of %s at %s failed", keys, url, exc_info=True)


@memoize
def _purgers(paths: tuple[str, ...]) -> list[Purger]:
    return [import_string(path)() for path in paths]


def purgers() -> list[Purger]:
    return _purgers(tuple(settings.CACHE_PURGERS))


_pending = threading.local()


def purge(*keys: str) -> None:
    """Purge `keys` once the current transaction (if any) commits."""
    if not keys:
        return
    pending = getattr(_pending, "keys", None)
    if pending is None:
        pending = _pending.keys = set()
    pending.update(keys)
    # One callback per call, but the first to run sends every key pending and the others find
    # none: a transaction's keys go out together. Keys of a transaction rolled back go out with
    # the next one: a purge too many, never one too few.
    transaction.on_commit(_send_pending)


def _send_pending() -> None:
    keys = getattr(_pending, "keys", None)
    if not keys:
        return
    _pending.keys = set()
    replicas.note_write()  # before the purge: a reader that missed reads no replica behind it
    for purger in purgers():
        purger.purge(keys)


def purge_everything() -> None:
    """Drop every answer, here and at the edge, once the current transaction commits: for
    writes too broad to name their keys (a merge)."""

    def send() -> None:
        replicas.note_write()
        for purger in purgers():
            purger.purge_everything()

    transaction.on_commit(send)
