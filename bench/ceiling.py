"""The benchmark's ceiling: the fastest answer the same process and middleware stack can give.

The benchmark measures the feed's first page in-process, then starts the server with
`BENCHMARK_CEILING_BYTES` set to its size; `bench.urls` routes `/api/_bench/ceiling/` to
`ceiling` below: that many bytes of JSON, computed once per process. Every figure is then read
as a fraction of this one's. A plain Django view, so drf-spectacular leaves it out of any
schema; the production URLconf (botbeat.urls) does not route it at all.
"""

from functools import cache

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_safe

PATH = "/api/_bench/ceiling/"
PADDING = b'{"padding":""}'


@cache
def ceiling_body(size: int) -> bytes:
    """`size` bytes: a JSON object padded with a string (just spaces below 14 bytes)."""
    if size < len(PADDING):
        return b" " * size
    return PADDING[:-2] + b"x" * (size - len(PADDING)) + PADDING[-2:]


@require_safe
def ceiling(request):
    # Read at each request, so that an in-process measurement can override the setting.
    return HttpResponse(
        ceiling_body(settings.BENCHMARK_CEILING_BYTES), content_type="application/json"
    )
