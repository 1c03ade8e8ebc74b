"""Request bodies are strict (API.md, "Request bodies are as strict"): an unknown field or a key
given twice is a 400 naming it, on every operation that reads a body, and writes nothing.

The operations are those of the schema that take a body, plus the two sign-outs, which take none
(so that any field sent to them is unknown); a new one fails `test_every_write_is_in_the_table`
until it gets a row. The unknown fields tried are a typo, and the fields of the operation's
answer that it does not take (a comment's `author`, `status`, `id` on a POST): what a client
that sends back what it read would send.
"""

import io
import json
from dataclasses import dataclass

import pytest
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from botbeat.parsers import StrictJSONParser
from comments.models import Comment
from tests.hardening.conftest import TOKENS, table_counts

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
COMPONENTS = SCHEMA["components"]["schemas"]


def component(content: dict) -> dict:
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    return COMPONENTS.get(ref.rsplit("/", 1)[-1], {})


@dataclass
class Write:
    body: dict  # valid: without the fault each test adds, it succeeds
    token: str | None = "alice"  # whose bearer token signs it
    ok: int = 200
    article: str = "seed"  # the world's article at `{slug}`


# Per operation (`METHOD path`, the path's placeholders as the schema writes them).
WRITES = {
    "POST /api/v1/auth/register/": Write(
        {"username": "newreader", "password": "a-long-and-unusual-password-42"},
        token=None,
        ok=201,
    ),
    "POST /api/v1/auth/token/": Write(
        {"username": "alice", "password": "a-long-test-password"}, token=None
    ),
    "POST /api/v1/auth/logout/": Write({}, ok=204),
    # The session's: the test client skips CSRF (tests/accounts/test_session.py holds it).
    "POST /api/v1/auth/session/": Write(
        {"username": "alice", "password": "a-long-test-password"}, token=None
    ),
    "DELETE /api/v1/auth/session/": Write({}, token=None, ok=204),
    "POST /api/v1/articles/{slug}/comments/": Write({"body": "A fine comment."}, ok=201),
    "PATCH /api/v1/comments/{id}/": Write({"body": "Alice's take, edited."}),
    # Takes no body (none, or `{}`), as sign-out: any field is unknown.
    "POST /api/v1/articles/{slug}/preview/": Write({}, token="editor", article="draft"),
    # Take no body either: bob likes (and unlikes) alice's comment.
    "PUT /api/v1/comments/{id}/like/": Write({}, token="bob"),
    "POST /api/v1/comments/{id}/flag/": Write({"reason": "spam"}, token="bob", ok=201),
    "DELETE /api/v1/comments/{id}/like/": Write({}, token="bob"),
}
WRITE_METHODS = {"post", "put", "patch"}
# Writes without a body in the schema that refuse one all the same.
TAKE_NONE = {"DELETE /api/v1/auth/session/", "DELETE /api/v1/comments/{id}/like/"}


def operation(name: str) -> dict:
    method, path = name.split(" ", 1)
    return SCHEMA["paths"][path][method.lower()]


def request_fields(name: str) -> set[str]:
    return set(component(operation(name).get("requestBody", {}).get("content", {})).get(
        "properties", {}
    ))  # fmt: skip


def unknown_fields(name: str) -> list[str]:
    """A typo, a field in another case, and the answer's fields the operation does not take."""
    answered = set()
    for status, response in operation(name)["responses"].items():
        if status.startswith("2"):
            answered |= set(component(response.get("content", {})).get("properties", {}))
    taken = request_fields(name)
    return sorted({"bogus", "Body", *(answered - taken)})


def target(name: str, world) -> tuple[str, str]:
    method, path = name.split(" ", 1)
    path = path.replace("{slug}", getattr(world, WRITES[name].article).slug)
    return method, path.replace("{id}", str(world.comments["alice_top"].pk))


def send(name: str, world, raw: bytes):
    client = APIClient()
    token = WRITES[name].token
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKENS[token]}")
    method, path = target(name, world)
    return client.generic(method, path, data=raw, content_type="application/json")


