"""The strict serializer fields, for the API's request bodies and the import's lines alike.

DRF coerces by default: a CharField takes 12 as "12", an IntegerField "12" and 12.0, a
ListField any iterable, and a Serializer drops the keys it does not know. What a client (or an
import file) mistypes must be refused instead, as the schema, which names one JSON type per
field, already says. Strings must also be storable text: PostgreSQL refuses NUL and no database
stores a lone surrogate. The rules on which characters text may hold are botbeat/text.py's.
"""

from collections.abc import Mapping
from typing import Any

from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from botbeat.text import NO_NUL


def json_type(value: Any) -> str:
    """What a JSON reader calls this value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


class StrictTypeMixin:
    """Accept only the JSON type the field documents (`expected_type`), and only storable
    text."""

    expected_type: type = str

    def to_internal_value(self, data):
        if not isinstance(data, self.expected_type) or (
            isinstance(data, bool) and self.expected_type is not bool
        ):
            expected = json_type(self.expected_type())
            raise serializers.ValidationError(
                f"Expected {expected}, got {json_type(data)}.", code="invalid"
            )
        if isinstance(data, str):
            try:
                data.encode("utf-8")
            except UnicodeEncodeError:
                raise serializers.ValidationError(
                    "Not valid Unicode text (a lone surrogate).", code="invalid"
                ) from None
        return super().to_internal_value(data)


class StrictCharField(StrictTypeMixin, serializers.CharField):
    """A string, and only a string. Its refusal of NUL is in the schema too, as a pattern
    (drf-spectacular turns a field's first RegexValidator into its `pattern`), unless the
    field has a pattern of its own."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not any(isinstance(v, RegexValidator) for v in self.validators):
            self.validators = [
                NO_NUL if isinstance(v, ProhibitNullCharactersValidator) else v
                for v in self.validators
            ]


class StrictSlugField(StrictTypeMixin, serializers.SlugField):
    pass


class StrictURLField(StrictTypeMixin, serializers.URLField):
    pass


class StrictChoiceField(StrictTypeMixin, serializers.ChoiceField):
    pass


class StrictDateTimeField(StrictTypeMixin, serializers.DateTimeField):
    pass


class StrictListField(StrictTypeMixin, serializers.ListField):
    expected_type = list


class StrictIntegerField(StrictTypeMixin, serializers.IntegerField):
    """A JSON integer, and only that: DRF's IntegerField also takes "12" and 12.0."""

    expected_type = int


class StrictSerializer(serializers.Serializer):
    """An object whose keys are all known: a typo ("takeaway") must not drop data silently.

    Known means writable: a read-only field sent back (a comment's `status` from the answer,
    on a POST) is as unknown as a typo. Every request body's serializer is one of these, and
    the schema says so (`additionalProperties: false`, botbeat.schema); without fields, it is
    the body of an operation that takes none (`{}` or nothing).
    """

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            # Keyed, as DRF's own refusal: a serializer's errors are a dict even at the top.
            message = f"Expected an object, got {json_type(data)}."
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [message]}, code="invalid"
            )
        known = {field.field_name for field in self._writable_fields}
        unknown = {
            key: [serializers.ErrorDetail("Unknown field.", code="unknown_field")]
            for key in data
            if key not in known
        }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **unknown}) from None
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class OptionalURLField(serializers.Field):
    """A URL that may be unset, in an answer: null, never an empty string."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value or None
