"""A real streaming replica (bench/clusters.py: a primary and a `pg_basebackup -R` replica of
it, clusters of this module's own on free ports) behind gunicorn with DATABASE_REPLICA_URLS:
reads land on the replica, writes on the primary, a client reads its own write while the replica
is behind, a lagging replica is skipped and /readyz says so, and a replica stopped mid-run costs
the clients nothing but time.

Which server answered a read is told two ways: the statements each server ran
(`pg_stat_statements`, per database), and data that only one of them has (the replica's replay
paused while the primary changes).
"""

import secrets
import threading
import time

import pytest
import redis
from django.db import connection

from bench import clusters
from botbeat import replicas
from tests.hardening.conftest import NUMBERS
from tests.hardening.servers import Gunicorn, environment, http

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="runs in the suite's PostgreSQL run (DATABASE_URL=postgres://...)",
    ),
    pytest.mark.skipif(clusters.unavailable() is not None, reason=str(clusters.unavailable())),
]

DATABASE = "botbeat"
REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of its own on the shared Redis
MAX_LAG = 3  # DATABASE_REPLICA_MAX_LAG_SECONDS of the server here
# The statements that read the app's tables: not the replicas' and probes' own (pg_ functions).
READS_SQL = (
    "SELECT coalesce(sum(s.calls), 0)::int FROM pg_stat_statements s "
    "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s "
    r"AND s.query ~* '^\s*select' AND s.query ~* '\sfrom\s' AND s.query !~ 'pg_'"
)


