from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        # `signals` revokes an account's API tokens when its password changes.
        from accounts import signals  # noqa: F401
