"""The benchmark's instruments: the ceiling view (botbeat/bench.py) and wrk's output parser."""

import json

import pytest
from django.urls import NoReverseMatch, reverse

from botbeat.management.commands.benchmark import ceiling_routed, parse_wrk

# Database access is allowed only so that a cache or session layer in front of the view cannot
# fail the test for the wrong reason; the ceiling itself runs no query.
pytestmark = pytest.mark.django_db

CEILING = "/api/_bench/ceiling/"

# Captured from wrk 4.1.0 (Debian) against gunicorn, 2 workers, on the benchmark database.
WRK_CEILING = """\
Running 2s test @ http://127.0.0.1:18120/api/_bench/ceiling/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.54ms    7.83ms 107.42ms   97.30%
    Req/Sec     1.12k   208.70     1.53k    75.00%
  Latency Distribution
     50%    3.44ms
     75%    4.06ms
     90%    5.32ms
     99%   48.04ms
  2226 requests in 2.00s, 35.18MB read
Requests/sec:   1112.53
Transfer/sec:     17.58MB
"""
WRK_NOT_FOUND = """\
Running 1s test @ http://127.0.0.1:18121/api/v1/articles/nope/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    43.40ms   66.30ms 280.53ms   86.22%
    Req/Sec   249.00     90.43   290.00     87.50%
  Latency Distribution
     50%   15.12ms
     75%   16.93ms
     90%  160.62ms
     99%  272.11ms
  204 requests in 1.00s, 112.36KB read
  Non-2xx or 3xx responses: 204
Requests/sec:    203.89
Transfer/sec:    112.30KB
"""
# Timeouts and a latency in seconds: the percentiles, count, rate and socket errors of a real run
# (4 sync workers, wrk's default 2-second timeout); the thread statistics are filled in.
WRK_TIMEOUTS = """\
Running 5s test @ http://127.0.0.1:18114/api/v1/articles/
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   180.25ms  329.80ms   1.98s    91.77%
    Req/Sec    84.02     30.11   140.00     66.00%
  Latency Distribution
     50%   91.90ms
     75%  102.50ms
     90%  410.40ms
     99%    1.72s
  375 requests in 5.01s, 5.79MB read
  Socket errors: connect 0, read 0, write 0, timeout 14
Requests/sec:     74.86
Transfer/sec:      1.16MB
"""


@pytest.mark.parametrize("size", [16_179, 14, 3])
def test_ceiling_answers_exactly_the_configured_bytes(client, size):
    with ceiling_routed(size):
        response = client.get(CEILING)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert len(response.content) == size


def test_ceiling_body_is_json(client):
    with ceiling_routed(16_179):
        body = client.get(CEILING).content

    assert json.loads(body) == {"padding": "x" * (16_179 - len('{"padding":""}'))}


def test_ceiling_does_not_exist_without_the_setting(client, settings):
    assert settings.BENCHMARK_CEILING_BYTES is None

    response = client.get(CEILING)

    assert response.status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("bench-ceiling")


def test_ceiling_route_is_gone_after_the_benchmark_context(client):
    with ceiling_routed(100):
        assert client.get(CEILING).status_code == 200

    assert client.get(CEILING).status_code == 404


def test_ceiling_is_not_in_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    with ceiling_routed(100):
        assert reverse("bench-ceiling") == CEILING
        schema = SchemaGenerator().get_schema(request=None, public=True)

    assert [path for path in schema["paths"] if "bench" in path] == []


def test_parse_wrk_reads_rate_percentiles_and_count():
    result = parse_wrk(WRK_CEILING)

    assert result.requests_per_s == 1112.53
    assert result.p50_ms == 3.44
    assert result.p99_ms == 48.04
    assert result.requests == 2226
    assert result.errors == 0


def test_parse_wrk_counts_non_2xx_3xx_answers_as_errors():
    result = parse_wrk(WRK_NOT_FOUND)

    assert result.non_2xx_3xx == 204
    assert result.socket_errors == 0
    assert result.errors == 204


