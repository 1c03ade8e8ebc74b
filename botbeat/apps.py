from django.apps import AppConfig


class BotbeatConfig(AppConfig):
    name = "botbeat"

    def ready(self):
        # botbeat.schema and botbeat.auth_schema (the bearer token's security scheme) register
        # their drf-spectacular extensions when imported.
        from botbeat import auth_schema, schema, signals  # noqa: F401

        signals.connect()
