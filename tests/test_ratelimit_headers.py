"""The read limit and the RateLimit headers on every API answer (botbeat.middleware.
RateLimitMiddleware, botbeat.throttles.read_limit): hits of the response cache, 304s and errors
included, each client with its own count, never another's from the cache."""

import hashlib
import logging

import pytest
from django.test import Client
from knox.models import AuthToken

from tests.factories import ArticleFactory, UserFactory
from tests.ratelimit import members, parameters
from tests.response_caches import response_cache_on

pytestmark = pytest.mark.django_db

FEED = "/api/v1/articles/"


def set_rates(settings, **rates: str) -> None:
    """The suite runs with an unreachable read limit (tests/conftest.py): these tests set it."""
    current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**current, **rates},
    }


@pytest.fixture
def read_limit(settings, empty_cache):
    """A read limit of 600/minute, the default, from a clean count."""
    set_rates(settings, read="600/minute")
    return settings


def read_member(response, header: str = "RateLimit") -> dict[str, int]:
    return parameters(members(response[header])["read"])


def client_from(address: str, **extra) -> Client:
    return Client(REMOTE_ADDR=address, **extra)


def test_every_kind_of_api_answer_carries_the_read_limit(read_limit, settings):
    article = ArticleFactory()
    client = Client(raise_request_exception=False)
    _, token = AuthToken.objects.create(user=UserFactory())
    ok = client.get(FEED)
    answers = {
        200: ok,
        304: client.get(FEED, headers={"if-none-match": ok["ETag"]}),
        301: client.get("/api/v1/articles"),
        400: client.get(FEED, {"page_size": "0"}),
        401: client.post(
            f"/api/v1/articles/{article.slug}/comments/",
            {"body": "Hello."},
            content_type="application/json",
            headers={"authorization": "Bearer " + "0" * 64},
        ),
        404: client.get("/api/v1/nope/"),
        405: client.put(FEED),
        406: client.get(FEED, headers={"accept": "text/html"}),
        413: client.post(
            "/api/v1/auth/token/",
            b"{}",
            content_type="application/json",
            headers={"content-length": str(settings.API_MAX_BODY_BYTES + 1)},
        ),
        201: client.post(
            f"/api/v1/articles/{article.slug}/comments/",
            {"body": "Hello."},
            content_type="application/json",
            headers={"authorization": f"Bearer {token}"},
        ),
    }

    assert {status: a.status_code for status, a in answers.items()} == {s: s for s in answers}
    left = []
    for status, answer in answers.items():
        assert read_member(answer, "RateLimit-Policy") == {"q": 600, "w": 60}, status
        left.append(read_member(answer)["r"])
        assert 0 < read_member(answer)["t"] <= 60, status
    # One count each, in order.
    assert left == list(range(599, 599 - len(answers), -1))


def test_past_the_limit_every_request_is_refused_with_when_to_come_back(settings, empty_cache):
    set_rates(settings, read="3/minute")
    client = Client()

    answers = [client.get("/api/v1/") for _ in range(3)]
    refused = client.get(FEED)

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [read_member(a)["r"] for a in answers] == [2, 1, 0]
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "throttled"
    assert refused["Cache-Control"] == "private, no-store"
    assert refused["RateLimit-Policy"] == '"read";q=3;w=60'
    assert read_member(refused)["r"] == 0
    assert int(refused["Retry-After"]) == read_member(refused)["t"]
    assert 0 < int(refused["Retry-After"]) <= 60


def test_a_refused_write_is_refused_before_its_view(settings, empty_cache, bearer_api):
    set_rates(settings, read="1/minute")
    article = ArticleFactory()
    client = bearer_api(UserFactory())
    client.get("/api/v1/")

    refused = client.post(
        f"/api/v1/articles/{article.slug}/comments/", {"body": "Refused."}, format="json"
    )

    assert refused.status_code == 429
    assert "comment_post" not in refused["RateLimit-Policy"]  # its throttle never ran
    assert article.comments.count() == 0


def test_each_client_address_has_its_own_count(read_limit):
    first, second = client_from("203.0.113.7"), client_from("2001:db8::7")

    answers = [first.get("/api/v1/"), first.get("/api/v1/"), second.get("/api/v1/")]

    assert [read_member(a)["r"] for a in answers] == [599, 598, 599]


