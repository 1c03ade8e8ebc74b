"""One strict rule for every integer, date and repeatable parameter (API.md, "Parameters are
strict").

Integers are ASCII digits, no sign, no separator, no whitespace, no leading zero; dates are
ISO 8601 calendar dates (`YYYY-MM-DD`) or date-times with an offset. Each parameter is found in
the schema by its type, so that a new integer or date parameter is held to the same rule
without anyone listing it here; each bad spelling is a 400 problem naming the parameter.
"""

from urllib.parse import quote

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.factories import (
    ArticleFactory,
    CompanyFactory,
    StaffFactory,
    TagFactory,
    ThreadedCommentFactory,
)

pytestmark = pytest.mark.django_db

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


def is_date(schema: dict) -> bool:
    return any(s.get("format") in {"date", "date-time"} for s in schema.get("oneOf", [schema]))


def client_for(path: str) -> APIClient:
    """Anonymous for what the public may read; a superuser for what takes a signed-in caller
    (the reader's own lists, the Moderators' queue), so that the parameters are reached."""
    security = SCHEMA["paths"][path]["get"].get("security", [])
    client = APIClient()
    if security and {} not in security:
        client.force_authenticate(StaffFactory(username="strict-superuser", is_superuser=True))
    return client


QUERY_PARAMETERS = [
    (path, method, parameter)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method == "get"
    for parameter in operation.get("parameters", [])
    if parameter["in"] == "query"
]
PARAMETERS = [(path, method, p["name"], p["schema"]) for path, method, p in QUERY_PARAMETERS]
INTEGER_PARAMETERS = [p for p in PARAMETERS if p[3].get("type") == "integer"]
DATE_PARAMETERS = [p for p in PARAMETERS if is_date(p[3])]
# The repeatable parameters (`tag`, `tag_any`, `exclude_tag`): slugs of what the caller may see.
# The comma-separated lists (`fields`, `expand`: explode false) are tests/articles/test_fields.py's,
# the change feed's `type` (an enum, not slugs) tests/changes/test_feed.py's.
REPEATABLE_PARAMETERS = [
    (path, method, p["name"], p["schema"])
    for path, method, p in QUERY_PARAMETERS
    if p["schema"].get("type") == "array"
    and p.get("explode", True)
    and "enum" not in p["schema"]["items"]
]

# Each is a spelling of a number some parser takes (Python's int(), a locale's, C's strtol)
# and the contract does not. Sent percent-encoded: `%205` is " 5".
BAD_INTEGERS = [
    "+5",
    " 5",
    "5 ",
    "\t5",
    "5\n",
    "-0",
    "5_0",
    "1_00",
    "1,000",
    "1.000",
    "05",
    "007",
    "00",
    "5.0",
    "5e0",
    "0x5",
    "0b1",
    "\u0665",  # ARABIC-INDIC DIGIT FIVE
    "\u06f5",  # EXTENDED ARABIC-INDIC DIGIT FIVE
    "\u096b",  # DEVANAGARI DIGIT FIVE
    "\uff15",  # FULLWIDTH DIGIT FIVE
    "²",  # SUPERSCRIPT TWO: isdigit(), not a decimal
    "1" + "0" * 30,  # digits, too many to be in any range: no 30-digit int() for it
]
BAD_DATES = [
    "20260101",  # basic format
    "2026-W01-1",  # week date
    "2026W011",
    "2026-W01",
    "2026-001",  # ordinal date
    "2026001",
    "2026-01",  # reduced precision
    "2026",
    "+2026-01-01",  # expanded year
    "2026-1-1",
    " 2026-01-01",
    "2026-01-01 ",
    "2026-01-01T00",
    "2026-01-01T00:00",  # no seconds
    "2026-01-01T00:00:00",  # no offset: which day is meant depends on where the client is
    "2026-01-01 00:00:00Z",  # a space for the T
    "2026-01-01t00:00:00z",
    "2026-01-01T000000Z",
    "2026-01-01T00:00:00+0000",  # basic offset in an extended date-time
    "2026-01-01T00:00:00+00",
    "2026-01-01T00:00:00,5Z",
    "2026-01-01T00:00:00.1234567Z",  # finer than a microsecond: it would be cut silently
    "2026-01-01T00:00:00.Z",
    "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661",  # Arabic-Indic digits
    "\uff12\uff10\uff12\uff16-\uff10\uff11-\uff10\uff11",  # fullwidth digits
]
GOOD_DATES = [
    "2026-01-01",
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00+00:00",
    "2026-06-18T12:30:00.5+05:30",
    "2026-06-18T12:30:00.123456-08:00",
]


