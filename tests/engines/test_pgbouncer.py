"""BotBeat behind a connection pooler: Debian's PgBouncer in transaction mode, and psycopg's own
pool (settings.py, "Connection pooling").

A real PgBouncer (`/usr/sbin/pgbouncer`, on a free loopback port) stands in front of the test
database with POOL_SIZE server connections; gunicorn's threaded workers keep more client
connections than that to it. Through it, with DATABASE_POOLER=pgbouncer, readers and writers
(sign-up, token, comments, likes, moderation, the feed with filters, the change feed) all
succeed at once and the outbox's lock still orders the change feed; the statement timeout, the
role's then, still cancels a statement; and `.iterator()` reads its rows, where a server-side
cursor is lost between two server connections. Without the setting, the same server fails
through the same PgBouncer, which refuses the `options` startup parameter: the setting is what
makes it work. With DATABASE_POOLER=psycopg the pool bounds each process's connections, which
the same server without it does not. The settings' own rules: tests/engines/test_pooler_settings.py.
"""

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.models import Permission
from django.db import DEFAULT_DB_ALIAS, ProgrammingError, connection, connections
from django.db.backends.postgresql.base import DatabaseWrapper

from comments.models import Comment
from tests.hardening.conftest import SEED_SLUG, TOKENS, build_world
from tests.hardening.servers import (
    Gunicorn,
    database_target,
    database_url,
    end,
    end_other_sessions,
    free_port,
    http,
)
from tests.hardening.test_faults import server_env

PGBOUNCER = Path("/usr/sbin/pgbouncer")
POOL_SIZE = 2  # PgBouncer's server connections to the test database
THREADS = 4  # per gunicorn worker (2 workers): 8 client connections to PgBouncer
CLIENTS = 8  # HTTP clients at once
ROUNDS = 4  # each client's rounds of writes and reads
SIGN_UPS = 2  # clients that sign up: the others are the world's users (tests/hardening/conftest.py)
WORLD_READERS = ["bob", "carol", "staff", "editor", "moderator", "superuser"]  # not alice
THREAD = f"/api/v1/articles/{SEED_SLUG}/comments/"
FILTERED_FEED = "/api/v1/articles/?tag=generative-ai&category=research&published_after=2020-01-01"
UNTHROTTLED = {
    name: "100000/minute"
    for name in ("THROTTLE_REGISTER", "THROTTLE_TOKEN", "THROTTLE_COMMENT_LIKE")
}

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a pooler sits in front of PostgreSQL (DATABASE_URL=postgres://...)",
    ),
    # The servers read and write the test database from other processes: data is committed.
    pytest.mark.django_db(transaction=True),
]


