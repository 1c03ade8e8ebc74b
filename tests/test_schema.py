"""The OpenAPI schema is a product: exact, complete, and served without a CDN."""

import re

import pytest
from django.core.management import call_command
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import path as route

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_schema_validates_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_every_operation_has_an_id_a_summary_and_its_errors(schema):
    for path, method, operation in operations(schema):
        where = f"{method.upper()} {path}"
        assert operation.get("operationId"), where
        assert operation.get("summary"), where
        assert "400" in operation["responses"], where
        if "{" in path:
            assert "404" in operation["responses"], where


def test_article_list_parameters_are_typed(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/articles/"]["get"]["parameters"]}

    assert set(parameters) >= {
        "company",
        "tag",
        "category",
        "published_after",
        "published_before",
        "q",
        "ordering",
        "cursor",
        "page_size",
    }
    assert parameters["page_size"]["schema"]["maximum"] == 100
    assert parameters["cursor"]["schema"]["pattern"]
    assert parameters["tag"]["schema"]["type"] == "array"


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_docs_are_served(client, path):
    response = client.get(path)

    assert response.status_code == 200
    if path != "/api/schema/":
        assert b"cdn" not in response.content.lower()


def test_swagger_ui_assets_are_served_locally(client):
    response = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")

    assert response.status_code == 200


# Caching: the two pages carry the request's CSP nonce and CSRF token, the schema neither.

DOCS_PAGES = ["/api/docs/", "/api/redoc/"]


def nonce_of(response) -> str:
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)


@pytest.fixture
def response_cache(settings, empty_cache):
    settings.RESPONSE_CACHE = True
    return empty_cache


@pytest.mark.parametrize("path", DOCS_PAGES)
def test_the_docs_pages_are_private_and_kept_nowhere(client, response_cache, path):
    first = client.get(path)
    second = client.get(path)
    conditional = client.get(path, HTTP_IF_NONE_MATCH="*")
    answers = {
        "GET": first,
        "GET again": second,
        "GET If-None-Match": conditional,
        "HEAD": client.head(path),
        "OPTIONS": client.options(path),
    }

    for what, response in answers.items():
        assert response["Cache-Control"] == "private, no-store", what
        for header in ("ETag", "Last-Modified", "Surrogate-Key", "Cache-Tag"):
            assert header not in response, (what, header)
    assert conditional.status_code == 200
    # Each answer was computed for its request: its own nonce, in the policy and in the page.
    nonces = {nonce_of(response) for response in (first, second, conditional)}
    assert len(nonces) == 3
    for response in (first, second, conditional):
        assert f'nonce="{nonce_of(response)}"' in response.content.decode()
    assert not [key for key in response_cache._cache if ":response:" in key]


def test_swagger_ui_carries_a_csrf_token_that_no_cache_keeps(client, db):
    response = client.get("/api/docs/")

    token = response.cookies["csrftoken"].value
    assert token and response["Cache-Control"] == "private, no-store"
    assert b'request.headers["X-CSRFTOKEN"] = "' in response.content


@pytest.mark.parametrize("accept", ["application/vnd.oai.openapi", "application/json"])
def test_the_schema_carries_no_nonce_and_no_token_and_stays_public(client, accept, settings):
    page = client.get("/api/docs/")
    first = client.get("/api/schema/", HTTP_ACCEPT=accept)
    second = client.get("/api/schema/", HTTP_ACCEPT=accept)

    assert first.status_code == 200
    assert first["Cache-Control"] == (
        f"public, max-age={settings.API_CACHE_MAX_AGE}, s-maxage={settings.API_CACHE_S_MAXAGE}"
    )
    assert "ETag" in first
    assert first.content == second.content  # nothing in it is per request
    for response in (first, second):
        assert "nonce-" not in response["Content-Security-Policy"]
        assert not response.cookies
    assert nonce_of(page).encode() not in first.content
    assert page.cookies["csrftoken"].value.encode() not in first.content


# Any other page under /api/ that uses the request's nonce or CSRF token is private too, even
# if its view says nothing about caching.


def page_with_a_nonce(request):
    return HttpResponse(f'<script nonce="{request._csp_nonce}"></script>')


def page_with_a_csrf_token(request):
    return HttpResponse(f'<input name="csrfmiddlewaretoken" value="{get_token(request)}">')


def page_with_neither(request):
    return HttpResponse("<p>The same for everyone.</p>")


urlpatterns = [
    route("api/nonce/", page_with_a_nonce),
    route("api/csrf/", page_with_a_csrf_token),
    route("api/plain/", page_with_neither),
]


@pytest.mark.urls(__name__)
def test_a_page_with_the_requests_nonce_or_csrf_token_is_never_public(client, db):
    nonce = client.get("/api/nonce/")
    csrf = client.get("/api/csrf/")
    plain = client.get("/api/plain/")

    for response in (nonce, csrf):
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert "ETag" not in response
    assert plain["Cache-Control"].startswith("public, ")  # the rule is not everyone's
