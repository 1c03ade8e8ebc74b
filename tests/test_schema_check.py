"""The schema check (schemacheck/): each kind of break is found, additions are not, a marked
break passes, and schema/openapi.yaml is the schema the code serves."""

import copy
import json

import pytest

from schemacheck import check
from schemacheck.check import report_breaks
from schemacheck.compare import Break, breaking_changes
from schemacheck.files import COMMITTED, UPDATE_COMMAND, parse
from schemacheck.generate import render_schema
from schemacheck.intended import read_intended

FEED = "/api/v1/articles/"
COMMENTS = "/api/v1/articles/{slug}/comments/"


def api() -> dict:
    """A small API in drf-spectacular's shapes: a feed, a detail, a write, components (one of
    them, Article, recursive: the walk must end)."""
    return {
        "openapi": "3.0.3",
        "paths": {
            FEED: {
                "get": {
                    "parameters": [
                        {
                            "in": "query",
                            "name": "category",
                            "schema": {"type": "string", "enum": ["research", "policy"]},
                        },
                        {
                            "in": "query",
                            "name": "page_size",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                        {
                            "in": "query",
                            "name": "published_after",
                            "schema": {
                                "oneOf": [
                                    {"type": "string", "format": "date"},
                                    {"type": "string", "format": "date-time"},
                                ]
                            },
                        },
                    ],
                    "responses": {
                        "200": {
                            "headers": {"ETag": {"schema": {"type": "string"}}},
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "results": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Article"},
                                            }
                                        },
                                        "required": ["results"],
                                    }
                                }
                            },
                        },
                        "400": {"content": problem()},
                    },
                }
            },
            "/api/v1/articles/{slug}/": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Article"}
                                }
                            }
                        },
                        "404": {"content": problem()},
                    }
                }
            },
            COMMENTS: {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/CommentRequest"}
                            }
                        },
                    },
                    "responses": {"201": {}, "400": {"content": problem()}},
                }
            },
        },
        "components": {
            "schemas": {
                "Article": {
                    "type": "object",
                    "properties": {
                        "slug": {"type": "string"},
                        "published_at": {"type": "string", "format": "date-time"},
                        "company": {
                            "allOf": [{"$ref": "#/components/schemas/CompanyRef"}],
                            "readOnly": True,
                        },
                        "status": {"$ref": "#/components/schemas/StatusEnum"},
                        "related": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Article"},
                        },
                    },
                    "required": ["slug", "published_at", "company", "status"],
                },
                "CompanyRef": {
                    "type": "object",
                    "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
                    "required": ["slug", "name"],
                },
                "StatusEnum": {"type": "string", "enum": ["draft", "published"]},
                "CommentRequest": {
                    "type": "object",
                    "properties": {
                        "body": {"type": "string", "maxLength": 5000},
                        "parent": {"type": "integer", "nullable": True},
                    },
                    "required": ["body"],
                    "additionalProperties": False,
                },
                "Problem": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "detail": {"type": "string"}},
                    "required": ["code", "detail"],
                },
            }
        },
    }


