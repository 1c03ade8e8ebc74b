"""BotBeat's URLs: the API under /api/v1/, its schema and docs, and the admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from articles.views import ArticleViewSet, TagViewSet
from botbeat import bench
from companies.views import CompanyViewSet

router = SimpleRouter()
router.register("articles", ArticleViewSet, basename="article")
router.register("companies", CompanyViewSet, basename="company")
router.register("tags", TagViewSet, basename="tag")

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/", include("comments.urls")),
    path("api/v1/auth/", include("accounts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
]

# `manage.py benchmark` only: routed when BENCHMARK_CEILING_BYTES is set (botbeat/bench.py).
if settings.BENCHMARK_CEILING_BYTES:
    urlpatterns.append(path("api/_bench/ceiling/", bench.ceiling, name="bench-ceiling"))

handler400 = "botbeat.errors.handler400"
handler403 = "botbeat.errors.handler403"
handler404 = "botbeat.errors.handler404"
handler500 = "botbeat.errors.handler500"
