"""Text that people write (usernames, display names, comments): the rules on its characters.
The fields that apply them are botbeat/fields.py's."""

import unicodedata

from django.core.validators import RegexValidator

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


def control_character_in(value: str, allowed: str = "") -> str | None:
    """The first control character of `value` other than `allowed` (newlines in a comment), if
    any, said for people ("Control characters are not allowed (U+0007)."): they show as nothing
    or break the layout of whoever displays the text. Format characters (Cf) stay: emoji
    sequences and right-to-left text need them."""
    for char in value:
        if char not in allowed and unicodedata.category(char) == "Cc":
            return f"Control characters are not allowed (U+{ord(char):04X})."
    return None


def is_visible_text(value: str) -> bool:
    """Whether `value` shows anything: not only spaces and invisible format characters."""
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in value)
