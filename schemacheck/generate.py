"""The schema exactly as `manage.py spectacular --file schema/openapi.yaml` writes it.

Imported once Django is set up: drf-spectacular reads the settings as it is imported.
"""

from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.settings import spectacular_settings


def render_schema() -> bytes:
    """The command's own steps, in-process: its generator, its call, its renderer (a second
    run of Django's start-up would double the check's time)."""
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    schema = generator.get_schema(request=None, public=True)
    return OpenApiYamlRenderer().render(schema, renderer_context={})