def test_behind_a_proxy_the_address_it_saw_counts(read_limit):
    read_limit.REST_FRAMEWORK = {**read_limit.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.2"

    one = client_from(proxy, HTTP_X_FORWARDED_FOR="198.51.100.1").get("/api/v1/")
    other = client_from(proxy, HTTP_X_FORWARDED_FOR="198.51.100.2").get("/api/v1/")
    forged = client_from(proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1").get("/api/v1/")

    assert [read_member(a)["r"] for a in (one, other, forged)] == [599, 599, 598]


def test_a_request_without_a_client_address_is_not_counted(settings, empty_cache):
    """One bucket for every such request would be the whole site's read limit."""
    set_rates(settings, read="1/minute")

    answers = [client_from("").get("/api/v1/") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert {a["RateLimit-Policy"] for a in answers} == {'"read";q=1;w=60'}
    assert not any("RateLimit" in a for a in answers)


def test_an_answer_with_a_limit_of_its_own_lists_both_read_first(read_limit, bearer_api):
    set_rates(read_limit, comment_post="10/minute")
    article = ArticleFactory()

    posted = bearer_api(UserFactory()).post(
        f"/api/v1/articles/{article.slug}/comments/", {"body": "Two limits."}, format="json"
    )

    assert posted.status_code == 201
    assert posted["RateLimit-Policy"] == '"read";q=600;w=60, "comment_post";q=10;w=60'
    assert list(members(posted["RateLimit"])) == ["read", "comment_post"]
    assert parameters(members(posted["RateLimit"])["comment_post"])["r"] == 9


def test_outside_the_api_nothing_is_counted(read_limit):
    for path in ("/healthz", "/readyz", "/admin/"):
        response = Client().get(path)
        assert "RateLimit" not in response and "RateLimit-Policy" not in response, path

    assert read_member(Client().get("/api/v1/"))["r"] == 599


def test_an_unreachable_count_lets_requests_through_with_the_policy_alone(
    read_limit, monkeypatch, caplog
):
    from botbeat import throttles

    class Down:
        def count(self, *args):
            raise ConnectionError("no route to the cache")

    monkeypatch.setattr(throttles, "request_window", Down)

    with caplog.at_level(logging.WARNING, logger="botbeat.throttles"):
        response = Client().get("/api/v1/")

    assert response.status_code == 200
    assert response["RateLimit-Policy"] == '"read";q=600;w=60'
    assert "RateLimit" not in response
    assert "the cache cannot be reached" in caplog.text


@pytest.fixture(params=["locmem", "redis"])
def response_cache(request, read_limit):
    """The response cache on, on the local memory cache and on the Redis here."""
    settings = read_limit
    with response_cache_on(settings, request.param, "botbeat-test-ratelimit"):
        yield request.param


@pytest.mark.django_db(transaction=True)
def test_hits_of_the_response_cache_are_counted_each_with_its_own_count(
    response_cache, django_assert_num_queries
):
    import botbeat.cache

    ArticleFactory()
    first, second = client_from("203.0.113.1"), client_from("203.0.113.2")
    computed = [first.get(FEED), first.get(FEED)]

    with django_assert_num_queries(0):  # a hit: nothing below the response cache ran
        hit = second.get(FEED)
        revalidated = second.get(FEED, headers={"if-none-match": hit["ETag"]})

    assert hit.content == computed[0].content
    assert [read_member(a)["r"] for a in computed] == [599, 598]
    assert [read_member(a)["r"] for a in (hit, revalidated)] == [599, 598]
    assert revalidated.status_code == 304
    # What the cache stores is no client's count.
    name = "response:" + hashlib.sha256(f"http://testserver{FEED}".encode()).hexdigest()
    entry = botbeat.cache.store().read([name])[0]
    assert entry is not None
    assert not {"RateLimit", "RateLimit-Policy"} & set(entry[2])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("response_cache", ["redis"], indirect=True)
def test_on_redis_a_hit_costs_the_lookup_and_one_count(response_cache, monkeypatch):
    """Two round trips: the response cache's MGET and the count's EVALSHA (WINDOW_SCRIPT)."""
    import redis

    ArticleFactory()
    client = Client()
    client.get(FEED)
    commands = []
    real = redis.Redis.execute_command

    def recording(self, *args, **options):
        commands.append(args[0])
        return real(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", recording)

    assert client.get(FEED).status_code == 200
    assert commands == ["EVALSHA", "MGET"]


def test_the_schema_documents_the_headers_and_429_on_every_api_operation():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if not path.startswith("/api/"):  # the probes are not counted
                assert "429" not in responses, path
                continue
            assert "Retry-After" in responses["429"]["headers"], (method, path)
            for status, response in responses.items():
                assert {"RateLimit-Policy", "RateLimit"} <= set(response["headers"]), (
                    method,
                    path,
                    status,
                )
