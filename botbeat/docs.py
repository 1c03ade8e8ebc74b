"""The OpenAPI schema and its two pages, Swagger UI and ReDoc, served from the project itself
(drf-spectacular-sidecar: no CDN, clients may be offline)."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.csp import CSP
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView


class DocumentOptionsMixin:
    """`OPTIONS` answers with `Allow` (DRF adds it to every answer) and an empty body, as
    Django's own views do. DRF's answer, a description of the view, would go through the
    document's renderer: Swagger UI's template, which then misses what it includes (a 500),
    ReDoc's page with nothing in it, or the schema's renderer as if it were an OpenAPI document."""

    def options(self, request, *args, **kwargs):
        return HttpResponse()


class PrivatePageMixin:
    """A page whose HTML carries the request's CSP nonce and CSRF token: every answer (GET, HEAD,
    OPTIONS, errors) is `private, no-store`, so that no cache, a browser's, a CDN's or the
    response cache (botbeat/cache.py), hands them to another visitor (API.md). Said here, before
    ConditionalGetMiddleware sees the answer: it adds no ETag to a no-store answer and so never
    answers 304, and CacheControlMiddleware leaves the header as it is."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response


class SchemaView(DocumentOptionsMixin, SpectacularAPIView):
    """The OpenAPI schema, in YAML or JSON by the `Accept` header. It carries no nonce and no
    token, so it is cached as the API's public answers are."""


class SwaggerView(DocumentOptionsMixin, PrivatePageMixin, SpectacularSwaggerView):
    """Swagger UI, with the site's Cross-Origin-Opener-Policy (same-origin): drf-spectacular
    loosens it for OAuth2 sign-in popups, which BotBeat's bearer tokens do not use."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        del response["Cross-Origin-Opener-Policy"]
        return response


class RedocView(DocumentOptionsMixin, PrivatePageMixin, SpectacularRedocView):
    """ReDoc, under REDOC_CSP (botbeat/urls.py)."""


# ReDoc styles itself with <style> elements it creates at run time (without the nonce) and
# renders the schema in a worker started from a blob: URL. Its scripts still need the nonce.
REDOC_CSP = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "worker-src": [CSP.SELF, "blob:"],
}
