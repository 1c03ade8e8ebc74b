from django.apps import AppConfig


class BotbeatConfig(AppConfig):
    name = "botbeat"
