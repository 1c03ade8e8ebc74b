from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from rest_framework import serializers

from accounts.models import DISPLAY_NAME_MAX_LENGTH, display_name_of
from botbeat.fields import StrictCharField, StrictSerializer
from botbeat.text import NO_CONTROL_CHARACTERS, is_visible_text, refuse_control_characters

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


class TokenRequestSerializer(StrictSerializer):
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
