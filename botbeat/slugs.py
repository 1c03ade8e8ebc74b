"""The one slug pattern: Django's, the one `SlugField` validates and a `<slug:...>` route
matches. The routers' lookups and the schema's slug parameters are built from it."""

from django.urls.converters import SlugConverter

SLUG_PATTERN = SlugConverter.regex  # [-a-zA-Z0-9_]+
# A slug parameter in the schema, at most as long as the longest slug (an article's).
SLUG_SCHEMA = {"type": "string", "pattern": f"^{SLUG_PATTERN}$", "maxLength": 200}