def state() -> tuple:
    comments = Comment.objects.order_by("pk").values_list("pk", "body", "status", "edited_at")
    tokens = AuthToken.objects.order_by("digest").values_list("digest", "expiry")
    return table_counts(), list(comments), list(tokens)


def assert_refused(response, field: str, code: str, what: str) -> None:
    assert response.status_code == 400, f"{what}: {response.status_code} {response.content!r}"
    assert response["Content-Type"] == "application/problem+json", what
    errors = response.json()["errors"]
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in errors
    ], f"{what}: {errors}"


def test_every_write_is_in_the_table():
    writes = {
        f"{method.upper()} {path}"
        for path, item in SCHEMA["paths"].items()
        for method, op in item.items()
        if method in WRITE_METHODS and path.startswith("/api/")
    }
    assert writes | TAKE_NONE == set(WRITES)


@pytest.mark.parametrize("name", WRITES)
def test_an_unknown_field_is_a_400_naming_it_and_writes_nothing(name, world, unthrottled):
    before = state()
    for field in unknown_fields(name):
        body = {**WRITES[name].body, field: "x"}
        response = send(name, world, json.dumps(body).encode())
        assert_refused(response, field, "unknown_field", f"{name} {body}")
        assert state() == before, f"{name} {body} wrote"
    # Several at once are named together.
    body = {**WRITES[name].body, "bogus": 1, "extra": 2}
    errors = send(name, world, json.dumps(body).encode()).json()["errors"]
    assert {e["field"] for e in errors} >= {"bogus", "extra"}
    assert state() == before

    # The body was wrong only in what the test added.
    assert send(name, world, json.dumps(WRITES[name].body).encode()).status_code == WRITES[name].ok


@pytest.mark.parametrize("name", WRITES)
def test_a_key_given_twice_is_a_400_naming_it_and_writes_nothing(name, world, unthrottled):
    before = state()
    valid = WRITES[name].body
    for field in sorted(request_fields(name) | set(valid) | {"bogus"}):
        value = json.dumps(valid.get(field, "x"))
        for pair in ((value, value), ('"first"', value)):  # the same value, or another
            members = [f'"{field}": {pair[0]}', f'"{field}": {pair[1]}']
            members += [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in valid.items() if k != field]
            raw = ("{" + ", ".join(members) + "}").encode()
            assert_refused(send(name, world, raw), field, "duplicate_key", f"{name} {raw!r}")
            assert state() == before, f"{name} {raw!r} wrote"

    assert send(name, world, json.dumps(valid).encode()).status_code == WRITES[name].ok


def test_the_request_components_forbid_other_properties():
    requests = set()
    for item in SCHEMA["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "requestBody" in op:
                for content in op["requestBody"]["content"].values():
                    requests.add(content["schema"]["$ref"].rsplit("/", 1)[-1])
    assert requests >= {"RegisterRequest", "TokenRequestRequest", "CommentCreateRequest"}
    for name in requests:
        assert COMPONENTS[name]["additionalProperties"] is False, name
    for name in set(COMPONENTS) - requests:  # answers are unchanged: a client may meet more
        assert "additionalProperties" not in COMPONENTS[name], name


def parse(raw: bytes):
    return StrictJSONParser().parse(io.BytesIO(raw), "application/json", {})


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"a": 1, "a": 1}', "a"),
        (b'{"a": {"b": 1, "b": 2}}', "a.b"),
        (b'{"a": [1, {"c": 1, "c": 2}]}', "a.1.c"),
        (b'[{"d": 1, "d": 2}]', "0.d"),
        (b'{"": 1, "": 2}', ""),
    ],
)
def test_the_parser_names_a_repeated_key_by_its_path(raw, field):
    with pytest.raises(ValidationError) as caught:
        parse(raw)

    detail = caught.value.detail
    assert list(detail) == [field]
    assert detail[field][0].code == "duplicate_key"


def test_the_parser_keeps_distinct_keys():
    assert parse(b'{"a": 1, "A": 2, "b": {"a": 3}}') == {"a": 1, "A": 2, "b": {"a": 3}}
