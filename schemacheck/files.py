"""Where the check's files are, and how a schema is read from them (no Django needed)."""

from pathlib import Path

import yaml

from schemacheck.compare import Document

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "schema" / "openapi.yaml"
INTENDED = ROOT / "schema" / "intended-breaks.txt"
UPDATE_COMMAND = "uv run python manage.py spectacular --file schema/openapi.yaml"

# libyaml's loader when PyYAML was built with it: a tenth of the pure-Python one's time here.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: bytes) -> Document:
    """Both sides are compared as parsed YAML, so that they hold the same plain types."""
    document = yaml.load(text, Loader=_Loader)
    if not isinstance(document, dict):
        raise ValueError("an OpenAPI schema is a mapping")
    return document
