"""A corpus of bad input for every operation of the schema: each answer is a 4xx problem
document, and the database is unchanged afterwards.

The corpus is built from the schema itself (every query parameter gets values of the wrong type,
out of range, empty, repeated, with NUL and odd Unicode; every path parameter odd slugs and
numbers; every body wrong types, broken and nested JSON, huge bodies, wrong content types), plus
bad headers (credentials, Accept, Content-Type, Content-Length). Write operations are sent with a
valid reader's token, so that the bad input itself, not the missing credential, is refused.
A new operation in the schema gets its corpus without anyone writing it.
"""

import base64
import json
from collections import Counter
from urllib.parse import quote

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from comments.models import Comment
from tests.hardening.conftest import NUMBERS, SEED_SLUG, TOKENS, table_counts

PROBLEM_KEYS = {"type", "title", "status", "code", "detail", "instance", "errors"}
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
TRIED: Counter = Counter()

# Query values every parameter refuses, whatever its type, free text (`q`) included.
ANY_PARAMETER = ["", " ", "\x00", "a\x00b", "x" * 5000]
# And every parameter but free text: odd Unicode, a lone percent sign.
NOT_TEXT = ["\ufffd\ud7ff", "é", "%F0%9F%92%A9", "%"]
INTEGER_VALUES = ["abc", "1.5", "1e3", "-1", "0", "99999999999999999999999999999", "0x10", "½"]
DATE_VALUES = [
    "2026-13-45",
    "2026-02-30",
    "0000-01-01",
    "2026-06-18T25:00:00",
    "9999-12-31T23:59:59-23:59",  # in range, but not once in UTC
    "0001-01-01T00:00:00+01:00",
    "tomorrow",
    "2026-06-18T00:00:00Z/extra",
]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CURSOR_VALUES = [
    "!!!",
    "A",
    "A" * 513,
    b64(b"not json"),
    b64(b"\xff\xfe\x00binary"),
    b64(b"[1, 2, 3]"),
    b64(
        json.dumps({"o": "-published_at", "k": ["2026-01-01T00:00:00+00:00"], "r": False}).encode()
    ),
    b64(json.dumps({"o": "-published_at", "k": ["2026-01-01", 10**40], "r": False}).encode()),
    b64(json.dumps({"o": "-published_at", "k": ["2026-01-01T00:00:00", 1], "r": False}).encode()),
    # A well-formed position whose offset leaves the year range once in UTC.
    b64(
        json.dumps(
            {"o": "-published_at", "k": ["0001-01-01T00:00:00+14:00", 1], "r": False}
        ).encode()
    ),
    b64(
        json.dumps({"o": "published_at", "k": ["9999-12-31T23:59:59-14:00", 1], "r": True}).encode()
    ),
    b64(json.dumps({"o": "relevance", "k": [1, "x", 1], "r": "yes"}).encode()),
    b64(json.dumps({"o": "oldest", "k": ["1" * 13], "r": False}).encode()),
    b64(json.dumps({"o": "newest", "k": [-1, "000000000001"], "r": False}).encode()),
    b64(b'{"o": "-published_at", "k": ["2026-01-01T00:00:00+00:00", 1], "r": false'),  # truncated
]

SLUG_VALUES = [
    "%C3%A9t%C3%A9",  # été
    "%F0%9F%92%A9",  # an emoji
    "%00",
    "a%00b",
    "%FF%FE",  # not UTF-8
    "a" * 5000,
    "..%2F..%2Fadmin",
    "%20",
]
ID_VALUES = ["-1", "0", "99999999999999999999999999999", "9223372036854775808", "1.5", "abc", "%00"]

