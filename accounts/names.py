"""The rules on names: usernames and display names are shown as someone's identity, so nothing
in them may hide, reorder or fake the text around it.

Refused in both, wherever they are set (sign-up, the admin's user forms and profile inline):

- control characters (Unicode category Cc), as in all written text;
- format characters (Cf), every one: the bidirectional controls (U+202A-U+202E,
  U+2066-U+2069, U+200E, U+200F, U+061C), which reorder what follows them, and the zero-width
  and invisible ones (U+200B-U+200D, U+2060-U+2064, U+FEFF, U+180E, the soft hyphen U+00AD,
  the tag characters U+E0020-U+E007F), which make two names that look alike differ. The cost:
  a display name cannot carry a zero-width joiner, so emoji sequences joined by one (family,
  profession emoji) and Persian words written with a zero-width non-joiner are refused; comment
  bodies keep them (comments.services.body_clean);
- line and paragraph separators (Zl, Zp), private-use characters (Co, which show as a box or a
  vendor's logo) and surrogates (Cs);
- letters and marks that show as nothing: the Hangul fillers (U+115F, U+1160, U+3164,
  U+FFA0), the braille blank (U+2800), the combining grapheme joiner (U+034F) and the Khmer
  inherent vowels (U+17B4, U+17B5).

Unassigned code points (Cn) are not refused: which are unassigned depends on the Unicode
version of the Python that runs, and refusing them would refuse next year's emoji. Variation
selectors stay (U+FE0F makes a heart red). Usernames are further ASCII letters, digits and
@ . + - _, unique regardless of case: no look-alike letters from other scripts, no fullwidth
forms, nothing for NFKC to fold but case, which the unique index folds. Display names are not
unique and not normalised (NFKC would change legitimate text: ligatures, fullwidth forms);
the API serves the username beside each one, and clients should show it.
"""

import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

REFUSED_CATEGORIES = {
    "Cc": "control character",
    "Cf": "invisible or bidirectional control character",
    "Co": "private-use character",
    "Cs": "surrogate",
    "Zl": "line separator",
    "Zp": "paragraph separator",
}
INVISIBLE_LETTERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")


def refused_reason(char: str) -> str | None:
    """Why `char` may not be in a name, or None when it may."""
    if char in INVISIBLE_LETTERS:
        return "invisible character"
    return REFUSED_CATEGORIES.get(unicodedata.category(char))


def refuse_invisible_characters(value: str) -> None:
    """Raise a ValidationError naming the first character a name may not hold: code
    `control_characters` for a control character (as for all text), else
    `invisible_characters`."""
    for char in value:
        reason = refused_reason(char)
        if reason is None:
            continue
        code = "control_characters" if reason == "control character" else "invisible_characters"
        name = unicodedata.name(char, "")
        raise ValidationError(
            f"A name may not contain a {reason} (U+{ord(char):04X}{' ' + name if name else ''}).",
            code=code,
        )


SURROGATES = range(0xD800, 0xE000)


def _bmp_refused_class() -> str:
    """The refused characters of the Basic Multilingual Plane as a regex character class body,
    in \\uXXXX escapes that Python and ECMA-262 (OpenAPI's patterns) read alike. Surrogates
    are left out: an ECMA-262 pattern without the `u` flag sees every character beyond the
    plane (an emoji) as two of them, and would refuse it."""
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if code in SURROGATES or refused_reason(chr(code)) is None:
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        f"\\u{start:04x}" if start == end else f"\\u{start:04x}-\\u{end:04x}"
        for start, end in ranges
    )


class NameCharactersValidator(RegexValidator):
    """refuse_invisible_characters() as a validator. Its pattern is the schema's statement of
    the rule (drf-spectacular publishes a field's first RegexValidator): exact for the Basic
    Multilingual Plane but its surrogates (which JSON carries only as escapes, and DRF
    refuses); beyond the plane, which ECMA-262 patterns without the `u` flag cannot name, the
    few format and private-use characters are refused by the check itself."""

    def __init__(self, regex: str | None = None, **kwargs):
        super().__init__(
            regex=regex or rf"^[^{_bmp_refused_class()}]*\Z",
            message="A name may not contain invisible or control characters.",
            code="invisible_characters",
            **kwargs,
        )

    def __call__(self, value):
        refuse_invisible_characters(str(value))


class UsernameValidator(NameCharactersValidator):
    """A username: the characters above are refused first (with their own code), then
    anything but ASCII letters, digits and @ . + - _ (`invalid`). ASCII only: one spelling per
    name, and lower case means the same in Python, PostgreSQL and SQLite, so the
    case-insensitive unique index agrees with username_taken()."""

    def __init__(self):
        super().__init__(regex=r"^[A-Za-z0-9_.@+-]+\Z")
        self.message = USERNAME_MESSAGE
        self.code = "invalid"

    def __call__(self, value):
        refuse_invisible_characters(str(value))
        RegexValidator.__call__(self, value)


USERNAME_MESSAGE = "Use letters a-z, digits and @ . + - _ only."
username_validator = UsernameValidator()
display_name_validator = NameCharactersValidator()


def username_taken(username: str, *, exclude_pk=None) -> bool:
    """Whether another user has `username`, in any case (the unique index on LOWER(username),
    migration accounts 0001, is the last word: this only answers before it would refuse)."""
    users = get_user_model()._default_manager.filter(username__iexact=username)
    if exclude_pk is not None:
        users = users.exclude(pk=exclude_pk)
    return users.exists()
