"""The schema exactly as `manage.py spectacular --file schema/openapi.yaml` writes it.

Imported once Django is set up: drf-spectacular reads the settings as it is imported.
"""

from pathlib import Path

import yaml
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.settings import spectacular_settings

from schemacheck.compare import Document

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "schema" / "openapi.yaml"
INTENDED = ROOT / "schema" / "intended-breaks.txt"
UPDATE_COMMAND = "uv run python manage.py spectacular --file schema/openapi.yaml"

# libyaml's loader when PyYAML was built with it: a tenth of the pure-Python one's time here.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def render_schema() -> bytes:
    """The command's own steps, in-process: its generator, its call, its renderer (a second
    run of Django's start-up would double the check's time)."""
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    schema = generator.get_schema(request=None, public=True)
    return OpenApiYamlRenderer().render(schema, renderer_context={})


def parse(text: bytes) -> Document:
    """Both sides are compared as parsed YAML, so that they hold the same plain types."""
    document = yaml.load(text, Loader=_Loader)
    if not isinstance(document, dict):
        raise ValueError("an OpenAPI schema is a mapping")
    return document
