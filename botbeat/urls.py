"""BotBeat's URLs: the API under /api/v1/, its schema and docs, the admin, the health probes."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from articles.views import ArticleViewSet, TagViewSet
from botbeat.health import HealthzView, ReadyzView
from companies.views import CompanyViewSet


class SwaggerView(SpectacularSwaggerView):
    """Swagger UI, with the site's Cross-Origin-Opener-Policy (same-origin): drf-spectacular
    loosens it for OAuth2 sign-in popups, which BotBeat's bearer tokens do not use."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        del response["Cross-Origin-Opener-Policy"]
        return response


# ReDoc styles itself with <style> elements it creates at run time (without the nonce) and
# renders the schema in a worker started from a blob: URL. Its scripts still need the nonce.
REDOC_CSP = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "worker-src": [CSP.SELF, "blob:"],
}

router = SimpleRouter()
router.register("articles", ArticleViewSet, basename="article")
router.register("companies", CompanyViewSet, basename="company")
router.register("tags", TagViewSet, basename="tag")

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/", include("comments.urls")),
    path("api/v1/auth/", include("accounts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        csp_override(REDOC_CSP)(SpectacularRedocView.as_view(url_name="schema")),
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
