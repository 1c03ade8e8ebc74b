"""`GET /api/v1/`: a link to each place a client starts from, cached like every public answer."""

import pytest
from django.urls import resolve

from botbeat.errors import api_not_found
from botbeat.index import INDEX, ApiIndexView

pytestmark = pytest.mark.django_db

INDEX_URL = "/api/v1/"


def test_the_index_links_every_entry_point_by_absolute_url(api):
    response = api.get(INDEX_URL)

    assert response.status_code == 200
    assert response.json() == {
        "articles": "http://testserver/api/v1/articles/",
        "companies": "http://testserver/api/v1/companies/",
        "tags": "http://testserver/api/v1/tags/",
        "changes": "http://testserver/api/v1/changes/",
        "auth_register": "http://testserver/api/v1/auth/register/",
        "auth_token": "http://testserver/api/v1/auth/token/",
        "auth_session": "http://testserver/api/v1/auth/session/",
        "schema": "http://testserver/api/schema/",
        "docs": "http://testserver/api/docs/",
        "redoc": "http://testserver/api/redoc/",
    }


def test_the_links_name_the_host_the_client_came_through(api):
    response = api.get(INDEX_URL, HTTP_HOST="localhost")

    assert response.json()["articles"] == "http://localhost/api/v1/articles/"


def test_every_link_is_routed():
    for link in INDEX:
        assert resolve(link.path).func is not api_not_found, link.path


def test_the_index_is_public_and_revalidates(api):
    first = api.get(INDEX_URL)

    again = api.get(INDEX_URL, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["Cache-Control"].startswith("public, max-age=")
    assert first["Surrogate-Key"] == "botbeat"  # it shows no content: only a purge-all drops it
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_a_signed_in_reader_gets_the_publics_bytes(api, user_api):
    assert user_api.get(INDEX_URL).content == api.get(INDEX_URL).content


def test_the_index_is_served_from_the_response_cache(api, settings, empty_cache, monkeypatch):
    settings.RESPONSE_CACHE = True
    computed = api.get(INDEX_URL)

    def computed_again(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(ApiIndexView, "get", computed_again)
    again = api.get(INDEX_URL)

    assert again.status_code == 200
    assert again.content == computed.content


def test_the_index_takes_no_query_parameter(api):
    response = api.get(INDEX_URL, {"format": "json"})

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_parameter"


def test_the_schema_names_every_link_of_the_index():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"][INDEX_URL]["get"]
    component = schema["components"]["schemas"]["ApiIndex"]

    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiIndex"
    }
    assert list(component["properties"]) == [link.name for link in INDEX]
    assert set(component["required"]) == {link.name for link in INDEX}
    assert {p["format"] for p in component["properties"].values()} == {"uri"}
