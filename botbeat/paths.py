"""The paths outside /api/ that answer as the API's public GETs do: the feeds and the sitemaps
(articles/feeds.py, articles/sitemaps.py, API.md "Feeds and sitemaps").

Their answers are the public's whoever asks (no role sees a draft in a feed), so the response
cache serves and stores them for everyone, and `Cache-Control` is public for everyone. They
carry the read limit's headers and answer their errors with problem documents, as the API does.

Their query parameters are not strict: a feed takes none, and readers and aggregators append
their own (`utm_source=...`), which a feed ignores as feeds do. The response cache names an
entry by the parameters its answer depends on only (`answer_parameters`), so that appended ones
neither change the answer nor store another copy of it.
"""

import re

FEEDS_PREFIX = "/feeds/"
# /sitemap.xml, /sitemap-news.xml and the index's sections, /sitemap-<section>.xml
SITEMAP_PATH = re.compile(r"/sitemap(-[a-z0-9]+)?\.xml")
# A sitemap's page (Django's sitemap view reads `p`); a feed reads none.
SITEMAP_PARAMETERS = frozenset({"p"})


def is_everyones(path: str) -> bool:
    """Whether `path` is a feed's or a sitemap's: an answer that is the same for everyone."""
    return path.startswith(FEEDS_PREFIX) or SITEMAP_PATH.fullmatch(path) is not None


def answer_parameters(path: str) -> frozenset[str]:
    """The query parameters that `path`'s answer depends on (is_everyones paths only)."""
    return SITEMAP_PARAMETERS if SITEMAP_PATH.fullmatch(path) else frozenset()
