"""The benchmark's pieces (bench/): the ceiling and its URLconf, wrk's output and Lua scripts,
the mix's Zipf weights, the phases, the writers, the targets, the report and its chart."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import NoReverseMatch, reverse

from bench import report, scenarios, writers
from bench.load import WrkResult, cumulative, mix_script, parse_wrk, rotating_script
from bench.report import (
    Measure,
    PhaseResult,
    Priming,
    ServerResult,
    SizeResult,
    UrlCost,
    Writes,
)
from bench.runner import readers_needed
from bench.scenarios import Endpoint, Group, MixUrl, Phase
from bench.server import KINDS, Server, parse_servers

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


# The ceiling: routed by bench.urls only


@pytest.fixture
def bench_urls(settings):
    settings.ROOT_URLCONF = "bench.urls"
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize("size", [16_179, 14, 3])
def test_ceiling_answers_exactly_the_configured_bytes(client, bench_urls, size):
    bench_urls.BENCHMARK_CEILING_BYTES = size

    response = client.get(CEILING)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert len(response.content) == size


@pytest.mark.django_db
def test_ceiling_body_is_json_through_the_middleware_stack(client, bench_urls):
    bench_urls.BENCHMARK_CEILING_BYTES = 16_179

    response = client.get(CEILING)

    assert json.loads(response.content) == {"padding": "x" * (16_179 - len('{"padding":""}'))}
    # The production middleware ran: its security headers are on the answer.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response


@pytest.mark.django_db
def test_production_urlconf_has_no_benchmark_route(client, settings):
    assert settings.ROOT_URLCONF == "botbeat.urls"
    assert not hasattr(settings, "BENCHMARK_CEILING_BYTES")

    assert client.get(CEILING).status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("bench-ceiling")


def test_bench_settings_are_the_production_settings_with_the_ceiling_routed():
    import bench.settings
    import botbeat.settings

    assert bench.settings.ROOT_URLCONF == "bench.urls"
    assert bench.settings.MIDDLEWARE == botbeat.settings.MIDDLEWARE
    assert bench.settings.REST_FRAMEWORK == botbeat.settings.REST_FRAMEWORK


def test_ceiling_is_not_in_the_schema(bench_urls):
    from drf_spectacular.generators import SchemaGenerator

    assert reverse("bench-ceiling") == CEILING
    schema = SchemaGenerator(urlconf="bench.urls").get_schema(request=None, public=True)

    assert [path for path in schema["paths"] if "bench" in path] == []
    assert "/api/v1/articles/" in schema["paths"]


# wrk's output and scripts


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


def test_cumulative_weights_end_at_one():
    assert cumulative([1, 1, 2]) == [0.25, 0.5, 1.0]
    with pytest.raises(ValueError):
        cumulative([0, 0])


def test_mix_script_lists_each_path_with_its_cumulative_weight():
    script = mix_script(["/a/", "/b/?q=x+y"], [3, 1], seed=7)

    assert '"/a/",\n"/b/?q=x+y"' in script
    assert "0.75,\n1\n" in script
    assert "math.randomseed(7 + (thread_number or 0))" in script


def test_mix_script_refuses_paths_lua_would_read_otherwise():
    with pytest.raises(ValueError, match="plain ASCII"):
        mix_script(["/api/v1/tags/caf\u00e9/"], [1])
    with pytest.raises(ValueError, match="one weight per path"):
        mix_script(["/a/"], [1, 2])


def test_rotating_script_cycles_through_the_paths():
    assert 'local paths = {"/a/", "/b/"}' in rotating_script(["/a/", "/b/"])


# The mix: Zipf weights, groups, the phases


def test_zipf_weights_sum_to_one_and_fall_by_rank():
    weights = scenarios.zipf_weights(1000, 1.0)

    assert sum(weights) == pytest.approx(1.0)
    assert weights == sorted(weights, reverse=True)
    assert weights[0] / weights[1] == pytest.approx(2.0)
    assert weights[0] / weights[9] == pytest.approx(10.0)


def test_zipf_weights_with_exponent_zero_are_uniform():
    assert scenarios.zipf_weights(4, 0) == [0.25] * 4
    assert scenarios.zipf_weights(0) == []


def test_build_mix_gives_each_group_its_share_spread_by_rank():
    groups = [Group("feed", 3, ["/f/1", "/f/2"]), Group("detail", 1, ["/d/1", "/d/2", "/d/3"])]

    mix = scenarios.build_mix(groups, s=1.0)

    assert [url.path for url in mix] == ["/f/1", "/f/2", "/d/1", "/d/2", "/d/3"]
    assert sum(url.weight for url in mix) == pytest.approx(1.0)
    by_path = {url.path: url.weight for url in mix}
    assert by_path["/f/1"] + by_path["/f/2"] == pytest.approx(0.75)
    assert by_path["/f/1"] == pytest.approx(2 * by_path["/f/2"])
    assert by_path["/d/1"] == pytest.approx(3 * by_path["/d/3"])


def test_build_mix_keeps_a_path_once_and_drops_empty_groups():
    groups = [
        Group("feed", 1, ["/f/", "/f/"]),
        Group("empty", 5, []),
        Group("again", 1, ["/f/", "/g/"]),
    ]

    mix = scenarios.build_mix(groups)

    assert [(url.path, url.group) for url in mix] == [("/f/", "feed"), ("/g/", "again")]
    assert [url.weight for url in mix] == [0.5, 0.5]


def test_trim_cuts_only_the_long_groups():
    groups = [Group("small", 1, ["a", "b"]), Group("long", 1, [str(i) for i in range(100)])]

    trimmed = scenarios.trim(groups, 12)

    assert [len(g.paths) for g in trimmed] == [2, 10]
    assert trimmed[1].paths[:2] == ["0", "1"]  # the most popular kept
    assert scenarios.trim(groups, 500) == groups


def test_composition_counts_urls_and_shares():
    mix = [MixUrl("/a", 0.5, "feed"), MixUrl("/b", 0.2, "feed"), MixUrl("/c", 0.3, "detail")]

    assert scenarios.composition(mix) == [("feed", 2, 0.7, 0.5), ("detail", 1, 0.3, 0.3)]


def test_interleave_merges_ranks():
    assert scenarios.interleave(["a1", "a2", "a3"], ["b1"]) == ["a1", "b1", "a2", "a3"]


def test_parse_phases_reads_kinds_and_rates():
    phases = scenarios.parse_phases(scenarios.DEFAULT_PHASES)

    assert phases == [
        Phase("reads"),
        Phase("posts", 2),
        Phase("posts", 20),
        Phase("signins", 1),
    ]
    assert [p.label for p in phases] == [
        "0 writes",
        "2 comment posts/s",
        "20 comment posts/s",
        "1 sign-in/s",
    ]
    assert [p.key for p in phases] == ["reads", "posts:2", "posts:20", "signins:1"]
    assert scenarios.parse_phases(" posts:0.5 , ") == [Phase("posts", 0.5)]
    assert scenarios.parse_phases("none") == []


@pytest.mark.parametrize(
    "raw", ["", "writes:2", "posts", "posts:x", "posts:0", "reads:3", "posts:inf"]
)
def test_parse_phases_refuses_what_it_cannot_run(raw):
    with pytest.raises(ValueError):
        scenarios.parse_phases(raw)


def test_readers_needed_keeps_each_reader_within_the_throttle():
    # 20 posts/s at 10 a minute each: 120 readers at least, 150 with the margin.
    assert readers_needed(20, "10/minute") == 150
    assert readers_needed(2, "10/minute") == 15
    assert readers_needed(2, "1000/second") == 1
    assert readers_needed(0, "10/minute") == 1


def test_parse_servers_knows_the_four_servers():
    assert parse_servers("all") == ["sync", "gthread", "granian", "uvicorn"]
    assert parse_servers("granian, sync,granian") == ["granian", "sync"]
    with pytest.raises(ValueError, match="unknown server"):
        parse_servers("waitress")


def test_server_commands_serve_botbeats_entry_points(tmp_path):
    commands = {
        name: Server(
            name, port=8123, workers=4, threads=8, env={}, cwd=tmp_path, log=tmp_path
        ).display_command
        for name in KINDS
    }

    assert commands["sync"].startswith("gunicorn botbeat.wsgi --bind 127.0.0.1:8123 --workers 4")
    assert "--worker-class gthread --threads 8" in commands["gthread"]
    assert "--interface wsgi" in commands["granian"]
    assert commands["granian"].endswith("botbeat.wsgi:application")
    assert commands["uvicorn"].startswith("uvicorn botbeat.asgi:application")


# The writers, against a tiny local server


class FakeApi(BaseHTTPRequestHandler):
    """201 with an id for a comment post, 200 with a token for a sign-in; 429 for a token
    named "throttled"."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("Authorization") == "Bearer throttled":
            status, answer = 429, {"status": 429}
        elif self.path.endswith("/comments/"):
            status, answer = 201, {"id": 1000 + len(body["body"])}
        else:
            status, answer = 200, {"token": body["username"] * 2}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_writers_post_at_a_steady_rate_and_record_each_answer(fake_api):
    import time

    jobs = [{"path": "/c/comments/", "token": "t", "body": "x" * i} for i in range(1, 20)]
    jobs[2]["token"] = "throttled"
    config = {
        "port": fake_api, "kind": "posts", "rate": 20, "start_at": time.time() + 0.05,
        "duration": 0.5, "threads": 4, "jobs": jobs,
    }  # fmt: skip

    records = writers.run(config)["records"]

    assert [r["i"] for r in records] == list(range(10))  # 20/s for half a second
    assert [r["status"] for r in records].count("429") == 1
    assert [r.get("id") for r in records][:4] == [1001, 1002, None, 1004]
    assert all(r["late_ms"] < 200 for r in records)


