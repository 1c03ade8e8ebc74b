from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        # `schema` registers the bearer token's OpenAPI security scheme with drf-spectacular;
        # `signals` revokes an account's API tokens when its password changes.
        from accounts import schema, signals  # noqa: F401