class Site:
    def __init__(self, primary, replica, server):
        self.primary, self.replica, self.server = primary, replica, server
        self.token = ""

    def get(self, path: str, **headers):
        return http("GET", f"{self.server.url}{path}", **headers)

    def post_comment(self, slug: str, body: str):
        return http(
            "POST",
            f"{self.server.url}/api/v1/articles/{slug}/comments/",
            body={"body": body},
            Authorization=f"Bearer {self.token}",
        )

    def reads(self) -> tuple[int, int]:
        """Statements reading the app's tables so far: on the primary, on the replica."""
        return (
            self.primary.sql(READS_SQL, [DATABASE], DATABASE)[0][0],
            self.replica.sql(READS_SQL, [DATABASE], DATABASE)[0][0],
        )

    def replica_has(self, query: str, params=()) -> bool:
        return bool(self.replica.sql(query, params, database=DATABASE))

    def caught_up(self, timeout: float = 10) -> None:
        """Until the replica has replayed everything the primary has written."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()")[0][0]
        deadline = time.monotonic() + timeout
        while not self.replica.sql("SELECT pg_last_wal_replay_lsn() >= %s", [target])[0][0]:
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)

    def replica_state(self) -> str:
        return self.get("/readyz").json()["replicas"][0]["state"]

    def wait_for_state(self, state: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while (seen := self.replica_state()) != state:
            assert time.monotonic() < deadline, f"the replica stayed {seen}, not {state}"
            time.sleep(0.2)


def migrate(primary) -> None:
    import subprocess

    env = environment({"DATABASE_URL": primary.url(DATABASE), "SECRET_KEY": "x" * 50})
    for command in (["migrate", "--no-input"], ["load_demo"]):
        subprocess.run(
            ["uv", "run", "--no-sync", "python", "manage.py", *command],
            env=env, check=True, capture_output=True, timeout=300,
        )  # fmt: skip


@pytest.fixture(scope="module")
def site():
    redis.Redis.from_url(REDIS_URL).flushdb()
    with clusters.primary_and_replica(DATABASE) as (primary, replica):
        migrate(primary)
        env = environment(
            {
                "DATABASE_URL": primary.url(DATABASE),
                "DATABASE_REPLICA_URLS": replica.url(DATABASE),
                "DATABASE_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG),
                "DATABASE_CONNECT_TIMEOUT": "1",
                "REDIS_URL": REDIS_URL,
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1",
                "THROTTLE_READ": "100000/minute",
                "THROTTLE_REGISTER": "1000/minute",
                "THROTTLE_TOKEN": "1000/minute",
                "THROTTLE_COMMENT_POST": "1000/minute",
                "COMMENT_DUPLICATE_MINUTES": "0",
            }
        )
        server = Gunicorn(env)
        try:
            server.wait_until_alive()
            site = Site(primary, replica, server)
            credentials = {"username": "reader", "password": secrets.token_urlsafe(16)}
            assert http("POST", f"{server.url}/api/v1/auth/register/", body=credentials).status
            answer = http("POST", f"{server.url}/api/v1/auth/token/", body=credentials)
            assert answer.status == 200, answer.body
            site.token = answer.json()["token"]
            site.slugs = [a["slug"] for a in site.get("/api/v1/articles/").json()["results"]]
            yield site
        finally:
            print(server.stop()[-3000:])
        redis.Redis.from_url(REDIS_URL).flushdb()


def test_public_reads_land_on_the_replica_and_writes_on_the_primary(site):
    site.caught_up()
    site.wait_for_state("ok")
    before = site.reads()
    paths = [f"/api/v1/articles/?page_size={size}" for size in range(1, 21)]
    paths += [f"/api/v1/articles/{slug}/" for slug in site.slugs]
    paths += [f"/api/v1/articles/{slug}/comments/" for slug in site.slugs]
    paths += ["/api/v1/companies/", "/api/v1/tags/", "/api/v1/changes/"]
    for path in paths:
        assert site.get(path).status == 200, path
    after = site.reads()
    on_primary, on_replica = after[0] - before[0], after[1] - before[1]
    NUMBERS["replica reads"] = f"{on_replica} of {on_primary + on_replica} on the replica"
    assert on_replica >= len(paths)
    assert on_primary <= 0.1 * (on_primary + on_replica)

    posted = site.post_comment(site.slugs[0], "Written on the primary.")
    assert posted.status == 201, posted.body
    comment = posted.json()["id"]
    assert site.primary.sql("SELECT 1 FROM comments_comment WHERE id = %s", [comment], DATABASE)
    site.caught_up()
    assert site.replica_has("SELECT 1 FROM comments_comment WHERE id = %s", [comment])


def test_a_client_reads_its_own_write_while_the_replica_is_behind(site):
    site.caught_up()
    slug = site.slugs[1]
    site.get(f"/api/v1/articles/{slug}/comments/")  # cached before the write: the write purges it
    site.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        posted = site.post_comment(slug, "Read back at once.")
        assert posted.status == 201, posted.body
        comment = posted.json()["id"]
        time.sleep(0.3)
        assert not site.replica_has("SELECT 1 FROM comments_comment WHERE id = %s", [comment])
        # The writer, and any other client, read it back: from the primary.
        thread = site.get(
            f"/api/v1/articles/{slug}/comments/", Authorization=f"Bearer {site.token}"
        )
        assert comment in [c["id"] for c in thread.json()["results"]]
        assert site.get(f"/api/v1/comments/{comment}/").status == 200
        public = site.get(f"/api/v1/articles/{slug}/comments/?ordering=newest")
        assert comment in [c["id"] for c in public.json()["results"]], public.body
    finally:
        site.replica.sql("SELECT pg_wal_replay_resume()")
    site.caught_up()
    assert site.replica_has("SELECT 1 FROM comments_comment WHERE id = %s", [comment])


def test_a_lagging_replica_is_skipped_and_reported(site):
    site.caught_up()
    site.wait_for_state("ok")
    slug = site.slugs[2]
    (title,) = site.primary.sql(
        "SELECT title FROM articles_article WHERE slug = %s", [slug], DATABASE
    )[0]
    site.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        # A change the app did not make, so it records no position for it: only the replica's
        # lag can tell the app that the replica misses it.
        site.primary.sql(
            "UPDATE articles_article SET title = %s WHERE slug = %s",
            ["Changed behind its back", slug],
            DATABASE,
        )
        served = site.get(f"/api/v1/articles/{slug}/")
        assert served.json()["title"] == title  # the replica answered: it has not replayed it
        site.wait_for_state("lagging", timeout=MAX_LAG + 5)
        time.sleep(replicas.CHECK_SECONDS + 0.2)  # every worker has checked it since
        listed = site.get("/api/v1/articles/?page_size=50&ordering=published_at")
        titles = [a["title"] for a in listed.json()["results"]]
        assert "Changed behind its back" in titles  # from the primary
    finally:
        site.replica.sql("SELECT pg_wal_replay_resume()")
    site.wait_for_state("ok")


def test_a_replica_stopped_mid_run_changes_nothing_but_latency(site):
    site.caught_up()
    site.wait_for_state("ok")
    paths = [
        f"/api/v1/articles/{slug}/comments/?page_size={n}" for slug in site.slugs for n in (2, 3)
    ]
    paths += [f"/api/v1/articles/?page_size={n}&ordering=published_at" for n in range(1, 40)]
    expected = {path: site.get(path).body for path in paths[:4]}
    answers: list = []
    running = True

    def read() -> None:
        n = 0
        while running:
            path = paths[n % len(paths)]
            answers.append((path, site.get(path)))
            n += 1

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        time.sleep(1)
        site.replica.stop("immediate")
        time.sleep(3)
        assert site.replica_state() == "down"
        site.replica.start()
        time.sleep(1)
    finally:
        running = False
        for reader in readers:
            reader.join()
    assert len(answers) > 20
    failed = [(path, a.status, a.body[:200]) for path, a in answers if a.status != 200]
    assert not failed
    for path, answer in answers:
        if path in expected:
            assert answer.body == expected[path], path
    NUMBERS["replica stopped mid-run"] = (
        f"{len(answers)} answers, all 200; slowest {max(a.seconds for _, a in answers):.2f} s"
    )
    site.wait_for_state("ok")
