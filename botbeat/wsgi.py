"""The production entry point: `gunicorn botbeat.wsgi` (README, "Deploying")."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "botbeat.settings")

application = get_wsgi_application()

from botbeat.security import check_production_settings  # noqa: E402  (settings must load first)

check_production_settings()
