"""Two app servers behind a real balancer: nginx (Debian's package) with the shipped configuration
(deploy/nginx/botbeat.conf) in front of two gunicorns (sync workers, 2 each) that share the test
database and one Redis database, as a deployment's app servers share theirs.

What one server writes or counts, the other sees at once: comments, throttles, the response
cache and its purges, tokens and sessions all live in PostgreSQL or Redis, none in a process.
One server killed mid-load loses no acknowledged write, and the balancer goes on through the
other. Clients that send their bodies slowly hold nginx's memory, never an app worker, while the
same clients straight at one gunicorn hold both its workers.

PostgreSQL only: the servers' processes share the test database, which on SQLite lives in this
process's memory.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPConnection
from http.cookiejar import CookieJar
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from django.db import connection
from knox.models import AuthToken

from bench.server import balancer_config
from comments.models import Comment
from tests.factories import ArticleFactory, UserFactory
from tests.hardening.conftest import NUMBERS
from tests.hardening.servers import (
    Gunicorn,
    database_url,
    end_other_sessions,
    environment,
    http,
)
from tests.response_caches import REDIS_TEST_URL

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
COMMENT_LIMIT = 4  # THROTTLE_COMMENT_POST per minute: what the throttle test runs into
TOKEN_LIMIT = 3  # THROTTLE_TOKEN per minute, per client address

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (DATABASE_URL=postgres://...): the servers share the test "
        "database, which on SQLite is in this process's memory",
    ),
    pytest.mark.skipif(
        not Path(NGINX).exists(), reason="needs Debian's nginx (.ci/run installs it)"
    ),
    # The servers read and write the test database from other processes: data must be
    # committed, not held in the test's transaction.
    pytest.mark.django_db(transaction=True),
]


class Nginx(Gunicorn):
    """nginx in the foreground with the shipped configuration, everything it writes in a
    directory of its own; alive (like the app servers) when /healthz answers through it."""

    def __init__(self, upstreams: list[int]):
        self.upstreams = upstreams
        self.prefix = Path(tempfile.mkdtemp(prefix="botbeat-nginx-"))
        self.prefix.chmod(0o755)  # run as root, its workers are www-data
        super().__init__(environment())

    def command(self, workers: int) -> list[str]:
        config = self.prefix / "nginx.conf"
        config.write_text(balancer_config(self.port, self.upstreams))
        return [NGINX, "-p", f"{self.prefix}/", "-c", str(config), "-g", "daemon off;"]

    def stop(self) -> str:
        output = super().stop()
        logs = [
            (self.prefix / name).read_text()
            for name in ("error.log", "access.log")
            if (self.prefix / name).exists()
        ]
        shutil.rmtree(self.prefix, ignore_errors=True)
        return "\n".join([output, *logs])


def server_env(redis_url: str, secret_key: str) -> dict[str, str]:
    """What every app server of one deployment is given alike."""
    return environment(
        {
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "SECRET_KEY": secret_key,  # the same on each: sessions and signed values
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "NUM_PROXIES": "1",  # nginx appends the client's address to X-Forwarded-For
            "THROTTLE_COMMENT_POST": f"{COMMENT_LIMIT}/minute",
            "THROTTLE_TOKEN": f"{TOKEN_LIMIT}/minute",
            "THROTTLE_READ": "100000/minute",  # the traffic comes from loopback addresses
            "COMMENT_DUPLICATE_MINUTES": "0",  # a POST applied twice would show as two comments
        }
    )


@dataclass
class Deployment:
    a: Gunicorn
    b: Gunicorn
    balancer: Nginx


@contextlib.contextmanager
def deployment(redis_url: str, **extra: str) -> Iterator[Deployment]:
    """Two app servers (2 sync workers each) and nginx in front, stopped whatever happens;
    their logs printed (pytest shows them for a failed test)."""
    env = {**server_env(redis_url, secrets.token_urlsafe(50)), **extra}
    a, b = Gunicorn(env), Gunicorn(env)  # both start before either is waited for
    balancer = None
    try:
        a.wait_until_alive()
        b.wait_until_alive()
        balancer = Nginx([a.port, b.port])
        balancer.wait_until_alive()
        yield Deployment(a, b, balancer)
    finally:
        servers = {"nginx": balancer, "gunicorn A": a, "gunicorn B": b}
        for server in servers.values():  # all at once: each takes a moment to stop
            if server is not None and server.process.poll() is None:
                server.process.terminate()
        for name, server in servers.items():
            if server is not None:
                print(f"{name}:", server.stop()[-3000:], sep="\n")


@pytest.fixture(autouse=True)
def no_session_left():
    """After each test (its servers stopped), no session of theirs left on the test database
    for the flush to wait for (servers.end_other_sessions)."""
    yield
    end_other_sessions()


@pytest.fixture(scope="module")
def redis_url():
    """The tests' Redis database (tests/response_caches.py)."""
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"needs Redis at {REDIS_TEST_URL} (.ci/run starts one)")
    return REDIS_TEST_URL