def test_writers_sign_in_and_record_the_tokens(fake_api):
    import time

    config = {
        "port": fake_api, "kind": "signins", "rate": 10, "start_at": time.time(),
        "duration": 0.25, "threads": 2, "jobs": [{"username": "ab", "password": "pw"}] * 5,
    }  # fmt: skip

    records = writers.run(config)["records"]

    assert [(r["status"], r["token"]) for r in records] == [("200", "abab")] * 3


def test_writers_record_a_refused_connection():
    # Port 1 (tcpmux): nothing listens there.
    config = {
        "port": 1, "kind": "signins", "rate": 100, "start_at": 0, "duration": 0.001,
        "threads": 1, "jobs": [{"username": "a", "password": "b"}],
    }  # fmt: skip

    [record] = writers.run(config)["records"]

    assert record["status"] == "ConnectionRefusedError"
    assert "token" not in record


# The targets, the growth table and the report

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
RATES = {
    "ceiling": 1000, "feed": 800, "feed deep cursor": 780, "feed ?tag": 700,
    "search ?q": 650, "detail": 900, "suggested": 700, "more-from-company": 650,
    "feed 304": 900,
}  # fmt: skip
COMPUTED = {"feed": 2.0, "detail": 2.5, "suggested": 5.0, "feed ?tag": 2.9}
PHASES = {"reads": 850, "posts:2": 600, "posts:20": 450, "signins:1": 550}


