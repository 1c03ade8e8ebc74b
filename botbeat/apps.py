from django.apps import AppConfig


class BotbeatConfig(AppConfig):
    name = "botbeat"

    def ready(self):
        from botbeat import signals

        signals.connect()