@pytest.fixture
def world(db, fast_password_hasher):
    article = ArticleFactory(company=CompanyFactory(), tags=[TagFactory()])
    ArticleFactory(company=article.company)  # more from the company
    ArticleFactory()  # suggested
    ThreadedCommentFactory(article=article)
    return article


def url(path: str, article, name: str, value: str) -> str:
    return f"{path.replace('{slug}', article.slug)}?{name}={quote(value, safe='')}"


def assert_names(response, name: str, what: str) -> None:
    assert response.status_code == 400, f"{what}: {response.status_code} {response.content!r}"
    assert response["Content-Type"] == "application/problem+json", what
    assert [e["field"] for e in response.json()["errors"]] == [name], what


def test_the_rule_covers_every_integer_and_date_parameter():
    # The parameters the contract names, each found by its type in the schema.
    assert {name for _, _, name, _ in INTEGER_PARAMETERS} >= {
        "page_size",
        "page",
        "limit",
        "more_limit",
        "suggested_limit",
        "comments_page_size",
    }
    assert {name for _, _, name, _ in DATE_PARAMETERS} >= {"published_after", "published_before"}
    assert {path for path, *_ in INTEGER_PARAMETERS} >= {
        "/api/v1/articles/",
        "/api/v1/articles/{slug}/comments/",
        "/api/v1/articles/{slug}/more-from-company/",
        "/api/v1/articles/{slug}/suggested/",
        "/api/v1/articles/{slug}/page/",
        "/api/v1/companies/",
        "/api/v1/tags/",
    }


@pytest.mark.parametrize("value", BAD_INTEGERS)
@pytest.mark.parametrize(
    ("path", "method", "name", "schema"),
    INTEGER_PARAMETERS,
    ids=[f"{path} {name}" for path, _, name, _ in INTEGER_PARAMETERS],
)
def test_a_badly_spelt_integer_is_a_400_naming_it(world, path, method, name, schema, value):
    target = url(path, world, name, value)

    assert_names(client_for(path).get(target), name, target)


@pytest.mark.parametrize(
    ("path", "method", "name", "schema"),
    INTEGER_PARAMETERS,
    ids=[f"{path} {name}" for path, _, name, _ in INTEGER_PARAMETERS],
)
def test_an_integer_in_its_documented_range_is_taken(world, path, method, name, schema):
    for value in {schema["minimum"], schema.get("default", 1), schema["maximum"]}:
        target = url(path, world, name, str(value))
        response = client_for(path).get(target)
        if name == "page" and value > 1:  # a page past the last: taken, and not found
            assert response.json()["code"] == "page_not_found", target
        else:
            assert response.status_code == 200, target
    for value in (schema["minimum"] - 1, schema["maximum"] + 1):
        assert_names(client_for(path).get(url(path, world, name, str(value))), name, str(value))


@pytest.mark.parametrize("value", BAD_DATES)
@pytest.mark.parametrize(
    ("path", "method", "name", "schema"),
    DATE_PARAMETERS,
    ids=[f"{path} {name}" for path, _, name, _ in DATE_PARAMETERS],
)
def test_a_date_not_in_iso_8601_calendar_form_is_a_400_naming_it(
    world, path, method, name, schema, value
):
    target = url(path, world, name, value)

    assert_names(client_for(path).get(target), name, target)