class PgBouncer:
    """Debian's pgbouncer in transaction mode on a free loopback port, in front of the test
    database: any number of clients, at most POOL_SIZE server connections. It refuses to run
    as root, so as root it runs as postgres (its `-u`)."""

    def __init__(self):
        assert PGBOUNCER.exists(), f"no {PGBOUNCER}: apt-get install -y pgbouncer (Debian's)"
        s = connection.settings_dict
        host, port = database_target()
        self.port = free_port()
        self.url = f"postgres://{s['USER']}@127.0.0.1:{self.port}/{s['NAME']}"
        self.directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        self.directory.chmod(0o755)  # readable by postgres
        (self.directory / "userlist.txt").write_text(f'"{s["USER"]}" ""\n')
        ini = self.directory / "pgbouncer.ini"
        ini.write_text(
            textwrap.dedent(f"""\
                [databases]
                {s["NAME"]} = host={host} port={port} dbname={s["NAME"]}

                [pgbouncer]
                listen_addr = 127.0.0.1
                listen_port = {self.port}
                unix_socket_dir =
                auth_type = trust
                auth_file = {self.directory / "userlist.txt"}
                admin_users = {s["USER"]}
                pool_mode = transaction
                default_pool_size = {POOL_SIZE}
                max_client_conn = 100
                """)
        )
        as_postgres = ["-u", "postgres"] if os.geteuid() == 0 else []
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (lives as long as pgbouncer)
        self.process = subprocess.Popen(
            [str(PGBOUNCER), *as_postgres, str(ini)], stdout=self.log, stderr=subprocess.STDOUT
        )
        self.wait_until_ready()

    def wait_until_ready(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            with (
                contextlib.suppress(psycopg.OperationalError),
                psycopg.connect(self.url, connect_timeout=2) as probe,
            ):
                probe.execute("SELECT 1")
                return
            time.sleep(0.1)
        raise AssertionError(f"pgbouncer did not start: {self.stop()}")

    def show(self, what: str) -> list[list[str]]:
        """`SHOW <what>` on PgBouncer's admin console (psql: it takes simple queries only)."""
        result = subprocess.run(
            ["psql", "-X", "-A", "-t", "-F", "\t", "-h", "127.0.0.1", "-p", str(self.port),
             "-U", connection.settings_dict["USER"], "-d", "pgbouncer", "-c", f"SHOW {what}"],
            capture_output=True, text=True, timeout=10, check=True,
        )  # fmt: skip
        return [line.split("\t") for line in result.stdout.splitlines() if line]

    def stop(self) -> str:
        """Stop pgbouncer (if it runs); its output."""
        end(self.process)
        shutil.rmtree(self.directory, ignore_errors=True)
        self.log.seek(0)
        return self.log.read()


class ThreadedGunicorn(Gunicorn):
    """gunicorn's gthread workers: THREADS requests at once in each process, each thread with a
    database connection of its own (or one from its process's pool)."""

    def command(self, workers: int) -> list[str]:
        return [*super().command(workers), "--threads", str(THREADS)]


@pytest.fixture(autouse=True)
def no_session_left():
    """After each test (its servers stopped), nothing of theirs left on the test database."""
    yield
    end_other_sessions()


@pytest.fixture
def world(fast_password_hasher, empty_cache):
    return build_world()


@pytest.fixture
def bouncer():
    pgbouncer = PgBouncer()
    yield pgbouncer
    pgbouncer.stop()


@contextlib.contextmanager
def serving(env: dict[str, str]):
    server = ThreadedGunicorn(env)
    try:
        server.wait_until_alive()
        yield server
    except BaseException:
        print(f"the server's output:\n{server.stop()[-5000:]}")  # shown with the failure
        raise
    finally:
        server.stop()


def through(bouncer: PgBouncer, **extra: str) -> dict[str, str]:
    """The servers' environment (tests/hardening/test_faults.py), their database PgBouncer."""
    return {**server_env(bouncer.port, **UNTHROTTLED), **extra}


class Backends:
    """The highest number of sessions on the test database but this process's, sampled while it
    runs: the servers' (or PgBouncer's) connections."""

    def __init__(self):
        connection.ensure_connection()
        self.mine = connection.connection.info.backend_pid
        self.highest = 0
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with psycopg.connect(database_url(), autocommit=True) as watcher:
            while self.running:
                (count,) = watcher.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
                    [self.mine],
                ).fetchone()
                self.highest = max(self.highest, count)
                time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join(timeout=10)


def sign_up(server, n: int) -> tuple[list[tuple[str, object]], str]:
    """A new reader signs up and signs in: the answers, and the reader's token."""
    name, password = f"pooled{n}{secrets.token_hex(3)}", f"a passphrase {secrets.token_hex(8)}"
    credentials = {"username": name, "password": password}
    # A minute: the server hashes the password with PBKDF2 (a second's CPU), clients at once.
    register = http("POST", f"{server.url}/api/v1/auth/register/", body=credentials, timeout=60)
    token = http("POST", f"{server.url}/api/v1/auth/token/", body=credentials, timeout=60)
    return [("register", register), ("token", token)], token.json()["token"]


def visit(server, n: int, liked: int) -> tuple[list[tuple[str, int]], list[int]]:
    """One reader's visit: the first SIGN_UPS sign up and in (the others are the world's users),
    then rounds of a comment, a like of the comment `liked` (idempotent), the feed with filters
    and the change feed; then a moderator hides the reader's last comment. (what, status) of
    every answer, and the comments' ids."""
    url = server.url
    if n < SIGN_UPS:
        answers, token = sign_up(server, n)
    else:
        answers, token = [], TOKENS[WORLD_READERS[n - SIGN_UPS]]
    reader = {"Authorization": f"Bearer {token}"}
    visit_id = secrets.token_hex(4)  # a body a reader posts again is refused as a duplicate
    ids = []
    for i in range(ROUNDS):
        comment = http(
            "POST", f"{url}{THREAD}", body={"body": f"Pooled {n}.{i} {visit_id}."}, **reader
        )
        answers.append(("comment", comment))
        ids.append(comment.json()["id"])
        answers.append(("like", http("PUT", f"{url}/api/v1/comments/{liked}/like/", **reader)))
        answers.append(("feed", http("GET", f"{url}{FILTERED_FEED}")))
        answers.append(("changes", http("GET", f"{url}/api/v1/changes/?type=comment")))
    moderator = {"Authorization": f"Bearer {TOKENS['moderator']}"}
    last = f"{url}/api/v1/comments/{ids[-1]}/"
    answers.append(("hide", http("PATCH", last, body={"status": "hidden"}, **moderator)))
    return [(what, answer.status) for what, answer in answers], ids


