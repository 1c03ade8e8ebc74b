import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories import NewsroomFactory, UserFactory

# The suite sends thousands of requests from one address (the test client's 127.0.0.1) within
# minutes: the read limit (THROTTLE_READ) would refuse them. Its own tests set it back
# (tests/test_ratelimit_headers.py); the servers the suite starts get theirs from environment().
SUITE_READ_RATE = "1000000/minute"


@pytest.fixture(scope="session", autouse=True)
def _suite_read_rate(django_test_environment):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "read": SUITE_READ_RATE}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        yield


@pytest.fixture
def api():
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def staff_api(db):
    """An API client signed in as staff with both roles (Editor and Moderator): it sees drafts
    and withheld comments, and moderates."""
    client = APIClient()
    client.force_authenticate(NewsroomFactory())
    return client


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def user_api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def bearer_api(db):
    """`bearer_api(user)`: an API client signed in as `user` with a real bearer token."""
    from knox.models import AuthToken

    def make(user):
        _, token = AuthToken.objects.create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


@pytest.fixture
def empty_cache():
    """A clean cache, so that the throttles' counters of an earlier test do not carry over."""
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def fast_password_hasher(settings):
    """MD5 instead of PBKDF2: a test that creates many users stays fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browser(monkeypatch):
    """Headless Chromium (tests/browser.py), for tests marked with tests.browser.BROWSER_MARKS."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    # Playwright's sync API runs an event loop in this thread: Django's ORM, called from the
    # test, would refuse to run next to it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        # While the loop runs, Django keeps this thread's connections apart (asgiref's Local
        # acts as a context variable then): close the test's own, or the test database could
        # not be dropped at the end.
        connections.close_all()
        browser.close()


# The hardening tests' numbers (tests/hardening/conftest.py: NUMBERS), printed after the run;
# under pytest-xdist, gathered from each worker as it finishes.
@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    from tests.hardening.conftest import NUMBERS

    NUMBERS.update(getattr(node, "workeroutput", {}).get("hardening", {}))


def pytest_terminal_summary(terminalreporter):
    from tests.hardening.conftest import NUMBERS

    if NUMBERS:
        terminalreporter.section("hardening")
        for name, line in NUMBERS.items():
            terminalreporter.write_line(f"{name}: {line}")