def test_parse_wrk_counts_socket_errors_and_reads_seconds():
    result = parse_wrk(WRK_TIMEOUTS.replace("1.72s\n", "1.72s \n"))  # wrk pads it so

    assert result.socket_errors == 14
    assert result.errors == 14
    assert result.p50_ms == 91.9
    assert result.p99_ms == pytest.approx(1720.0)


def test_parse_wrk_reads_microseconds():
    result = parse_wrk(WRK_CEILING.replace("    3.44ms", "  635.91us"))

    assert result.p50_ms == pytest.approx(0.63591)


def test_parse_wrk_refuses_other_output():
    with pytest.raises(ValueError, match="not wrk's output"):
        parse_wrk("Usage: wrk <options> <url>")


# The targets and the growth table (Command.targets, Command.growth)

FEED_PLAN_OK = (
    "Limit  (cost=0.42..6178.55 rows=21 width=380)\n"
    "  ->  Nested Loop\n"
    "        ->  Index Scan using article_feed on articles_article"
)
FEED_PLAN_SORTED = (
    "Limit  (cost=7641.63..13721.89 rows=21 width=388)\n"
    "  ->  Sort  (cost=7641.63..7645.51 rows=1554 width=380)\n"
    "        ->  Seq Scan on articles_article"
)


def size_result(size: int, rates: dict[str, float], *, p99: float = 10.0, errors: int = 0):
    from botbeat.management.commands.benchmark import Endpoint, Measure, SizeResult, WrkResult

    result = SizeResult(size=size, feed_plan=FEED_PLAN_OK)
    for name, rate in rates.items():
        measure = Measure(Endpoint(name, f"/{name}"))
        measure.runs.append(WrkResult(rate, 5.0, p99, int(rate), non_2xx_3xx=errors))
        result.measures.append(measure)
    feed = result.measure("feed")
    feed.sql = ['SELECT "id" FROM "articles_article" ORDER BY "published_at" DESC LIMIT 21']
    return result


def command():
    from botbeat.management.commands.benchmark import Command

    command = Command()
    command.options = {"connections": 16}
    return command


RATES = {
    "ceiling": 1000, "feed": 800, "feed deep cursor": 780, "feed ?tag": 700,
    "search ?q": 650, "detail": 900, "suggested": 700, "more-from-company": 650,
    "feed 304": 900,
}  # fmt: skip


def verdicts(checks) -> dict[str, bool]:
    return {label: met for label, _, met in checks}


def test_targets_met():
    results = [size_result(1000, RATES), size_result(100_000, RATES)]

    checks = verdicts(command().targets(results))

    assert checks and all(checks.values())
    assert checks["feed >= 0.50 x ceiling"]
    assert checks["the feed's plan: an index scan, no sort"]
    assert checks["1,000 to 100,000 articles: none >20% slower"]


def test_targets_missed_each_for_its_reason():
    slow = {**RATES, "feed deep cursor": 600, "detail": 500, "feed 304": 700}
    big = size_result(100_000, slow, p99=80.0, errors=3)
    big.feed_plan = FEED_PLAN_SORTED
    big.measure("feed").sql.append("SELECT COUNT(*) FROM articles_article")

    checks = verdicts(command().targets([size_result(1000, RATES), big]))

    missed = {label for label, met in checks.items() if not met}
    assert missed == {
        "detail >= 0.65 x ceiling",
        "deep cursor >= 0.90 x feed",
        "feed 304 >= 0.80 x ceiling",
        "1,000 to 100,000 articles: none >20% slower",
        "no errors (every size)",
        "p99 < 50 ms at 16 connections, search aside",
        "the feed runs no COUNT(*)",
        "the feed's plan: an index scan, no sort",
    }


def test_growth_is_taken_against_each_sizes_own_ceiling():
    # The whole machine 30% slower at the larger size: no endpoint grew in cost.
    slower = {name: rate * 0.7 for name, rate in RATES.items()}
    results = [size_result(1000, RATES), size_result(100_000, slower)]

    assert command().growth(results, "feed", results[1]) == pytest.approx(1.0)