def load(server, liked: int) -> tuple[list[tuple[str, int]], list[int], float]:
    """CLIENTS visits at once: every (what, status), every comment id, the seconds it took."""
    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        visits = list(pool.map(lambda n: visit(server, n, liked), range(CLIENTS)))
    answers = [answer for statuses, _ in visits for answer in statuses]
    return answers, [pk for _, ids in visits for pk in ids], time.monotonic() - started


def change_feed(server) -> list[dict]:
    """Every comment change, page after page, as a client following the feed reads it."""
    changes, since = [], None
    while True:
        query = "type=comment&page_size=100" + (f"&since={since}" if since is not None else "")
        page = http("GET", f"{server.url}/api/v1/changes/?{query}").json()
        changes += page["results"]
        since = page["next_since"]
        if not page["has_more"]:
            return changes


# Through PgBouncer


def test_readers_and_writers_share_two_server_connections_through_pgbouncer(world, bouncer):
    liked = world.comments["alice_top"]
    with serving(through(bouncer, DATABASE_POOLER="pgbouncer")) as server, Backends() as backends:
        answers, ids, seconds = load(server, liked.pk)
        clients = [row for row in bouncer.show("CLIENTS") if row[1] != "pgbouncer"]
        feed = change_feed(server)

    failed = [(what, status) for what, status in answers if status >= 300]
    assert not failed, failed
    # Multiplexed: more clients than server connections, and never more server connections.
    assert len(clients) > POOL_SIZE, clients
    assert 1 <= backends.highest <= POOL_SIZE, backends.highest
    # Every write is there, the likes counted right (select_for_update), the moderation done.
    comments = Comment.objects.filter(pk__in=ids)
    assert comments.count() == CLIENTS * ROUNDS
    liked.refresh_from_db()
    assert liked.like_count == CLIENTS
    assert comments.filter(status=Comment.Status.HIDDEN).count() == CLIENTS
    # The change feed, under its advisory transaction lock: every comment once, in id order.
    keys = {str(pk) for pk in ids}
    created = [c["key"] for c in feed if c["type"] == "comment.created" and c["key"] in keys]
    assert sorted(created) == sorted(keys)
    assert [c["id"] for c in feed] == sorted(c["id"] for c in feed)
    print(
        f"pgbouncer: {len(answers)} requests from {CLIENTS} clients in {seconds:.1f} s, "
        f"{len(clients)} client connections, at most {backends.highest} server connections"
    )


def test_without_the_setting_pgbouncer_refuses_the_servers_connections(world, bouncer):
    """The same server, the same PgBouncer, DATABASE_POOLER left at none: psycopg sends the
    statement timeout as the `options` startup parameter, which PgBouncer refuses."""
    with serving(through(bouncer)) as server:
        feed = http("GET", f"{server.url}/api/v1/articles/")
        ready = http("GET", f"{server.url}/readyz")

    assert feed.status == 503 and feed.json()["code"] == "database_unavailable", feed.body
    assert ready.status == 503 and ready.json()["errors"][0]["field"] == "database", ready.body
    assert "unsupported startup parameter: options" in bouncer.stop()


@pytest.fixture
def role_statement_timeout():
    """1.5 s, the role's statement timeout in the test database (settings.py says why it is
    the role's through PgBouncer), until the test ends."""
    s = connection.settings_dict
    role = f'ALTER ROLE "{s["USER"]}" IN DATABASE "{s["NAME"]}"'
    with connection.cursor() as cursor:
        cursor.execute(f"{role} SET statement_timeout = 1500")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"{role} RESET statement_timeout")


