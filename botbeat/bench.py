"""The benchmark's ceiling: the fastest answer the same process and middleware stack can give.

`manage.py benchmark` measures the feed's first page, then starts gunicorn with
`BENCHMARK_CEILING_BYTES` set to its size, which routes `/api/_bench/ceiling/` (botbeat/urls.py)
to `ceiling` below: the same bytes count as JSON, computed once per process. Every endpoint's
requests/s is then read as a fraction of this one's. A plain Django view, so drf-spectacular
leaves it out of the schema; without the setting, the URL does not exist.
"""

from functools import cache

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_safe

PADDING = b'{"padding":""}'


@cache
def ceiling_body(size: int) -> bytes:
    """`size` bytes: a JSON object padded with a string (just spaces below 14 bytes)."""
    if size < len(PADDING):
        return b" " * size
    return PADDING[:-2] + b"x" * (size - len(PADDING)) + PADDING[-2:]


@require_safe
def ceiling(request):
    return HttpResponse(
        ceiling_body(settings.BENCHMARK_CEILING_BYTES), content_type="application/json"
    )
