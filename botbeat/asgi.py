"""The ASGI entry point, for an ASGI server; refuses unsafe settings like wsgi.py."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "botbeat.settings")

application = get_asgi_application()

from botbeat.security import check_production_settings  # noqa: E402  (settings must load first)

check_production_settings()
