"""BotBeat's URLs: the API under /api/v1/ (its index first), its schema and docs, the feeds and
sitemaps, the admin, the health probes; any other path under /api/ is the JSON 404
(botbeat.errors.api_not_found)."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csp import csp_override
from rest_framework.routers import SimpleRouter

from articles.feeds import feed_paths
from articles.sitemaps import SECTION_URL_NAME, news_sitemap, sitemap, sitemap_section
from articles.views import ArticleViewSet, TagViewSet
from botbeat.docs import REDOC_CSP, RedocView, SchemaView, SwaggerView
from botbeat.errors import api_not_found
from botbeat.health import HealthzView, ReadyzView
from botbeat.index import ApiIndexView
from changes.views import ChangeFeedView
from companies.views import CompanyViewSet

router = SimpleRouter()
router.register("articles", ArticleViewSet, basename="article")
router.register("companies", CompanyViewSet, basename="company")
router.register("tags", TagViewSet, basename="tag")

urlpatterns = [
    path("api/v1/", ApiIndexView.as_view(), name="api-index"),
    path("api/v1/", include(router.urls)),
    path("api/v1/", include("comments.urls")),
    path("api/v1/changes/", ChangeFeedView.as_view(), name="changes"),
    path("api/v1/auth/", include("accounts.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        csp_override(REDOC_CSP)(RedocView.as_view(url_name="schema")),
        name="redoc",
    ),
    # Last of the API's: whatever path under /api/ the routes above do not match.
    re_path(r"^api/", api_not_found, name="api-not-found"),
    # RSS, Atom and JSON Feed, each of every article and by company, tag and category
    # (articles/feeds.py); the sitemaps (articles/sitemaps.py).
    path("feeds/", include(feed_paths())),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("sitemap-news.xml", news_sitemap, name="sitemap-news"),
    path("sitemap-<slug:section>.xml", sitemap_section, name=SECTION_URL_NAME),
    path("admin/", admin.site.urls),
    path("healthz", HealthzView.as_view(), name="healthz"),
    path("readyz", ReadyzView.as_view(), name="readyz"),
]

handler400 = "botbeat.errors.handler400"
handler403 = "botbeat.errors.handler403"
handler404 = "botbeat.errors.handler404"
handler500 = "botbeat.errors.handler500"
