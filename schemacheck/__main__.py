"""`uv run python -m schemacheck [--base REV]`: see schemacheck/__init__.py."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "botbeat.settings")
django.setup()

from schemacheck.check import main  # noqa: E402 (drf-spectacular reads the settings on import)

sys.exit(main())