@pytest.fixture(autouse=True)
def empty_redis(redis_url):
    """Emptied before and after each test: one test's throttle counters and cached answers
    are not the next one's."""
    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    yield
    store.flushdb()


@pytest.fixture(scope="module")
def deployed(django_db_setup, redis_url):
    """One deployment for the module's tests (starting one costs seconds): they share nothing
    else, since each test empties the database and Redis after itself. A test that kills a
    server starts its own."""
    with deployment(redis_url) as running:
        yield running


def path_of(article) -> str:
    return f"/api/v1/articles/{article.slug}/"


def thread_of(article) -> str:
    return f"/api/v1/articles/{article.slug}/comments/"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post_comment(url: str, article, token: str, body: str, **kwargs):
    return http(
        "POST", f"{url}{thread_of(article)}", body={"body": body}, **bearer(token), **kwargs
    )


def register(url: str, username: str, password: str) -> str:
    """A reader signed up through `url` and a token obtained there, as a client does."""
    account = {"username": username, "password": password}
    signed_up = http("POST", f"{url}/api/v1/auth/register/", body=account)
    assert signed_up.status == 201, signed_up.body
    token = http("POST", f"{url}/api/v1/auth/token/", body=account)
    assert token.status == 200, token.body
    return token.json()["token"]


def reader_token() -> str:
    _, token = AuthToken.objects.create(user=UserFactory())
    return token


def test_a_write_through_one_server_is_seen_at_once_through_the_other(deployed):
    """Given a reader who signed up and commented through server A, then server B (straight)
    and the balancer show the comment in the very next request."""
    article = ArticleFactory()
    token = register(deployed.a.url, "ada", "a-long-test-password")

    posted = post_comment(deployed.a.url, article, token, "Written through A.")

    assert posted.status == 201, posted.body
    comment = posted.json()["id"]
    for url in (deployed.b.url, deployed.balancer.url):
        thread = http("GET", f"{url}{thread_of(article)}")
        assert [c["body"] for c in thread.json()["results"]] == ["Written through A."], url
        assert http("GET", f"{url}/api/v1/comments/{comment}/").status == 200, url
        detail = http("GET", f"{url}{path_of(article)}")
        assert detail.json()["comment_count"] == 1, url


def test_the_balancer_passes_the_host_and_answers_problems_like_the_app(deployed):
    """The API's absolute links name the address the client used (Host, port included); a body
    over the API's limit is refused by nginx without reading it, with the app's problem code."""
    ArticleFactory.create_batch(2)

    page = http("GET", f"{deployed.balancer.url}/api/v1/articles/?page_size=1")
    too_large = http(
        "POST",
        f"{deployed.balancer.url}/api/v1/auth/register/",
        body={"username": "x" * 70_000, "password": "p"},
    )

    assert page.status == 200
    assert page.json()["next"].startswith(f"{deployed.balancer.url}/api/v1/articles/?")
    assert too_large.status == 413
    assert too_large.headers["Content-Type"] == "application/problem+json"
    assert too_large.json()["code"] == "payload_too_large"


