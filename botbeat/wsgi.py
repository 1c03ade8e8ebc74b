"""The production entry point: `gunicorn botbeat.wsgi` (README, "Deploying")."""

import os
import sys
from pathlib import Path

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "botbeat.settings")

application = get_wsgi_application()

# manage.py's development server (runserver, demo) loads this module too; it runs with the
# development key. Every other server that loads it is production and must be configured.
if Path(sys.argv[0]).name != "manage.py":
    from botbeat.security import check_production_settings

    check_production_settings()
