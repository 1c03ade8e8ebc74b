"""The limits' headers, and a limit whose cache is away."""

import pytest

from tests.factories import UserFactory
from tests.ratelimit import members

TOKEN = "/api/v1/auth/token/"


def set_rate(settings, scope: str, rate: str) -> None:
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, scope: rate},
    }


def sign_in(api):
    return api.post(TOKEN, {"username": "ada", "password": "a-long-test-password"}, format="json")


@pytest.mark.django_db
def test_every_counted_answer_says_the_limit_and_what_is_left(api, settings):
    set_rate(settings, "token", "3/minute")
    UserFactory(username="ada")

    answers = [sign_in(api) for _ in range(4)]
    malformed = api.post(TOKEN, "{", content_type="application/json")

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    # The read limit's first (every request counts against it), then the operation's own.
    policies = [members(a["RateLimit-Policy"]) for a in answers]
    assert {tuple(p) for p in policies} == {("read", "token")}
    assert {p["token"] for p in policies} == {'"token";q=3;w=60'}
    left = [members(a["RateLimit"])["token"].split(";t=")[0] for a in answers]
    assert left == ['"token";r=2', '"token";r=1', '"token";r=0', '"token";r=0']
    refused = answers[-1]
    assert refused["Retry-After"] == members(refused["RateLimit"])["token"].split(";t=")[1]
    assert 0 < int(refused["Retry-After"]) <= 60
    # Refused before the view ran, but counted: the limit's headers are there too.
    assert malformed.status_code == 429 and "token" in members(malformed["RateLimit"])


@pytest.mark.django_db
def test_an_unreachable_cache_lets_requests_through(api, settings, monkeypatch, caplog):
    """As the rest of the site does without its cache: a Redis outage is no sign-in outage."""
    from botbeat import throttles

    class Down:
        def record(self, *args):
            raise ConnectionError("no route to the cache")

    monkeypatch.setattr(throttles, "request_log", Down)
    set_rate(settings, "token", "1/minute")
    UserFactory(username="ada")

    assert [sign_in(api).status_code for _ in range(3)] == [200, 200, 200]
    assert "the cache cannot be reached" in caplog.text