def test_throttles_count_the_requests_of_both_servers(deployed):
    """A reader's comment limit counts their comments on either server; an address's limit is
    the address nginx saw, whatever X-Forwarded-For the client forges."""
    article = ArticleFactory()
    token = reader_token()
    servers = [deployed.a.url, deployed.b.url] * COMMENT_LIMIT

    statuses = [
        post_comment(url, article, token, f"Comment {i}.").status
        for i, url in enumerate(servers[: COMMENT_LIMIT + 2])
    ]

    assert statuses == [201] * COMMENT_LIMIT + [429, 429]

    def sign_in_from(address: str, forged: str) -> int:
        wrong = {"username": "nobody", "password": "wrong"}
        return from_address(
            address,
            deployed.balancer.port,
            "/api/v1/auth/token/",
            wrong,
            {"X-Forwarded-For": forged},
        )[0]

    forging = [sign_in_from("127.0.0.2", f"203.0.113.{i}") for i in range(TOKEN_LIMIT + 1)]
    assert 429 not in forging[:TOKEN_LIMIT] and forging[TOKEN_LIMIT] == 429, forging
    assert sign_in_from("127.0.0.3", "127.0.0.2") != 429  # another client, not the forged one


def from_address(
    address: str, port: int, path: str, body=None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """The status and body of one request (a POST with `body`) sent from `address`: any of
    127.0.0.0/8 is this machine, so each stands for another client."""
    client = HTTPConnection("127.0.0.1", port, timeout=15, source_address=(address, 0))
    try:
        data = None if body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        client.request("GET" if body is None else "POST", path, data, sent)
        answer = client.getresponse()
        return answer.status, answer.read()
    finally:
        client.close()


class Echo(ThreadingHTTPServer):
    """An upstream that answers every request with the headers and body nginx sent it (and
    /healthz, so that nginx counts as alive): what an app server is told, read exactly."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), EchoHandler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


class EchoHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        echoed = json.dumps({"headers": dict(self.headers), "body": body.decode()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(echoed)))
        self.end_headers()
        self.wfile.write(echoed)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def echoed():
    """nginx, with the shipped configuration, in front of an Echo."""
    upstream = Echo()
    balancer = Nginx([upstream.port])
    try:
        balancer.wait_until_alive()
        yield balancer
    finally:
        balancer.stop()
        upstream.shutdown()
        upstream.server_close()


def test_nginx_tells_the_app_the_client_host_and_scheme_it_saw(echoed):
    """X-Forwarded-For ends with the client's address (what NUM_PROXIES=1 reads), whatever the
    client put before it; X-Forwarded-Proto is nginx's scheme, never the client's; the Host is
    the client's, port included; and a body arrives whole, with its length."""
    status, body = from_address(
        "127.0.0.2",
        echoed.port,
        "/api/v1/auth/register/",
        {"username": "ada"},
        {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https", "Host": "api.test:8443"},
    )

    assert status == 200
    seen = json.loads(body)
    headers = {name.lower(): value for name, value in seen["headers"].items()}
    assert headers["x-forwarded-for"] == "198.51.100.7, 127.0.0.2"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["host"] == "api.test:8443"
    assert json.loads(seen["body"]) == {"username": "ada"}
    assert headers["content-length"] == str(len(seen["body"]))


def test_the_response_cache_is_shared_and_purged_across_servers(deployed):
    """An answer computed by A is served by B from the shared cache (a change made behind the
    cache's back does not show, which only a stored answer explains); a comment through B purges
    it, so A then computes the article afresh.

    The host is part of a cached answer (its absolute links): the direct requests carry the
    balancer's, as nginx passes it, so that every server files the answer under one name."""
    article = ArticleFactory(title="The cached title")
    path = path_of(article)
    host = {"Host": f"127.0.0.1:{deployed.balancer.port}"}
    assert http("GET", f"{deployed.a.url}{path}", **host).json()["title"] == "The cached title"
    # No signal, so no purge: only a server that computes the article sees this title.
    type(article).objects.filter(pk=article.pk).update(title="Changed behind the cache")

    from_b = http("GET", f"{deployed.b.url}{path}", **host)
    through_balancer = http("GET", f"{deployed.balancer.url}{path}")
    posted = post_comment(deployed.b.url, article, reader_token(), "A comment through B.")
    from_a = http("GET", f"{deployed.a.url}{path}", **host).json()

    assert from_b.json()["title"] == through_balancer.json()["title"] == "The cached title"
    assert posted.status == 201, posted.body
    assert (from_a["title"], from_a["comment_count"]) == ("Changed behind the cache", 1)


class Browser:
    """A client that keeps its cookies, as a browser does (a host's cookies, whatever port)."""

    def __init__(self):
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def send(self, method: str, url: str, body: dict | None = None) -> tuple[int, object]:
        """The status and the JSON body (None when empty) of one request, CSRF token included."""
        headers = {"Content-Type": "application/json"}
        if any(c.name == "csrftoken" for c in self.jar):
            headers["X-CSRFToken"] = self.cookie("csrftoken")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=15) as response:
                status, content = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, content = error.code, error.read()
        return status, json.loads(content) if content else None


def test_tokens_and_sessions_work_on_both_servers(deployed):
    """A token obtained from A is accepted by B and, revoked through B, refused by A; a browser
    session started on A is signed in on B, may write there, and signed out on B is out on A."""
    article = ArticleFactory()
    password = "a-long-test-password"
    token = register(deployed.a.url, "ada", password)
    me_on_b = http("GET", f"{deployed.b.url}/api/v1/auth/me/", **bearer(token))
    revoked = http("POST", f"{deployed.b.url}/api/v1/auth/logout/", **bearer(token))
    me_on_a = http("GET", f"{deployed.a.url}/api/v1/auth/me/", **bearer(token))

    assert me_on_b.status == 200 and me_on_b.json()["username"] == "ada"
    assert revoked.status == 204
    assert me_on_a.status == 401

    browser = Browser()
    session = "/api/v1/auth/session/"
    browser.send("GET", f"{deployed.a.url}{session}")  # the CSRF cookie
    signed_in = browser.send(
        "POST", f"{deployed.a.url}{session}", {"username": "ada", "password": password}
    )
    who_on_b = browser.send("GET", f"{deployed.b.url}{session}")
    wrote_on_b = browser.send(
        "POST", f"{deployed.b.url}{thread_of(article)}", {"body": "With the session, on B."}
    )
    signed_out_on_b = browser.send("DELETE", f"{deployed.b.url}{session}")
    who_on_a = browser.send("GET", f"{deployed.a.url}{session}")

    assert signed_in[0] == 200, signed_in
    assert who_on_b[0] == 200 and who_on_b[1]["user"]["username"] == "ada"
    assert wrote_on_b[0] == 201, wrote_on_b
    assert signed_out_on_b[0] == 204
    assert who_on_a[1]["user"] is None


def kill(server: Gunicorn) -> None:
    """SIGKILL to the server's master and workers at once: a machine lost, not a shutdown."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for process in [pid, *map(int, children)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process, signal.SIGKILL)
    server.process.wait()


def wait_until(condition, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not within {within} s"
        time.sleep(0.1)


def test_a_server_killed_mid_load_loses_no_acknowledged_write(redis_url, fast_password_hasher):
    """Given readers posting comments through the balancer to both servers, when server A is
    killed, then every comment answered 201 is in the database, none is written twice, what A
    held when it died (if anything) got 502 (nginx sends no POST to a second server once the
    first had it) or a connection error, and the balancer serves everything through B.

    The phases last until enough has happened (not a fixed time), so that a busy machine only
    makes the test slower."""
    article = ArticleFactory()
    tokens = [reader_token() for _ in range(4)]
    with deployment(redis_url, THROTTLE_COMMENT_POST="100000/minute") as deployed:
        # Sent at, body, status (None: no answer), the problem's code of a 502.
        answers: list[tuple[float, str, int | None]] = []
        problems: list[tuple[str, str]] = []
        running = True

        def post(token: str) -> None:
            n = 0
            while running:
                n += 1
                body, sent = f"{token[:8]}'s comment {n}.", time.monotonic()
                try:
                    answer = post_comment(deployed.balancer.url, article, token, body)
                except OSError:
                    answers.append((sent, body, None))
                    continue
                answers.append((sent, body, answer.status))
                if answer.status == 502:
                    problems.append((answer.headers["Content-Type"], answer.json()["code"]))

        def written_by_a() -> int:
            log = (deployed.balancer.prefix / "access.log").read_text()
            return len(re.findall(rf'"POST .* 201 .* upstream=127.0.0.1:{deployed.a.port} ', log))

        writers = [threading.Thread(target=post, args=(token,)) for token in tokens]
        for writer in writers:
            writer.start()
        try:
            wait_until(lambda: written_by_a() >= 5, within=30)
            killed_at = time.monotonic()
            kill(deployed.a)
            wait_until(lambda: sum(sent > killed_at + 0.5 for sent, *_ in answers) >= 10, 30)
        finally:
            running = False
            for writer in writers:
                writer.join(timeout=30)
        b_alive = http("GET", f"{deployed.b.url}/healthz").status

    acknowledged = {body for _, body, status in answers if status == 201}
    stored = list(Comment.objects.filter(article=article).values_list("body", flat=True))
    after = [status for sent, _, status in answers if sent > killed_at + 0.5]
    assert acknowledged <= set(stored)  # no acknowledged write lost
    assert len(stored) == len(set(stored))  # none applied twice
    assert {status for _, _, status in answers} <= {201, 502, None}
    assert set(problems) <= {("application/problem+json", "bad_gateway")}  # nginx's, as the app's
    assert set(after) == {201}, after
    assert b_alive == 200
    errors = Counter(str(status) for _, _, status in answers if status != 201)
    NUMBERS["balancer: a server killed"] = (
        f"{len(acknowledged)} comments acknowledged, 0 lost, 0 doubled; "
        f"errors {dict(errors) or 'none'}; {len(after)} answered 201 through the survivor"
    )


class Trickle:
    """Clients that send a POST's headers, then its body a byte every half second, never
    finishing: each one a slow mobile client, or a slowloris."""

    def __init__(self, port: int, path: str, clients: int):
        self.sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(clients)]
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n{"
        )
        for sock in self.sockets:
            sock.sendall(head.encode())
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while self.running:
            time.sleep(0.5)
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(b" ")

    def __enter__(self):
        self.thread.start()
        time.sleep(1)  # the servers have read the headers, and wait for the rest
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def logged(balancer: Nginx, path: str) -> list[str]:
    """The balancer's access log lines for POSTs to `path`."""
    log = (balancer.prefix / "access.log").read_text()
    return [line for line in log.splitlines() if f'"POST {path} ' in line]


def timed_get(url: str, timeout: float) -> float:
    """Seconds until `url` answered 200, or `timeout` if it did not answer in that time."""
    try:
        answer = http("GET", url, timeout=timeout)
    except TimeoutError:
        return timeout
    assert answer.status == 200, (url, answer.status)
    return answer.seconds


def test_slow_bodies_hold_no_worker_behind_the_balancer(deployed):
    """Given more clients trickling a body than the two servers have workers (4), then through
    the balancer /healthz and an API read answer at once, since nginx holds the bodies until
    they are whole; while 3 such clients straight at one gunicorn hold both its workers, so
    its /healthz waits for one of them to finish (or for gunicorn to kill the worker)."""
    article = ArticleFactory()
    register_path = "/api/v1/auth/register/"  # reads the body before it answers
    reads = [f"{deployed.balancer.url}/healthz", f"{deployed.balancer.url}{path_of(article)}"]
    for url in reads * 4:  # every worker warm: a first request costs imports, not waiting
        http("GET", url)

    with Trickle(deployed.balancer.port, register_path, clients=6):
        through_balancer = [timed_get(url, timeout=5) for url in reads * 2]
    with Trickle(deployed.a.port, register_path, clients=3):
        straight = timed_get(f"{deployed.a.url}/healthz", timeout=3)

    assert max(through_balancer) < 1, through_balancer
    # nginx logs each trickled request once its client gives up: it never reached a server.
    wait_until(lambda: len(logged(deployed.balancer, register_path)) >= 6, within=10)
    assert all(" upstream=- " in line for line in logged(deployed.balancer, register_path))
    assert straight >= 2, straight
    NUMBERS["balancer: slow bodies"] = (
        f"6 trickling through nginx: /healthz and an article in {max(through_balancer):.3f} s "
        f"at most; 3 straight at one gunicorn: its /healthz {straight:.1f} s or more"
    )