def problem() -> dict:
    return {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def changed(edit) -> list[str]:
    """The breaks, as the checker prints them, of `api()` edited by `edit(schema)`."""
    new = copy.deepcopy(api())
    edit(new)
    return [str(found) for found in breaking_changes(api(), new)]


def feed_parameters(schema: dict) -> list[dict]:
    return schema["paths"][FEED]["get"]["parameters"]


def components(schema: dict) -> dict:
    return schema["components"]["schemas"]


def test_identical_schemas_have_no_break():
    assert breaking_changes(api(), api()) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            lambda s: s["paths"].pop(COMMENTS),
            [f"POST {COMMENTS}: operation removed"],
            id="path removed",
        ),
        pytest.param(
            lambda s: s["paths"][COMMENTS].update(put=s["paths"][COMMENTS].pop("post")),
            [f"POST {COMMENTS}: operation removed"],
            id="operation removed",
        ),
        pytest.param(
            lambda s: feed_parameters(s).pop(0),
            [f"GET {FEED} parameter query category: parameter removed"],
            id="parameter removed",
        ),
        pytest.param(
            lambda s: feed_parameters(s)[1].update(required=True),
            [f"GET {FEED} parameter query page_size: now required"],
            id="parameter made required",
        ),
        pytest.param(
            lambda s: feed_parameters(s).append({"in": "query", "name": "q", "required": True}),
            [f"GET {FEED} parameter query q: now required"],
            id="new required parameter",
        ),
        pytest.param(
            lambda s: feed_parameters(s)[0]["schema"]["enum"].remove("policy"),
            [f"GET {FEED} parameter query category: enum value 'policy' removed"],
            id="request enum narrowed",
        ),
        pytest.param(
            lambda s: feed_parameters(s)[1]["schema"].update(maximum=50),
            [f"GET {FEED} parameter query page_size: maximum tightened from 100 to 50"],
            id="parameter range narrowed",
        ),
        pytest.param(
            lambda s: feed_parameters(s)[1]["schema"].update(type="string"),
            [f"GET {FEED} parameter query page_size: type changed from integer to string"],
            id="parameter type changed",
        ),
        pytest.param(
            lambda s: feed_parameters(s)[2]["schema"]["oneOf"].pop(),
            [f"GET {FEED} parameter query published_after: oneOf alternative #1 removed"],
            id="request alternative removed",
        ),
        pytest.param(
            lambda s: feed_parameters(s)[2].update(schema={"type": "string", "format": "date"}),
            [f"GET {FEED} parameter query published_after: oneOf removed"],
            id="request choice made one schema",
        ),
        pytest.param(
            lambda s: components(s)["CommentRequest"]["properties"]["body"].update(pattern="^.+$"),
            ["request schema CommentRequest.body: pattern imposed"],
            id="request pattern imposed",
        ),
        pytest.param(
            lambda s: s["paths"][FEED]["get"]["responses"].pop("400"),
            [f"GET {FEED} response 400: status removed"],
            id="response status removed",
        ),
        pytest.param(
            lambda s: s["paths"][FEED]["get"]["responses"]["200"]["headers"].clear(),
            [f"GET {FEED} response 200 header ETag: header removed"],
            id="response header removed",
        ),
        pytest.param(
            lambda s: s["paths"][FEED]["get"]["responses"]["400"].update(
                content={"application/json": {}}
            ),
            [f"GET {FEED} response 400 application/problem+json: media type removed"],
            id="response media type removed",
        ),
        pytest.param(
            lambda s: components(s)["CompanyRef"]["properties"].pop("name"),
            ["response schema CompanyRef.name: property removed"],
            id="response property removed, through allOf and $ref, reported once",
        ),
        pytest.param(
            lambda s: components(s)["Article"]["required"].remove("slug"),
            ["response schema Article.slug: no longer required: may be absent"],
            id="response property no longer required",
        ),
        pytest.param(
            lambda s: components(s)["Article"]["properties"]["slug"].update(type="integer"),
            ["response schema Article.slug: type changed from string to integer"],
            id="property type changed",
        ),
        pytest.param(
            lambda s: components(s)["Article"]["properties"]["published_at"].update(format="date"),
            ["response schema Article.published_at: format changed from date-time to date"],
            id="property format changed",
        ),
        pytest.param(
            lambda s: components(s)["Article"]["properties"]["company"].update(nullable=True),
            ["response schema Article.company: now nullable"],
            id="response property made nullable",
        ),
        pytest.param(
            lambda s: components(s)["StatusEnum"]["enum"].remove("draft"),
            ["response schema StatusEnum: enum value 'draft' removed"],
            id="response enum value removed",
        ),
        pytest.param(
            lambda s: components(s)["CommentRequest"]["properties"]["parent"].pop("nullable"),
            ["request schema CommentRequest.parent: no longer nullable"],
            id="request property no longer nullable",
        ),
        pytest.param(
            lambda s: components(s)["CommentRequest"]["required"].append("parent"),
            ["request schema CommentRequest.parent: now required"],
            id="request property newly required",
        ),
        pytest.param(
            lambda s: components(s)["CommentRequest"]["properties"].pop("parent"),
            ["request schema CommentRequest.parent: property removed"],
            id="request property removed (bodies are strict: a 400 for who sends it)",
        ),
        pytest.param(
            lambda s: components(s)["CommentRequest"]["properties"]["body"].update(maxLength=500),
            ["request schema CommentRequest.body: maxLength tightened from 5000 to 500"],
            id="request length narrowed",
        ),
        pytest.param(
            lambda s: s["paths"][COMMENTS]["post"].pop("requestBody"),
            [f"POST {COMMENTS} request: body removed"],
            id="request body removed",
        ),
    ],
)
def test_each_kind_of_break_is_found(edit, expected):
    assert changed(edit) == expected


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda s: s["paths"].update({"/api/v1/tags/": {"get": {}}}), id="path"),
        pytest.param(lambda s: s["paths"][COMMENTS].update(get={}), id="operation"),
        pytest.param(
            lambda s: feed_parameters(s).append({"in": "query", "name": "q"}),
            id="optional parameter",
        ),
        pytest.param(
            lambda s: s["paths"][FEED]["get"]["responses"].update({"429": {}}), id="status"
        ),
        pytest.param(
            lambda s: components(s)["Article"]["properties"].update(title={"type": "string"}),
            id="response property",
        ),
        pytest.param(
            lambda s: components(s)["CommentRequest"]["properties"].update(note={"type": "string"}),
            id="optional request property",
        ),
        pytest.param(lambda s: components(s)["StatusEnum"]["enum"].append("archived"), id="enum"),
        pytest.param(
            lambda s: feed_parameters(s)[1]["schema"].update(maximum=200), id="wider range"
        ),
        pytest.param(
            lambda s: components(s)["CommentRequest"]["properties"]["body"].update(nullable=True),
            id="request property made nullable",
        ),
        pytest.param(
            lambda s: components(s)["CommentRequest"]["required"].clear(),
            id="request property no longer required",
        ),
    ],
)
def test_an_addition_is_no_break(edit):
    assert changed(edit) == []


