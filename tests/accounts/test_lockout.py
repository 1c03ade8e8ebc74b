"""Password guessing is locked out (django-axes): 5 failed sign-ins within 15 minutes lock the
account, from whatever addresses they came; in the admin, 5 failures from one address also
lock that address, whatever accounts they named. While locked, even the right password is
refused, with 429 and `Retry-After`; once the failures are 15 minutes old it works again.
The attempts are rows in the test's database, so no test locks out another."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client

from tests.factories import StaffFactory, UserFactory

LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"
PASSWORD = "a-long-test-password"  # UserFactory's
LIMIT = 5
COOL_OFF = dt.timedelta(minutes=15)


def admin_login(username: str, password: str, address: str = "192.0.2.1", **extra):
    return Client().post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        **extra,
    )


def token_sign_in(username: str, password: str, address: str = "192.0.2.1"):
    return Client().post(
        TOKEN,
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def assert_admin_locked_out(response):
    assert response.status_code == 429, response.content[:300]
    assert 0 < int(response["Retry-After"]) <= COOL_OFF.total_seconds()
    assert response["Content-Type"].startswith("text/html")
    assert b"Too many failed sign-ins" in response.content
    assert "sessionid" not in response.cookies


def assert_signed_in_to_admin(response):
    assert response.status_code == 302, response.content[:300]
    assert response["Location"] == "/admin/"


def assert_token_locked_out(response):
    assert response.status_code == 429, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "locked_out"
    assert body["status"] == 429
    assert 0 < int(response["Retry-After"]) <= COOL_OFF.total_seconds()
    assert "token" not in body


def age_attempts(by: dt.timedelta) -> None:
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - by)


@pytest.fixture
def ada(db):
    return StaffFactory(username="ada")


@pytest.mark.django_db
def test_admin_guesses_at_one_account_from_many_addresses_lock_it(ada):
    answers = [admin_login("ada", f"guess-{n}", f"198.51.100.{n}") for n in range(LIMIT - 1)]
    assert [a.status_code for a in answers] == [200] * (LIMIT - 1)  # the form, again

    # The fifth failure locks the account: its own answer says so.
    assert_admin_locked_out(admin_login("ada", "guess-5", "198.51.100.50"))
    assert_admin_locked_out(admin_login("ada", "guess-6", "198.51.100.60"))
    # Even the right password, from an address that never failed, in any case.
    assert_admin_locked_out(admin_login("ada", PASSWORD, "203.0.113.7"))
    assert_admin_locked_out(admin_login("ADA", PASSWORD, "203.0.113.8"))
    # And the API's sign-in is the same account's door.
    assert_token_locked_out(token_sign_in("ada", PASSWORD, "203.0.113.9"))
    # Another account is not locked.
    StaffFactory(username="bob")
    assert_signed_in_to_admin(admin_login("bob", PASSWORD, "203.0.113.7"))


@pytest.mark.django_db
def test_admin_guesses_at_many_accounts_from_one_address_lock_the_address(ada):
    UserFactory(username="bob", is_staff=True)
    for n in range(LIMIT - 1):
        assert admin_login(f"someone{n}", "guess", "192.0.2.44").status_code == 200

    assert_admin_locked_out(admin_login("someone-else", "guess", "192.0.2.44"))
    # Any account from that address, with the right password.
    assert_admin_locked_out(admin_login("ada", PASSWORD, "192.0.2.44"))
    # From another address the same accounts sign in.
    assert_signed_in_to_admin(admin_login("ada", PASSWORD, "192.0.2.45"))
    assert_signed_in_to_admin(admin_login("bob", PASSWORD, "192.0.2.46"))


@pytest.mark.django_db
def test_refused_sign_ins_during_a_lockout_do_not_extend_it(ada):
    for n in range(LIMIT):
        admin_login("ada", f"guess-{n}", f"198.51.100.{n}")
    failures = list(AccessAttempt.objects.values_list("failures_since_start", "attempt_time"))

    for n in range(3):
        assert_admin_locked_out(admin_login("ada", f"more-{n}", f"198.51.100.{n}"))

    # Nothing recorded while locked: the lockout ends 15 minutes after the failures that made
    # it, and a flood of refused attempts writes nothing.
    assert list(AccessAttempt.objects.values_list("failures_since_start", "attempt_time")) == (
        failures
    )


@pytest.mark.django_db
def test_after_the_cool_off_the_right_password_works_again(ada):
    for n in range(LIMIT):
        admin_login("ada", f"guess-{n}", "198.51.100.1")
    assert_admin_locked_out(admin_login("ada", PASSWORD, "198.51.100.2"))

    age_attempts(COOL_OFF - dt.timedelta(seconds=30))
    still = admin_login("ada", PASSWORD, "198.51.100.2")
    assert_admin_locked_out(still)
    assert int(still["Retry-After"]) <= 30

    age_attempts(dt.timedelta(seconds=31))
    assert_signed_in_to_admin(admin_login("ada", PASSWORD, "198.51.100.2"))
    assert token_sign_in("ada", PASSWORD).status_code == 200


@pytest.mark.django_db
def test_token_guesses_lock_the_account_with_a_problem_document():
    UserFactory(username="ada")
    for n in range(LIMIT - 1):
        answer = token_sign_in("ada", f"guess-{n}", f"198.51.100.{n}")
        assert answer.status_code == 400
        assert answer.json()["code"] == "invalid_credentials"

    assert_token_locked_out(token_sign_in("ADA", "guess", "198.51.100.99"))
    assert_token_locked_out(token_sign_in("ada", PASSWORD, "203.0.113.1"))

    age_attempts(COOL_OFF)
    assert token_sign_in("ada", PASSWORD, "203.0.113.1").status_code == 200


@pytest.mark.django_db
def test_token_failures_from_one_address_do_not_lock_the_address(settings):
    """Readers share addresses (carrier NAT): the API's sign-in locks accounts only, and the
    address is held by the sign-in throttle (THROTTLE_TOKEN) instead."""
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "token": "1000/minute"},
    }
    UserFactory(username="ada")
    for n in range(LIMIT * 2):
        assert token_sign_in(f"reader{n}", "guess", "192.0.2.9").status_code == 400

    assert token_sign_in("ada", PASSWORD, "192.0.2.9").status_code == 200


@pytest.mark.django_db
def test_the_lockout_keys_on_the_address_the_throttles_use(ada, settings):
    """Behind NUM_PROXIES proxies, the client's address is the one the outermost proxy saw:
    the last of X-Forwarded-For's entries that those proxies appended, as DRF's throttles read
    it; an address a client prepends itself is ignored."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for n in range(LIMIT):
        admin_login(
            f"someone{n}", "guess", "10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.5"
        )

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    assert_admin_locked_out(
        admin_login("ada", PASSWORD, "10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    )
    assert_signed_in_to_admin(
        admin_login("ada", PASSWORD, "10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6")
    )


@pytest.mark.django_db
@pytest.mark.parametrize("forwarded", ["not-an-address", "", "203.0.113.5:443", "::1%eth0\x00"])
def test_a_forwarded_address_that_is_no_address_counts_as_the_peer(ada, settings, forwarded):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    answer = admin_login("ada", "guess", "10.0.0.7", HTTP_X_FORWARDED_FOR=forwarded)

    assert answer.status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.7"]