BODY_VALUES = [  # (raw bytes, content type)
    (b"", "application/json"),
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b"123", "application/json"),
    (b'"a string"', "application/json"),
    (b"{", "application/json"),
    (b'{"body": "truncated', "application/json"),
    (b"{'body': 'single quotes'}", "application/json"),
    (b'{"body": NaN}', "application/json"),
    (b'{"body": Infinity, "parent": -Infinity}', "application/json"),
    (b"\xff\xfe{\x00}", "application/json"),  # not UTF-8
    (b'\xef\xbb\xbf{"body": "BOM"}', "application/json"),
    (b"[" * 30_000, "application/json"),  # nested deeper than Python recurses, under the limit
    (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "application/json"),
    (b"[" * 100_000, "application/json"),  # 100,000 levels: over the size limit
    (json.dumps({"body": "x" * (1024 * 1024)}).encode(), "application/json"),  # 1 MB
    (b'{"body": "hello"}', "text/plain"),
    (b"body=hello", "application/x-www-form-urlencoded"),
    (
        b'--b\r\nContent-Disposition: form-data; name="body"\r\n\r\nhi\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
    ),
    (b'{"body": "hello"}', "application/json; charset=utf-16"),
    (b"x\x9c\xabVJ\xcaOT\xb2RP\xcaH\xcd\xc9\xc9W\xaa\x05\x00", "application/json; charset=zlib"),
    (b'{"body": "uryyb"}', "application/json; charset=rot13"),
    (b'{"body": "hello"}', "application/xml"),
    (b'{"body": "hello"}', ""),
]
# Bodies of the right shape whose fields are wrong, per request body schema property type.
FIELD_VALUES = {
    "string": [
        None,
        123,
        1.5,
        True,
        [],
        {},
        "",
        " \t\n ",
        "\x00",
        "a\x00b",
        "\x1b[31m",
        "x" * 6000,
        "a\ud800b",  # a lone surrogate: no UTF-8 for it, in the database or anywhere
    ],
    "integer": [None, "1", "abc", 1.5, True, -1, 0, 10**30, -(10**30), [], {}],
    "enum": [None, "", "HIDDEN", "removed", 1, [], {}],
}

# Credentials a client may get wrong, on every operation that reads them (sent alone).
AUTHORIZATION_VALUES = [
    "Bearer",
    "Bearer not-a-token",
    "Bearer " + "0" * 64,  # the right shape, unknown
    "Bearer " + "é" * 64,
    "Bearer a\x00b",
    "Bearer " + "a" * 10_000,
    "bearer  " + TOKENS["alice"] + " extra",
]
# Answers a client may ask for that the API does not serve, on every operation.
ACCEPT_VALUES = ["application/xml", "text/html", "image/*"]
# Hosts the site does not serve (ALLOWED_HOSTS), on every operation.
HOST_VALUES = ["evil.example", "localhost:abc", "a" * 300 + ".example", "local\x00host"]


SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
OPERATIONS = [
    (path, method, operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method in HTTP_METHODS
]
COMPONENTS = SCHEMA["components"]["schemas"]


def concrete_path(path: str, world, **values) -> str:
    values = {"slug": SEED_SLUG, "id": str(world.comments["alice_top"].pk), **values}
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def query_corpus(operation) -> list[str]:
    """Query strings, each wrong in one way."""
    corpus = ["unknown_parameter=1", "Page_Size=1", quote("ünknown") + "=1"]
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        name, schema = parameter["name"], parameter["schema"]
        values = list(ANY_PARAMETER)
        kind = schema.get("type")
        if name != "q":
            values += NOT_TEXT
        if kind == "integer":
            values += [*INTEGER_VALUES, str(schema.get("maximum", 10**9) + 1)]
        elif "oneOf" in schema:  # a date or a date-time
            values += DATE_VALUES
        elif "enum" in schema or schema.get("items", {}).get("enum"):
            values += ["nope", "RESEARCH", "research,policy"]
        elif name == "cursor":
            values += CURSOR_VALUES
        elif "pattern" in schema or "pattern" in schema.get("items", {}):
            values += [v for v in SLUG_VALUES if v not in ("a" * 5000,)] + ["no-such-slug"]
        corpus += [f"{name}={quote(value, safe='%')}" for value in values]
        if kind != "array":  # repeated single-valued parameters
            corpus.append(f"{name}=1&{name}=2")
    return corpus


def body_corpus(operation) -> list[tuple[bytes, str]]:
    corpus = list(BODY_VALUES)
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = content.get("schema", {}).get("$ref", "")
    component = COMPONENTS.get(ref.rsplit("/", 1)[-1], {})
    properties = component.get("properties", {})
    valid = {name: VALID_FIELDS[name] for name in properties if name in VALID_FIELDS}
    for name, field in properties.items():
        kind = "enum" if "allOf" in field or "enum" in field else field.get("type", "string")
        for value in FIELD_VALUES.get(kind, FIELD_VALUES["string"]):
            if value is None and field.get("nullable"):
                continue
            if isinstance(value, str) and not value.strip() and "minLength" not in field:
                continue  # an optional text may be blank
            corpus.append((json.dumps({**valid, name: value}).encode(), "application/json"))
    return corpus


# Values that pass, so that each body above is wrong in the one field it changes.
VALID_FIELDS = {
    "body": "A fine comment.",
    "username": "newreader",
    "password": "a-long-and-unusual-password-42",
    "display_name": "New Reader",
}


def assert_problem(response, what: str) -> None:
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {response.content!r}"
    assert response["Content-Type"] == "application/problem+json", what
    body = response.json()
    assert set(body) == PROBLEM_KEYS, what
    assert body["status"] == response.status_code, what
    assert isinstance(body["code"], str) and body["code"], what
    assert body["instance"].startswith("/"), what
    assert b"Traceback" not in response.content and b"SELECT" not in response.content, what


def send(client, method: str, path: str, *, data: bytes | None = None, content_type="", **extra):
    TRIED["requests"] += 1
    if data is None:
        return client.generic(method.upper(), path, **extra)
    return client.generic(method.upper(), path, data=data, content_type=content_type, **extra)


def comment_state() -> list[tuple]:
    return list(Comment.objects.order_by("pk").values_list("pk", "body", "status", "edited_at"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "method", "operation"),
    OPERATIONS,
    ids=[f"{method.upper()} {path}" for path, method, _ in OPERATIONS],
)
def test_bad_input_is_a_4xx_problem_and_writes_nothing(path, method, operation, world, unthrottled):
    signed_in = APIClient()
    signed_in.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKENS['alice']}")
    # Writes are sent signed in, so that the input, not the missing credential, is refused.
    clients = [signed_in] if method != "get" else [APIClient(), signed_in]
    target = concrete_path(path, world)
    body = (json.dumps({"body": "A fine comment."}).encode(), "application/json")
    before, comments_before = table_counts(), comment_state()

    for client in clients:
        for query in query_corpus(operation):
            what = f"{method.upper()} {target}?{query}"
            kwargs = {}
            if "requestBody" in operation:
                kwargs = {"data": body[0], "content_type": body[1]}
            assert_problem(send(client, method, f"{target}?{query}", **kwargs), what)
        for name, values in (("slug", SLUG_VALUES), ("id", ID_VALUES)):
            if "{" + name + "}" not in path:
                continue
            for value in values:
                bad = concrete_path(path, world, **{name: value})
                assert_problem(send(client, method, bad), f"{method.upper()} {bad}")
        for accept in ACCEPT_VALUES:
            response = send(client, method, target, HTTP_ACCEPT=accept)
            assert_problem(response, f"{method.upper()} {target} Accept: {accept}")
        for host in HOST_VALUES:
            response = send(client, method, target, HTTP_HOST=host)
            assert_problem(response, f"{method.upper()} {target} Host: {host!r}")
        if "requestBody" in operation:
            for data, content_type in body_corpus(operation):
                what = f"{method.upper()} {target} {content_type}: {data[:80]!r}"
                response = send(client, method, target, data=data, content_type=content_type)
                assert_problem(response, what)
            for length in ("-1", "abc", str(settings.API_MAX_BODY_BYTES + 1), "1" * 30):
                what = f"{method.upper()} {target} Content-Length: {length}"
                response = send(
                    client, method, target, data=b"{}", content_type="application/json",
                    CONTENT_LENGTH=length,
                )  # fmt: skip
                assert_problem(response, what)

    if any("bearerAuth" in requirement for requirement in operation.get("security", [])):
        public = send(APIClient(), method, target) if method == "get" else None
        for authorization in AUTHORIZATION_VALUES:
            response = send(APIClient(), method, target, HTTP_AUTHORIZATION=authorization)
            what = f"{method.upper()} {target} with {authorization!r}"
            if public is None or target.startswith("/api/v1/auth/"):
                assert_problem(response, what)
            else:  # a read with credentials that name nobody is answered as the public is
                assert (response.status_code, response.content) == (
                    public.status_code,
                    public.content,
                ), what

    assert table_counts() == before
    assert comment_state() == comments_before


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    if TRIED["requests"]:
        NUMBERS["bad-input corpus"] = (
            f"{TRIED['requests']} requests over {len(OPERATIONS)} operations, every one a 4xx "
            "problem, no row changed"
        )


def test_every_operation_has_a_corpus():
    assert {f"{m.upper()} {p}" for p, m, _ in OPERATIONS} >= {
        "GET /api/v1/articles/",
        "POST /api/v1/articles/{slug}/comments/",
        "PATCH /api/v1/comments/{id}/",
        "GET /healthz",
    }
    for _, _, operation in OPERATIONS:
        assert query_corpus(operation)
