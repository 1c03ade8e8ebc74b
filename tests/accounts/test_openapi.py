import pytest

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("/api/v1/auth/register/", "post"): {"201", "400", "415", "429"},
    ("/api/v1/auth/token/", "post"): {"200", "400", "415", "429"},
    ("/api/v1/auth/logout/", "post"): {"204", "400", "401", "403"},
    ("/api/v1/auth/me/", "get"): {"200", "400", "401"},
    # A read with a token that names nobody is answered as the public is: no 401.
    ("/api/v1/articles/{slug}/comments/", "get"): {"200", "400", "404"},
    ("/api/v1/articles/{slug}/comments/", "post"): {
        "201",
        "400",
        "401",
        "403",
        "404",
        "415",
        "429",
    },
    ("/api/v1/comments/{id}/", "get"): {"200", "400", "404"},
    ("/api/v1/comments/{id}/", "patch"): {"200", "400", "401", "403", "404", "415", "429"},
    ("/api/v1/comments/{id}/", "delete"): {"204", "400", "401", "403", "404", "429"},
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_the_bearer_token_is_a_security_scheme(schema):
    assert schema["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.parametrize(("path", "method"), sorted(EXPECTED))
def test_every_status_an_operation_answers_is_documented(schema, path, method):
    operation = schema["paths"][path][method]

    assert EXPECTED[(path, method)] <= set(operation["responses"])
    for status, response in operation["responses"].items():
        if status[0] == "4":
            assert response["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
    # Every operation may answer 429 (the read limit); those with a limit of their own say so.
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    if "429" in EXPECTED[(path, method)]:
        assert "Rate-limited" in operation["description"]
    if "401" in operation["responses"]:
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
