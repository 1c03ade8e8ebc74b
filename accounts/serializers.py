import unicodedata

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from rest_framework import serializers

from accounts.models import DISPLAY_NAME_MAX_LENGTH, display_name_of

USERNAME_MIN_LENGTH = 3
USERNAME_MAX_LENGTH = 30
PASSWORD_MAX_LENGTH = 1024

# ASCII only: one spelling per name (no look-alike letters from other scripts), and lower case
# means the same in Python, PostgreSQL and SQLite, so the case-insensitive unique index agrees
# with the check below.
username_validator = RegexValidator(
    r"^[A-Za-z0-9_.@+-]+\Z",
    "Use letters a-z, digits and @ . + - _ only.",
    code="invalid",
)


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


class AccountSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    display_name = serializers.SerializerMethodField(
        help_text="The name shown with the reader's comments: the username when none was set."
    )
    is_staff = serializers.BooleanField(
        read_only=True, help_text="Staff moderate comments (hide and restore)."
    )
    date_joined = serializers.DateTimeField(read_only=True)

    def get_display_name(self, user) -> str:
        return display_name_of(user)


class RegisterSerializer(serializers.Serializer):
    username = StrictCharField(
        min_length=USERNAME_MIN_LENGTH,
        max_length=USERNAME_MAX_LENGTH,
        validators=[username_validator],
        help_text=(
            f"{USERNAME_MIN_LENGTH} to {USERNAME_MAX_LENGTH} characters: letters a-z, digits and "
            "@ . + - _. Unique regardless of case."
        ),
    )
    password = StrictCharField(
        write_only=True,
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
        help_text="Checked by the password validators: long enough, not common, not all digits, "
        "not like the username.",
    )
    display_name = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=DISPLAY_NAME_MAX_LENGTH,
        validators=[NO_CONTROL_CHARACTERS],
        help_text="Optional: the name shown with the reader's comments (default: the username).",
    )

    def validate_username(self, value: str) -> str:
        if get_user_model().objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError(
                "A user with that username already exists.", code="unique"
            )
        return value

    def validate_display_name(self, value: str) -> str:
        refuse_control_characters(value)
        if value and not is_visible_text(value):
            raise serializers.ValidationError("This field may not be blank.", code="blank")
        return value

    def validate(self, attrs):
        user = get_user_model()(username=attrs["username"])
        try:
            validate_password(attrs["password"], user=user)
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                {
                    "password": [
                        serializers.ErrorDetail(message, code=item.code or "invalid")
                        for item in error.error_list
                        for message in item.messages
                    ]
                }
            ) from None
        return attrs


class TokenRequestSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150, help_text="Any case: `Alice` signs in `alice`.")
    password = StrictCharField(
        write_only=True,
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        read_only=True, help_text="Send it as `Authorization: Bearer <token>`. Shown once."
    )
    expiry = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the token stops working."
    )
