"""The benchmark server's URLconf: botbeat's, plus the ceiling (bench/ceiling.py)."""

from django.urls import path

from bench.ceiling import PATH, ceiling
from botbeat.urls import handler400, handler403, handler404, handler500, urlpatterns

# First: botbeat's last pattern answers every other path under /api/ with a 404.
urlpatterns = [path(PATH.lstrip("/"), ceiling, name="bench-ceiling"), *urlpatterns]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
