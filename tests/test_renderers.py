"""botbeat.renderers writes exactly what DRF writes: the same bytes, the same timestamps."""

import datetime as dt
import zoneinfo
from collections import OrderedDict

import pytest
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from botbeat.renderers import FastJSONRenderer, iso_datetime

# Every character up to U+3000 (controls, the separators U+2028 and U+2029, accents, CJK
# punctuation) and some beyond the BMP.
EVERY_CHARACTER = "".join(map(chr, range(0xD800))) + "\U0001f600\U0010ffff"
STRINGS = st.text(alphabet=st.characters(exclude_categories=["Cs"]))  # no lone surrogates
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | STRINGS,
    lambda children: st.lists(children) | st.dictionaries(STRINGS, children),
)


def drf(data, media_type=None) -> bytes:
    return JSONRenderer().render(data, media_type)


def fast(data, media_type=None) -> bytes:
    return FastJSONRenderer().render(data, media_type)


@given(JSON)
def test_any_document_is_rendered_as_drf_renders_it(data):
    assert fast(data) == drf(data)


@pytest.mark.parametrize(
    "data",
    [
        EVERY_CHARACTER,
        {"text": EVERY_CHARACTER, "nested": [{"a": None, "b": True, "c": [1, -1, 0]}]},
        OrderedDict([("next", None), ("previous", "http://x/?cursor=abc"), ("results", [])]),
        {"big": 2**64, "small": -(2**63) - 1},  # beyond orjson: DRF's renderer
        {"detail": ErrorDetail("Not found.", code="not_found"), "lazy": gettext_lazy("Hi")},
        {"at": dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC), "day": dt.date(2026, 3, 1)},
        ("a", "tuple"),
        None,
        [],
        {},
    ],
)
def test_documents_are_rendered_as_drf_renders_them(data):
    assert fast(data) == drf(data)


def test_an_indented_answer_is_drf_s():
    data = {"a": [1, {"b": "\u2028"}]}
    assert fast(data, "application/json; indent=2") == drf(data, "application/json; indent=2")


@given(st.datetimes(timezones=st.just(dt.UTC) | st.timezones()))
def test_timestamps_are_written_as_drf_writes_them(value):
    assert iso_datetime(value) == serializers.DateTimeField().to_representation(value)


def test_utc_timestamps_end_in_z():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    assert iso_datetime(dt.datetime(2026, 3, 1, 13, 0, 0, 5, tzinfo=paris)) == (
        "2026-03-01T12:00:00.000005Z"
    )
