"""The edge: a real Varnish (Debian's `varnish` and `varnish-modules`) with the shipped VCL
(deploy/varnish/botbeat.vcl), in front of a real gunicorn sharing the test database and a Redis.

A write's purge must reach the edge before the write is acknowledged, so that the next request
through Varnish sees the change; and a write must leave at the edge every answer that does not
show what it touched. PostgreSQL only: gunicorn's workers must share the test database.
"""

import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken

from tests.factories import ArticleFactory, CompanyFactory, UserFactory
from tests.hardening.servers import (
    BASE_DIR,
    Gunicorn,
    database_url,
    end,
    end_other_sessions,
    environment,
    free_port,
    http,
)

VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"
REDIS_DB = 12  # a database of its own on the shared Redis
READ_LIMIT = 1000  # the app's read limit, per client address

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL=postgres://...)"
    ),
    pytest.mark.skipif(
        not Path(VARNISHD).exists() or not any(Path("/usr/lib").rglob("libvmod_xkey.so")),
        reason="needs Debian's varnish and varnish-modules (.ci/run installs them)",
    ),
    pytest.mark.django_db(transaction=True),
]


class Varnish:
    """varnishd in the foreground with the shipped VCL, its backend the given port."""

    def __init__(self, backend_port: int, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = Path(tempfile.mkdtemp(prefix="botbeat-varnish-"))
        self.workdir.chmod(0o755)  # varnishd reads the VCL as its own unprivileged user
        vcl = (BASE_DIR / "deploy" / "varnish" / "botbeat.vcl").read_text()
        assert '.port = "8000";' in vcl
        (self.workdir / "botbeat.vcl").write_text(
            vcl.replace('.port = "8000";', f'.port = "{backend_port}";')
        )
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (lives as long as varnishd)
        self.process = subprocess.Popen(
            [VARNISHD, "-F", "-a", f"127.0.0.1:{self.port}", "-T", "none",
             "-f", str(self.workdir / "botbeat.vcl"), "-n", str(self.workdir / "instance"),
             "-s", "malloc,32m"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_until_alive(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"varnishd exited: {self.stop()}")
            try:
                if http("GET", f"{self.url}/healthz", timeout=5).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"varnishd did not answer within {timeout} s: {self.stop()}")

    def stop(self) -> str:
        end(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.log.seek(0)
        return self.log.read()


@pytest.fixture(autouse=True)
def no_session_left():
    """After each test (its servers stopped), no session of theirs left on the test database
    for the flush to wait for (servers.end_other_sessions)."""
    yield
    end_other_sessions()


@pytest.fixture
def redis_url():
    import redis

    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def edge(redis_url):
    """gunicorn (the response cache on Redis, purging Varnish), and Varnish in front of it."""
    varnish_port = free_port()
    server = Gunicorn(
        environment(
            {
                "DATABASE_URL": database_url(),
                "REDIS_URL": redis_url,
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DEBUG": "false",
                "ALLOWED_HOSTS": "127.0.0.1",
                "EDGE_PURGER": "varnish",
                "VARNISH_PURGE_URLS": f"http://127.0.0.1:{varnish_port}/",
                "THROTTLE_READ": f"{READ_LIMIT}/minute",
            }
        )
    )
    server.wait_until_alive()
    varnish = Varnish(server.port, varnish_port)
    try:
        varnish.wait_until_alive()
        yield varnish
    finally:
        logs = varnish.stop(), server.stop()
        print("varnishd:", logs[0][-2000:], "gunicorn:", logs[1][-2000:], sep="\n")


def get(edge: Varnish, path: str):
    answer = http("GET", f"{edge.url}{path}")
    assert answer.status == 200, (path, answer.status, answer.body[:300])
    return answer


def test_a_comment_purges_the_edge_answers_that_show_its_article_and_no_other(edge):
    """Given answers held by Varnish, when a reader comments on one article through it, then
    the answers that show that article come fresh from the app and the others stay at the edge."""
    commented = ArticleFactory(company=CompanyFactory())
    other = ArticleFactory(
        company=CompanyFactory(), published_at=timezone.now() - timezone.timedelta(days=1)
    )
    _, token = AuthToken.objects.create(user=UserFactory())
    showing = [f"/api/v1/articles/{commented.slug}/", "/api/v1/articles/"]
    unrelated = [f"/api/v1/articles/{other.slug}/", f"/api/v1/articles/{other.slug}/comments/"]
    for path in showing + unrelated:
        get(edge, path)
    assert all(get(edge, path).headers["X-Cache"] == "hit" for path in showing + unrelated)

    posted = http(
        "POST",
        f"{edge.url}/api/v1/articles/{commented.slug}/comments/",
        body={"body": "Through the edge."},
        Authorization=f"Bearer {token}",
    )

    assert posted.status == 201, posted.body
    detail = get(edge, f"/api/v1/articles/{commented.slug}/")
    assert detail.headers["X-Cache"] == "miss"
    assert detail.json()["comment_count"] == 1
    assert get(edge, "/api/v1/articles/").json()["results"][0]["comment_count"] == 1
    assert [get(edge, path).headers["X-Cache"] for path in unrelated] == ["hit", "hit"]
    # The edge keeps its keys to itself.
    assert "Surrogate-Key" not in detail.headers and "xkey" not in detail.headers


def test_an_edit_in_another_process_reaches_the_edge(edge, redis_url, settings):
    """An editor's save (here, in this process: the admin's or the import's would be the same)
    purges Varnish too: the next request through it shows the new title."""
    import botbeat.cache

    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url}
    }
    settings.CACHE_PURGERS = ["botbeat.purge.ResponseCachePurger", "botbeat.purge.VarnishPurger"]
    settings.VARNISH_PURGE_URLS = [f"{edge.url}/"]
    botbeat.cache._redis_store = None
    article = ArticleFactory(title="The old title")
    path = f"/api/v1/articles/{article.slug}/"
    get(edge, path)
    assert get(edge, path).headers["X-Cache"] == "hit"

    article.title = "The new title"
    article.save()

    assert get(edge, path).json()["title"] == "The new title"
    botbeat.cache._redis_store = None


def test_the_edge_refuses_a_purge_without_keys_and_passes_signed_in_readers(edge):
    ArticleFactory()
    _, token = AuthToken.objects.create(user=UserFactory())
    get(edge, "/api/v1/articles/")

    no_keys = http("PURGE", f"{edge.url}/")
    signed_in = http("GET", f"{edge.url}/api/v1/articles/", Authorization=f"Bearer {token}")

    assert no_keys.status == 400
    assert signed_in.status == 200
    assert signed_in.headers["X-Cache"] == "miss"  # passed to the app, which served it


def test_only_what_the_app_answered_carries_the_rate_limits(edge):
    """The read limit is the app's, counted per client there. A hit at the edge counted against
    none, and the object it serves holds the headers of the request that fetched it: it carries
    neither header; a miss and a signed-in request (passed) carry the app's own."""
    article = ArticleFactory()
    _, token = AuthToken.objects.create(user=UserFactory())
    path = f"/api/v1/articles/{article.slug}/"

    miss, hit = get(edge, path), get(edge, path)
    passed = [http("GET", f"{edge.url}{path}", Authorization=f"Bearer {token}") for _ in range(2)]

    assert (miss.headers["X-Cache"], hit.headers["X-Cache"]) == ("miss", "hit")
    assert miss.headers["RateLimit-Policy"] == f'"read";q={READ_LIMIT};w=60'
    assert miss.headers["RateLimit"].startswith(f'"read";r={READ_LIMIT - 1};t=')
    assert "RateLimit" not in hit.headers and "RateLimit-Policy" not in hit.headers
    # Counted at the app: the miss was one request, each passed one another.
    assert [a.headers["RateLimit"].split(";t=")[0] for a in passed] == [
        f'"read";r={READ_LIMIT - 2}',
        f'"read";r={READ_LIMIT - 3}',
    ]


def test_the_edge_passes_a_preview_link_and_keeps_nothing_of_it(edge):
    """A preview link's answer is for its holder alone (articles/previews.py): Varnish passes it
    to the app before any lookup, every time, and an edit ends the link at once."""
    from articles.models import Status
    from tests.factories import EditorFactory

    draft = ArticleFactory(status=Status.DRAFT, title="The draft")
    _, token = AuthToken.objects.create(user=EditorFactory())
    made = http(
        "POST",
        f"{edge.url}/api/v1/articles/{draft.slug}/preview/",
        Authorization=f"Bearer {token}",
    )
    assert made.status == 200, made.body
    url = urlsplit(made.json()["url"])
    path = f"{url.path}?{url.query}"

    answers = [get(edge, path) for _ in range(3)]

    assert [a.headers["X-Cache"] for a in answers] == ["miss"] * 3
    assert all(a.headers["Cache-Control"] == "private, no-store" for a in answers)
    assert answers[-1].json()["title"] == "The draft"
    # Passed in vcl_recv, never looked up (a lookup that finds nothing would say MISS).
    calls = subprocess.run(
        ["varnishlog", "-d", "-n", str(edge.workdir / "instance"), "-g", "request",
         "-q", 'ReqURL ~ "preview="', "-i", "VCL_call"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip
    assert calls.count("VCL_call       PASS") >= 3 and "VCL_call       MISS" not in calls, calls
    draft.title = "Edited"
    draft.save()
    assert http("GET", f"{edge.url}{path}").status == 403