def size_result(
    size: int,
    rates: dict[str, float],
    *,
    p99: float = 10.0,
    errors: int = 0,
    computed: dict[str, float] = COMPUTED,
    phases: dict[str, float] = PHASES,
    lost: int = 0,
):
    result = SizeResult(size=size, feed_plan=FEED_PLAN_OK)
    for name, rate in rates.items():
        measure = Measure(Endpoint(name, f"/{name}"), miss_ms=computed.get(name))
        measure.runs.append(WrkResult(rate, 5.0, p99, int(rate), non_2xx_3xx=errors))
        result.measures.append(measure)
    result.measure("feed").sql = [
        'SELECT "id" FROM "articles_article" ORDER BY "published_at" DESC LIMIT 21'
    ]
    for key, rate in phases.items():
        phase = scenarios.parse_phases(key)[0]
        outcome = PhaseResult(
            phase, run=WrkResult(rate, 6.0, p99, int(rate) * 10), priming=Priming(2.0, 2, 2)
        )
        if phase.kind != "reads":
            outcome.writes = Writes(20, 20, lost, {"201": 20}, 30.0, 60.0)
        result.phases.append(outcome)
    result.mix = [
        MixUrl("/api/v1/articles/", 0.6, "feed"),
        MixUrl("/api/v1/tags/", 0.4, "tag list"),
    ]
    result.costs = [
        UrlCost("/api/v1/articles/", "feed", 2.0, 200, 16000, 2),
        UrlCost("/api/v1/tags/", "tag list", 4.0, 200, 3000, 2),
    ]
    return result


