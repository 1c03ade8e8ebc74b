from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import DISPLAY_NAME_MAX_LENGTH, display_name_of
from accounts.names import display_name_validator, username_taken, username_validator
from botbeat.fields import StrictCharField, StrictSerializer

USERNAME_MIN_LENGTH = 3
USERNAME_MAX_LENGTH = 30
PASSWORD_MAX_LENGTH = 1024
# What the schema says of the characters of a name (accounts/names.py has the rule).
NAME_CHARACTERS_NOTE = (
    "No control, invisible or bidirectional control characters (Unicode categories Cc, Cf, "
    "Zl, Zp, Co; code `invisible_characters`)."
)


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


class RegisterSerializer(StrictSerializer):
    username = StrictCharField(
        min_length=USERNAME_MIN_LENGTH,
        max_length=USERNAME_MAX_LENGTH,
        validators=[username_validator],
        help_text=(
            f"{USERNAME_MIN_LENGTH} to {USERNAME_MAX_LENGTH} characters: letters a-z, digits and "
            "@ . + - _ (`invalid`; an invisible or bidirectional control character: "
            "`invisible_characters`). Unique regardless of case."
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
        validators=[display_name_validator],
        help_text="Optional: the name shown with the reader's comments (default: the username). "
        "Any script and emoji; " + NAME_CHARACTERS_NOTE[0].lower() + NAME_CHARACTERS_NOTE[1:],
    )

    def validate_username(self, value: str) -> str:
        if username_taken(value):
            raise serializers.ValidationError(
                "A user with that username already exists.", code="unique"
            )
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


class TokenRequestSerializer(StrictSerializer):
    username = StrictCharField(max_length=150, help_text="Any case: `Alice` signs in `alice`.")
    password = StrictCharField(
        write_only=True,
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
    )


class SessionSerializer(serializers.Serializer):
    """Who the session cookie signs in, and the CSRF token its writes need: the answer of
    `GET` and `POST /api/v1/auth/session/`."""

    user = AccountSerializer(
        read_only=True,
        allow_null=True,
        help_text="The reader the session signs in, as `GET /api/v1/auth/me/` shows them; null "
        "when nobody is signed in with the session (a bearer token is no session).",
    )
    csrf_token = serializers.CharField(
        read_only=True,
        help_text="Send it as `X-CSRFToken` with every write that the session cookie signs "
        "(sign-in and sign-out included). It matches the `csrftoken` cookie this answer sets, "
        "which a page on another origin cannot read; a different string at each request, each "
        "one valid until the cookie changes, which signing in does.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        read_only=True, help_text="Send it as `Authorization: Bearer <token>`. Shown once."
    )
    expiry = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the token stops working."
    )
