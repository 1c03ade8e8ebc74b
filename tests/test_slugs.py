"""One slug pattern (botbeat/slugs.py): Django's, in every route and every slug of the schema."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.urls import resolve
from django.urls.exceptions import Resolver404

from botbeat.errors import api_not_found
from botbeat.slugs import SLUG_PATTERN
from tests.test_schema import operations

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


SAMPLES = ["openai", "Open_AI-2", "-", "_x_", "", "a b", "café", "a/b", "a.b", "x\n", "ÿ", "١٢"]


def validates(slug: str) -> bool:
    try:
        validate_slug(slug)
    except ValidationError:
        return False
    return True


def test_the_pattern_is_the_one_django_validates_slugs_with():
    for sample in SAMPLES:
        assert bool(re.fullmatch(SLUG_PATTERN, sample)) == validates(sample), repr(sample)


SLUG_ROUTES = [
    "/api/v1/articles/{}/",
    "/api/v1/articles/{}/suggested/",
    "/api/v1/articles/{}/comments/",
    "/api/v1/companies/{}/",
    "/api/v1/tags/{}/",
]


@pytest.mark.parametrize("path", SLUG_ROUTES)
def test_every_slug_route_takes_exactly_the_slugs(path):
    for sample in SAMPLES:
        if not sample or "/" in sample or "\n" in sample:
            continue  # not one path segment
        try:
            # Every /api/ path resolves: the catch-all (the JSON 404) is no route of a slug.
            routed = resolve(path.format(sample)).func is not api_not_found
        except Resolver404:
            routed = False
        assert routed == validates(sample), (path, sample)


def test_every_slug_in_the_schema_has_the_pattern(schema):
    expected = f"^{SLUG_PATTERN}$"
    seen = 0
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["name"] in {"slug", "company", "tag"}:
                described = parameter["schema"].get("items", parameter["schema"])
                assert described.get("pattern") == expected, (method, path, parameter["name"])
                seen += 1
    for name, component in schema["components"]["schemas"].items():
        slug = component.get("properties", {}).get("slug")
        if slug is not None:
            assert slug.get("pattern") == expected, name
            seen += 1
    assert seen > 10