def verdicts(checks) -> dict[str, bool]:
    return {label: met for label, _, met in checks}


def test_targets_met():
    results = [size_result(1000, RATES), size_result(100_000, RATES)]

    checks = verdicts(report.targets(results, 16))

    assert checks and all(checks.values()), [k for k, v in checks.items() if not v]
    assert checks["mix, 0 writes: >= 0.80 x ceiling"]
    assert checks["mix, 20 comment posts/s: >= 0.40 x ceiling"]
    assert checks["0 acknowledged writes lost"]
    assert checks["suggested computed <= 6 ms"]
    assert checks["the mix's most expensive request computed < 50 ms"]
    assert checks["feed >= 0.50 x ceiling"]
    assert checks["the feed's plan: an index scan, no sort"]
    assert checks["1,000 to 100,000 articles: none >20% slower"]


def test_targets_missed_each_for_its_reason():
    slow = {**RATES, "feed deep cursor": 600, "detail": 500, "feed 304": 700}
    big = size_result(
        100_000,
        slow,
        p99=80.0,
        errors=3,
        computed={**COMPUTED, "feed": 3.5, "suggested": 9.0},
        phases={**PHASES, "reads": 700, "posts:20": 300},
        lost=1,
    )
    big.feed_plan = FEED_PLAN_SORTED
    big.measure("feed").sql.append("SELECT COUNT(*) FROM articles_article")
    big.costs.append(UrlCost("/api/v1/articles/?q=model", "search ?q", 400.0, 200, 16000, 2))

    checks = verdicts(report.targets([size_result(1000, RATES), big], 16))

    missed = {label for label, met in checks.items() if not met}
    assert missed == {
        "mix, 0 writes: >= 0.80 x ceiling",
        "mix, 20 comment posts/s: >= 0.40 x ceiling",
        "mix p99 < 50 ms in every phase",
        "0 acknowledged writes lost",
        "feed computed <= 3 ms",
        "suggested computed <= 6 ms",
        "the mix's most expensive request computed < 50 ms",
        "computed cost flat from 1,000 to 100,000 articles (none >20% slower)",
        "detail >= 0.65 x ceiling",
        "deep cursor >= 0.90 x feed",
        "feed 304 >= 0.80 x ceiling",
        "1,000 to 100,000 articles: none >20% slower",
        "no errors (every size)",
        "p99 < 50 ms at 16 connections, search aside",
        "the feed runs no COUNT(*)",
        "the feed's plan: an index scan, no sort",
    }


