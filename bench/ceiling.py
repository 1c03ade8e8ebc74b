"""The benchmark's ceiling: the fastest answer the same process and middleware stack can give.

The benchmark measures the feed's first page in-process, then starts the server with
`BENCHMARK_CEILING_BYTES` set to its size; `bench.urls` routes `/api/_bench/ceiling/` to
`ceiling` below: that many bytes of JSON, computed once per process. `?bytes=N` asks for N
bytes instead: the mix's ceiling draws the sizes of the mix's answers with the mix's weights
(bench/runner.py). Every figure is then read as a fraction of a ceiling's. A plain Django
view, so drf-spectacular leaves it out of any schema; the production URLconf (botbeat.urls) does
not route it at all.
"""

from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_safe

PATH = "/api/_bench/ceiling/"
PADDING = b'{"padding":""}'
MAX_BYTES = 10 * 1024 * 1024


@lru_cache(maxsize=8192)  # the mix's answers have a few thousand sizes
def ceiling_body(size: int) -> bytes:
    """`size` bytes: a JSON object padded with a string (just spaces below 14 bytes)."""
    if size < len(PADDING):
        return b" " * size
    return PADDING[:-2] + b"x" * (size - len(PADDING)) + PADDING[-2:]


@require_safe
def ceiling(request):
    # The setting is read at each request, so that an in-process measurement can override it.
    raw = request.GET.get("bytes")
    if raw is None:
        size = settings.BENCHMARK_CEILING_BYTES
    elif raw.isascii() and raw.isdigit() and int(raw) <= MAX_BYTES:
        size = int(raw)
    else:
        return HttpResponseBadRequest(f"bytes: 0 to {MAX_BYTES}")
    return HttpResponse(ceiling_body(size), content_type="application/json")
