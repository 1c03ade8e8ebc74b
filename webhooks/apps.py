from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "webhooks"

    def ready(self) -> None:
        from webhooks import receivers  # noqa: F401  (connects to changes_recorded)