def test_the_roles_statement_timeout_cancels_a_statement_through_pgbouncer(
    world, role_statement_timeout
):
    """A statement waiting on a lock past the role's timeout is cancelled, and the server
    answers 503 at once, then serves the next request."""
    bouncer = PgBouncer()  # now: its server connections start with the role's setting
    try:
        with serving(through(bouncer, DATABASE_POOLER="pgbouncer")) as server:
            assert http("GET", f"{server.url}/api/v1/articles/").status == 200
            with psycopg.connect(database_url(), autocommit=False) as locker:
                locker.execute("LOCK TABLE articles_article IN ACCESS EXCLUSIVE MODE")
                slow = http("GET", f"{server.url}/api/v1/articles/")
            after = http("GET", f"{server.url}/api/v1/articles/")
    finally:
        bouncer.stop()

    assert slow.status == 503, slow.body
    assert slow.json()["code"] == "database_timeout"
    assert 1.4 < slow.seconds < 4
    assert after.status == 200


@contextlib.contextmanager
def default_database_through(bouncer: PgBouncer, **settings):
    """This thread's default database, for a while, reached through PgBouncer with `settings`."""
    direct = connections[DEFAULT_DB_ALIAS]
    through = DatabaseWrapper(
        {
            **direct.settings_dict,
            "HOST": "127.0.0.1",
            "PORT": bouncer.port,
            "OPTIONS": {"connect_timeout": 3},
            **settings,
        },
        DEFAULT_DB_ALIAS,
    )
    connections[DEFAULT_DB_ALIAS] = through
    try:
        yield
    finally:
        through.close()
        connections[DEFAULT_DB_ALIAS] = direct


@pytest.mark.parametrize("disabled", [False, True], ids=["server-side", "disabled"])
def test_server_side_cursors_do_not_survive_pgbouncer(bouncer, disabled):
    """`.iterator()` outside a transaction (dumpdata's way) declares a WITH HOLD cursor on one
    server connection, then fetches in statements of their own: PgBouncer gives those to
    whichever server connection is free, which has no such cursor. DATABASE_POOLER=pgbouncer's
    DISABLE_SERVER_SIDE_CURSORS reads the rows at once instead."""
    expected = list(Permission.objects.values_list("pk", flat=True))
    assert len(expected) > 10

    with default_database_through(bouncer, DISABLE_SERVER_SIDE_CURSORS=disabled):
        chunks = Permission.objects.values_list("pk", flat=True).iterator(chunk_size=10)
        first = [next(chunks) for _ in range(10)]
        # Another client's transaction takes the server connection the cursor is on
        # (PgBouncer lends the one last used), so the next fetch goes to another.
        with psycopg.connect(bouncer.url) as other:
            other.execute("SELECT 1")  # a transaction begins, and holds its connection
            if disabled:
                rest = list(chunks)
            else:
                # Django's error from the fetch, or psycopg's from closing the cursor after it.
                lost = (ProgrammingError, psycopg.errors.InvalidCursorName)
                with pytest.raises(lost, match=r"cursor .* does not exist"):
                    list(chunks)

    if disabled:
        assert first + rest == expected


# psycopg's pool (no external pooler)

POOL_MAX = 2  # DATABASE_POOL_MAX_SIZE: fewer than a process's THREADS


def test_psycopgs_pool_serves_every_request_with_at_most_its_size_per_process(world):
    """Two processes of THREADS threads: with the pool, at most POOL_MAX connections each, and
    every request served; without it (persistent connections), a connection per busy thread."""
    direct = server_env(database_target()[1], **UNTHROTTLED)
    pooled = {
        **direct,
        "DATABASE_POOLER": "psycopg",
        "DATABASE_POOL_MAX_SIZE": str(POOL_MAX),
        # Threads queue for the connections behind others' password hashing, seconds each here.
        "DATABASE_POOL_TIMEOUT": "60",
    }
    pooled.pop("CONN_MAX_AGE")  # Django's pool takes none
    liked = world.comments["alice_top"].pk
    with serving(pooled) as server, Backends() as with_pool:
        answers, ids, seconds = load(server, liked)
    end_other_sessions()
    with serving(direct) as server, Backends() as without_pool:
        load(server, liked)

    failed = [(what, status) for what, status in answers if status >= 300]
    assert not failed, failed
    assert Comment.objects.filter(pk__in=ids).count() == CLIENTS * ROUNDS
    assert 1 <= with_pool.highest <= 2 * POOL_MAX, with_pool.highest
    assert without_pool.highest > 2 * POOL_MAX, without_pool.highest
    print(
        f"psycopg pool: {len(answers)} requests from {CLIENTS} clients in {seconds:.1f} s, at "
        f"most {with_pool.highest} connections; without the pool {without_pool.highest}"
    )
