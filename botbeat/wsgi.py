"""The production entry point (gunicorn botbeat.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "botbeat.settings")

application = get_wsgi_application()
