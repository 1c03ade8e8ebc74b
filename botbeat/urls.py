"""BotBeat's URLs: the API under /api/v1/, its schema and docs, the admin, the health probes."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csp import csp_override
from rest_framework.routers import SimpleRouter

from articles.views import ArticleViewSet, TagViewSet
from botbeat.docs import REDOC_CSP, RedocView, SchemaView, SwaggerView
from botbeat.health import HealthzView, ReadyzView
from companies.views import CompanyViewSet

router = SimpleRouter()
router.register("articles", ArticleViewSet, basename="article")
router.register("companies", CompanyViewSet, basename="company")
router.register("tags", TagViewSet, basename="tag")

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/", include("comments.urls")),
    path("api/v1/auth/", include("accounts.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        csp_override(REDOC_CSP)(RedocView.as_view(url_name="schema")),
        name="redoc",
    ),
    path("admin/", admin.site.urls),
    path("healthz", HealthzView.as_view(), name="healthz"),
    path("readyz", ReadyzView.as_view(), name="readyz"),
]

handler400 = "botbeat.errors.handler400"
handler403 = "botbeat.errors.handler403"
handler404 = "botbeat.errors.handler404"
handler500 = "botbeat.errors.handler500"