def test_a_request_that_stops_taking_other_properties_breaks():
    old = api()
    components(old)["CommentRequest"].pop("additionalProperties")

    assert [str(found) for found in breaking_changes(old, api())] == [
        "request schema CommentRequest: no longer accepts other properties"
    ]


def test_the_members_of_an_allof_are_compared_as_one_schema():
    def split(schema):
        article = components(schema)["Article"]
        components(schema)["Article"] = {
            "allOf": [
                {"type": "object", "properties": {"slug": article["properties"]["slug"]}},
                {"$ref": "#/components/schemas/CompanyRef"},
            ],
            "required": ["slug"],
        }

    assert changed(split) == [
        "response schema Article.published_at: property removed",
        "response schema Article.company: property removed",
        "response schema Article.status: property removed",
        "response schema Article.related: property removed",
    ]


def test_a_renamed_component_is_compared_by_content():
    def rename(schema):
        components(schema)["Company"] = components(schema).pop("CompanyRef")
        company = components(schema)["Article"]["properties"]["company"]
        company["allOf"] = [{"$ref": "#/components/schemas/Company"}]
        components(schema)["Company"]["properties"].pop("slug")

    assert changed(rename) == ["response schema Company.slug: property removed"]


def test_a_marked_break_passes_and_an_unmarked_one_fails(tmp_path, capsys):
    removed = Break(f"GET {FEED} response 400", "status removed")
    retyped = Break("response schema Article.slug", "type changed from string to integer")
    intended = tmp_path / "intended-breaks.txt"
    intended.write_text(
        "# a comment\n\n"
        f"GET {FEED} response 400: status removed -- validation errors answer 422 since v2\n"
    )

    marked = read_intended(intended)

    assert report_breaks([removed], marked, "base") is False
    assert report_breaks([removed, retyped], marked, "base") is True
    printed = capsys.readouterr().out
    assert f"  intended  {removed}" in printed
    assert f"  BREAKING  {retyped}" in printed


def test_an_intended_break_needs_its_reason(tmp_path):
    intended = tmp_path / "intended-breaks.txt"
    intended.write_text(f"GET {FEED} response 400: status removed\n")

    with pytest.raises(ValueError, match=r"intended-breaks\.txt:1: no reason"):
        read_intended(intended)


def test_committed_schema_is_the_one_the_code_serves():
    assert COMMITTED.read_bytes() == render_schema(), (
        f"schema/openapi.yaml is stale; update it in the same commit: {UPDATE_COMMAND}"
    )


def test_the_check_fails_on_a_stale_copy_and_says_how_to_update_it(tmp_path, monkeypatch, capsys):
    # Given a committed copy from before an operation was removed (JSON is YAML too)
    before = parse(COMMITTED.read_bytes())
    before["paths"]["/api/v1/legacy/"] = {"get": {"responses": {"200": {}}}}
    committed = tmp_path / "openapi.yaml"
    committed.write_text(json.dumps(before))
    monkeypatch.setattr(check, "COMMITTED", committed)

    # When the check runs, Then it fails, names the break and the command that updates the copy
    assert check.main([]) == 1
    printed = capsys.readouterr().out
    assert "  BREAKING  GET /api/v1/legacy/: operation removed" in printed
    assert UPDATE_COMMAND in printed
