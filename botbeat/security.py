"""Refuse to serve production traffic with unsafe settings.

The development entry points (manage.py runserver, the tests) run with the built-in insecure
key; the production entry points (wsgi.py and asgi.py, which gunicorn loads) call
`check_production_settings()` first and refuse to start.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MIN_SECRET_KEY_LENGTH = 50
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1", "testserver"}


def production_problems() -> list[str]:
    problems = []
    key = settings.SECRET_KEY
    if key == settings.INSECURE_DEV_SECRET_KEY or key.startswith("django-insecure"):
        problems.append("SECRET_KEY is not set: set it to a long random string.")
    elif len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5:
        problems.append(
            f"SECRET_KEY is too weak: use at least {MIN_SECRET_KEY_LENGTH} random characters."
        )
    public_hosts = set(settings.ALLOWED_HOSTS) - LOCAL_HOSTS
    if settings.DEBUG and public_hosts:
        problems.append(
            "DEBUG is on with public ALLOWED_HOSTS "
            f"({', '.join(sorted(public_hosts))}): turn DEBUG off in production."
        )
    return problems


def check_production_settings() -> None:
    problems = production_problems()
    if problems:
        raise ImproperlyConfigured("Refusing to start: " + " ".join(problems))
