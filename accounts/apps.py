from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        # Registers the bearer token's OpenAPI security scheme with drf-spectacular.
        from accounts import schema  # noqa: F401
