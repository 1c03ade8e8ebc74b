"""Text that people write (usernames, display names, comments): the rules on its characters,
and a string field that takes only strings."""

import unicodedata

from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from rest_framework import serializers

# The rules on characters, as patterns, so that the schema states them (drf-spectacular turns
# a field's first RegexValidator into its `pattern`) with the codes the API has always used.
# DRF refuses NUL with a validator the schema cannot describe: NO_NUL says the same.
NO_NUL = RegexValidator(
    r"^[^\x00]*\Z", "Null characters are not allowed.", code="null_characters_not_allowed"
)
# Control characters (Unicode category Cc), newlines and tabs allowed: multi-line text.
NO_CONTROL_CHARACTERS_IN_TEXT = RegexValidator(
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*\Z",
    "Control characters are not allowed (newlines and tabs are).",
    code="control_characters",
)
# Control characters, none allowed: one line (a display name).
NO_CONTROL_CHARACTERS = RegexValidator(
    r"^[^\x00-\x1f\x7f-\x9f]*\Z", "Control characters are not allowed.", code="control_characters"
)


class StrictCharField(serializers.CharField):
    """A string, and only a string: DRF's CharField also takes numbers and turns them into text,
    which the schema (`type: string`) does not announce. Its refusal of NUL is in the schema
    too, as a pattern, unless the field has a pattern of its own."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not any(isinstance(v, RegexValidator) for v in self.validators):
            self.validators = [
                NO_NUL if isinstance(v, ProhibitNullCharactersValidator) else v
                for v in self.validators
            ]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def refuse_control_characters(value: str, allowed: str = "") -> None:
    """Control characters other than `allowed` (newlines in a comment) are refused: they show
    as nothing or break the layout of whoever displays the text. Format characters (Cf) stay:
    emoji sequences and right-to-left text need them."""
    for char in value:
        if char not in allowed and unicodedata.category(char) == "Cc":
            raise serializers.ValidationError(
                f"Control characters are not allowed (U+{ord(char):04X}).",
                code="control_characters",
            )


def is_visible_text(value: str) -> bool:
    """Whether `value` shows anything: not only spaces and invisible format characters."""
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in value)