@pytest.mark.parametrize("value", GOOD_DATES)
@pytest.mark.parametrize(
    ("path", "method", "name", "schema"),
    DATE_PARAMETERS,
    ids=[f"{path} {name}" for path, _, name, _ in DATE_PARAMETERS],
)
def test_a_calendar_date_or_a_date_time_with_an_offset_is_taken(
    world, path, method, name, schema, value
):
    target = url(path, world, name, value)

    assert client_for(path).get(target).status_code == 200, target


# Repeatable parameters: each value a slug of something the caller may see, at most maxItems.


def test_the_rule_covers_every_repeatable_parameter():
    assert {(path, name) for path, _, name, _ in REPEATABLE_PARAMETERS} == {
        ("/api/v1/articles/", "tag"),
        ("/api/v1/articles/", "tag_any"),
        ("/api/v1/articles/", "exclude_tag"),
    }


REPEATABLE_IDS = [f"{path} {name}" for path, _, name, _ in REPEATABLE_PARAMETERS]


def query(path: str, article, name: str, values: list[str]) -> str:
    return (
        path.replace("{slug}", article.slug)
        + "?"
        + "&".join(f"{name}={quote(value, safe='')}" for value in values)
    )


@pytest.mark.parametrize(
    ("path", "method", "name", "schema"), REPEATABLE_PARAMETERS, ids=REPEATABLE_IDS
)
def test_a_repeatable_parameter_takes_a_value_once_or_repeated(world, path, method, name, schema):
    slug = world.tags.get().slug
    for values in ([slug], [slug, slug], [slug] * schema["maxItems"]):
        target = query(path, world, name, values)
        assert client_for(path).get(target).status_code == 200, target


@pytest.mark.parametrize(
    ("values", "code"),
    [
        (["{tag}"] * 11, "max_items"),  # one more than maxItems (10)
        (["{tag}", "no-such-tag"], "invalid_choice"),
        (["zz-draft-only"], "invalid_choice"),  # a tag of a draft only: unknown to the public
        (["{tag}", ""], "blank"),
        ([" "], "blank"),
        (["{tag}\x00"], "null_characters"),
        (["a" * 500], "invalid_choice"),
    ],
    ids=["too many", "unknown", "draft only", "empty", "blank", "NUL", "long"],
)
@pytest.mark.parametrize(
    ("path", "method", "name", "schema"), REPEATABLE_PARAMETERS, ids=REPEATABLE_IDS
)
def test_a_bad_repeatable_value_is_a_400_naming_the_parameter(
    world, path, method, name, schema, values, code
):
    ArticleFactory(tags=[TagFactory(slug="zz-draft-only")], status="draft")
    assert schema["maxItems"] == 10
    slug = world.tags.get().slug
    values = [value.replace("{tag}", slug) for value in values]
    target = query(path, world, name, values)

    response = client_for(path).get(target)

    assert_names(response, name, target)
    assert [e["code"] for e in response.json()["errors"]] == [code], target
    if code == "invalid_choice":
        assert values[-1][:20] in response.json()["errors"][0]["message"]  # the value, named


PATH_INTEGERS = [
    (path, parameter["name"])
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method == "get"
    for parameter in operation.get("parameters", [])
    if parameter["in"] == "path" and parameter["schema"].get("type") == "integer"
]


@pytest.mark.parametrize("spelling", ["0{}", "00{}", "+{}", "{}_0", "{}.0", " {}", "\u0665"])
@pytest.mark.parametrize(("path", "name"), PATH_INTEGERS)
def test_an_id_in_the_path_has_one_spelling(world, path, name, spelling):
    # Another spelling of an id is another address, which no resource has: a 404, as for an
    # unknown id, not the same resource under a second address (caches would keep both).
    comment = world.comments.first()
    assert APIClient().get(path.replace("{" + name + "}", str(comment.pk))).status_code == 200
    target = path.replace("{" + name + "}", quote(spelling.format(comment.pk), safe=""))

    response = APIClient().get(target)

    assert response.status_code == 404, f"{target}: {response.status_code}"
    assert response["Content-Type"] == "application/problem+json"


def test_every_id_in_a_path_is_tested():
    assert PATH_INTEGERS == [("/api/v1/comments/{id}/", "id")]
