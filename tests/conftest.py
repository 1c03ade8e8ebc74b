import pytest
from rest_framework.test import APIClient

from tests.factories import StaffFactory, UserFactory


@pytest.fixture
def api():
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def staff_api(db):
    client = APIClient()
    client.force_authenticate(StaffFactory())
    return client


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def user_api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client
