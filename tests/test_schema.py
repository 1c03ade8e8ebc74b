"""The OpenAPI schema is a product: exact, complete, and served without a CDN."""

import pytest
from django.core.management import call_command

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
