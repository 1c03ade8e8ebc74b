from django.apps import AppConfig


class BotbeatConfig(AppConfig):
    name = "botbeat"

    def ready(self):
        # botbeat.schema registers its drf-spectacular extension when imported.
        from botbeat import schema, signals  # noqa: F401

        signals.connect()