def test_refused_writes_count_as_mix_errors():
    big = size_result(100_000, RATES)
    big.phases[1].writes = Writes(20, 18, 0, {"201": 18, "429": 2})

    checks = report.targets([big], 16)

    [(figure, met)] = [(f, m) for label, f, m in checks if label.startswith("mix: no errors")]
    assert (figure, met) == ("0 under wrk, 0 priming, 2 writes refused", False)


def test_growth_is_taken_against_each_sizes_own_ceiling():
    # The whole machine 30% slower at the larger size: no endpoint grew in cost.
    slower = {name: rate * 0.7 for name, rate in RATES.items()}
    results = [size_result(1000, RATES), size_result(100_000, slower)]

    assert report.growth(results, "feed", results[1]) == pytest.approx(1.0)


def test_computed_growth_reads_as_throughput():
    results = [size_result(1000, RATES), size_result(100_000, RATES, computed={"feed": 2.5})]

    assert report.computed_growth(results, "feed", results[1]) == pytest.approx(0.8)


def test_report_puts_the_mix_first_with_its_phases_and_slowest_urls():
    results = [size_result(1000, RATES), size_result(100_000, RATES)]
    results[1].servers = [
        ServerResult("sync", "gunicorn sync, 4 workers", "gunicorn botbeat.wsgi",
                     ceiling=WrkResult(2000, 6, 12, 20000), mix=WrkResult(1500, 8, 20, 15000)),
    ]  # fmt: skip

    text = report.render(["# BotBeat benchmark"], results, connections=16, chart="results.png")

    assert (
        text.index("## Targets")
        < text.index("## The mix at 1,000")
        < text.index("## Each endpoint")
    )
    assert "![requests/s and p99 per phase](results.png)" in text
    assert "| 20 comment posts/s |" in text
    assert " 20 / 20 |" in text
    assert "`/api/v1/tags/`" in text
    assert "## Servers at 100,000 articles" in text
    assert "| gunicorn sync, 4 workers |" in text
    phases = report.render_phases(results[1])
    row = next(line for line in phases.splitlines() if line.startswith("| 0 writes"))
    assert [cell.strip() for cell in row.strip("|").split("|")][:6] == [
        "0 writes", "850", "0.85", "6.0", "10.0", "0",
    ]  # fmt: skip


def test_cost_summary_counts_requests_over_50_ms():
    costs = [UrlCost(f"/{i}", "g", float(i), 200, 1) for i in range(1, 101)]

    assert report.cost_summary(costs) == (
        "Computed cost over the mix's URLs: median 51.0 ms, p90 91.0 ms, p99 100.0 ms, "
        "max 100.0 ms; 50 over 50 ms."
    )


def test_chart_is_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    results = [size_result(1000, RATES), size_result(100_000, RATES)]
    results[1].servers = [
        ServerResult("sync", "gunicorn sync", "gunicorn", ceiling=WrkResult(2000, 6, 12, 1)),
    ]

    assert report.draw_chart(results, tmp_path / "results.png")

    assert (tmp_path / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_chart_without_phases_or_servers(tmp_path):
    assert not report.draw_chart([SizeResult(size=1000)], tmp_path / "results.png")


@pytest.mark.django_db
def test_ceiling_serves_the_bytes_asked_for(client, bench_urls):
    assert len(client.get(f"{CEILING}?bytes=5000").content) == 5000
    assert client.get(f"{CEILING}?bytes=-1").status_code == 400
    assert client.get(f"{CEILING}?bytes=99999999999").status_code == 400


def test_phase_ratio_is_over_the_mixs_own_ceiling():
    result = size_result(1000, RATES)
    result.mix_ceiling = WrkResult(1700, 5.0, 9.0, 17000)

    assert result.phase_ratio(result.phases[0]) == pytest.approx(850 / 1700)


def test_priming_says_how_much_of_the_mix_it_reached():
    assert str(Priming(61.2, 3500, 3997, 2)) == "3,500/3,997 in 61s, 2 errors"
    assert str(Priming(20.0, 3997, 3997)) == "3,997/3,997 in 20s"
