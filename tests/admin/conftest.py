import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from tests.factories import StaffFactory

roles_migration = importlib.import_module("articles.migrations.0002_roles")


@pytest.fixture(autouse=True)
def _isolated(empty_cache, fast_password_hasher):
    """Every test here starts with an empty cache and a fast password hasher."""


@pytest.fixture
def roles(db):
    """The Editors and Moderators groups as the migration makes them. Made again here: a
    transactional test (live_server) empties every table when it ends, migrations' data too."""
    roles_migration.roles_sync(apps, None)
    return {name: Group.objects.get(name=name) for name in roles_migration.ROLES}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser(db):
    return StaffFactory(username="chief", is_superuser=True)


@pytest.fixture
def editor(roles):
    user = StaffFactory(username="eddie")
    user.groups.add(roles["Editors"])
    return user


@pytest.fixture
def moderator(roles):
    user = StaffFactory(username="molly")
    user.groups.add(roles["Moderators"])
    return user


@pytest.fixture
def chief(superuser):
    """A client signed in as a superuser."""
    return client_for(superuser)


@pytest.fixture
def editor_client(editor):
    return client_for(editor)


@pytest.fixture
def moderator_client(moderator):
    return client_for(moderator)


def list_queries(n: int, *, unfiltered: bool = False) -> int:
    """`n` queries of a list page on SQLite; PostgreSQL adds one for an unfiltered list (the
    table's row estimate, which EstimatedCountPaginator reads before counting)."""
    return n + (1 if unfiltered and connection.vendor == "postgresql" else 0)
