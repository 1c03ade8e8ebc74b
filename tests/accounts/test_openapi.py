import pytest

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("/api/v1/auth/register/", "post"): {"201", "400", "415", "429"},
    ("/api/v1/auth/token/", "post"): {"200", "400", "415", "429"},
    ("/api/v1/auth/logout/", "post"): {"204", "400", "401", "403"},
    ("/api/v1/auth/me/", "get"): {"200", "400", "401"},
    ("/api/v1/auth/session/", "get"): {"200", "400"},
    ("/api/v1/auth/session/", "post"): {"200", "400", "403", "415", "429"},
    ("/api/v1/auth/session/", "delete"): {"204", "400", "403", "415"},
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


def test_the_session_cookie_is_a_security_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["cookieAuth"]

    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "cookie", "sessionid")
    assert "X-CSRFToken" in scheme["description"]


def csrf_header(operation) -> dict | None:
    found = [p for p in operation.get("parameters", []) if p["name"] == "X-CSRFToken"]
    assert len(found) <= 1
    return found[0] if found else None


def test_every_write_the_session_may_sign_documents_the_csrf_header(schema):
    writes = {
        (path, method): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"post", "put", "patch", "delete"}
    }
    signed = {
        key
        for key, operation in writes.items()
        if any("cookieAuth" in requirement for requirement in operation.get("security", []))
    }

    assert signed >= {
        ("/api/v1/auth/session/", "post"),
        ("/api/v1/auth/session/", "delete"),
        ("/api/v1/auth/logout/", "post"),
        ("/api/v1/articles/{slug}/comments/", "post"),
        ("/api/v1/comments/{id}/", "patch"),
        ("/api/v1/comments/{id}/", "delete"),
    }
    for key, operation in writes.items():
        header = csrf_header(operation)
        assert (header is not None) == (key in signed), key
        if header is not None:
            assert header["in"] == "header" and "403" in operation["responses"], key
            # Required where only the session signs: the session's own writes.
            assert header["required"] is (key[0] == "/api/v1/auth/session/"), key
    assert csrf_header(schema["paths"]["/api/v1/auth/session/"]["get"]) is None


def test_the_session_answer_says_who_or_null(schema):
    component = schema["components"]["schemas"]["Session"]

    assert component["required"] == ["csrf_token", "user"]
    user = component["properties"]["user"]
    assert user["nullable"] is True
    assert user["allOf"] == [{"$ref": "#/components/schemas/Account"}]
    session = schema["paths"]["/api/v1/auth/session/"]
    for method in ("get", "post"):
        ok = session[method]["responses"]["200"]
        assert ok["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Session"
        }
        assert "Set-Cookie" in ok["headers"]
    assert session["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TokenRequestRequest"
    }  # the token exchange's body
    assert {} in session["get"]["security"] and {} in session["post"]["security"]


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
