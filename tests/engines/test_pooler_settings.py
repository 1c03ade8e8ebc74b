"""DATABASE_POOLER's settings (botbeat/settings.py, "Connection pooling"), read as a server
process reads them: what each pooler turns the database settings into, and the values refused.
No database is reached, so these run on SQLite too; tests/engines/test_pgbouncer.py shows each
setting matters, through a real PgBouncer."""

import json
import subprocess
import sys

import pytest

from tests.hardening.servers import BASE_DIR, environment
from tests.hardening.test_deploy import PRODUCTION_ENV

# What a database's settings carry that the pooler decides (Django fills in the rest later).
SHOWN = """
import json
from botbeat import settings
database = settings.DATABASES["default"]
print(json.dumps({
    "CONN_MAX_AGE": database["CONN_MAX_AGE"],
    "DISABLE_SERVER_SIDE_CURSORS": database.get("DISABLE_SERVER_SIDE_CURSORS", False),
    "OPTIONS": database["OPTIONS"],
}))
"""


def read_settings(**env: str) -> subprocess.CompletedProcess:
    """botbeat/settings.py read by a process started with `env` (not through manage.py, which
    turns the statement timeout off for commands)."""
    return subprocess.run(
        [sys.executable, "-c", SHOWN],
        cwd=BASE_DIR,
        env=environment(PRODUCTION_ENV, env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def database_settings(**env: str) -> dict:
    result = read_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("pooler", "expected"),
    [
        (
            "none",
            {
                "CONN_MAX_AGE": 60,
                "DISABLE_SERVER_SIDE_CURSORS": False,
                "OPTIONS": {"connect_timeout": 3, "options": "-c statement_timeout=5000"},
            },
        ),
        (
            "pgbouncer",
            {
                "CONN_MAX_AGE": 60,  # client connections to PgBouncer are kept
                "DISABLE_SERVER_SIDE_CURSORS": True,
                "OPTIONS": {"connect_timeout": 3, "prepare_threshold": None},
            },
        ),
        (
            "psycopg",
            {
                "CONN_MAX_AGE": 0,
                "DISABLE_SERVER_SIDE_CURSORS": False,
                "OPTIONS": {
                    "connect_timeout": 3,
                    "options": "-c statement_timeout=5000",
                    "pool": {"min_size": 1, "max_size": 4, "timeout": 3},
                },
            },
        ),
    ],
)
def test_each_pooler_sets_what_it_needs(pooler, expected):
    assert database_settings(DATABASE_POOLER=pooler) == expected


def test_the_pools_size_and_wait_come_from_the_environment():
    pool = database_settings(
        DATABASE_POOLER="psycopg",
        DATABASE_POOL_MIN_SIZE="2",
        DATABASE_POOL_MAX_SIZE="8",
        DATABASE_POOL_TIMEOUT="10",
    )["OPTIONS"]["pool"]

    assert pool == {"min_size": 2, "max_size": 8, "timeout": 10}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_POOLER": "pgbouncr"}, "DATABASE_POOLER"),
        ({"DATABASE_POOLER": "pgbouncer", "DATABASE_URL": "sqlite:///db.sqlite3"}, "PostgreSQL"),
        # Through PgBouncer the timeout is the role's: a value here would not be applied.
        (
            {"DATABASE_POOLER": "pgbouncer", "DATABASE_STATEMENT_TIMEOUT_MS": "5000"},
            "DATABASE_STATEMENT_TIMEOUT_MS",
        ),
        ({"DATABASE_POOLER": "psycopg", "CONN_MAX_AGE": "60"}, "CONN_MAX_AGE"),
        ({"DATABASE_POOL_MAX_SIZE": "0"}, "DATABASE_POOL_MAX_SIZE"),
        ({"DATABASE_POOL_MIN_SIZE": "5", "DATABASE_POOL_MAX_SIZE": "4"}, "DATABASE_POOL_MIN_SIZE"),
        ({"DATABASE_POOL_TIMEOUT": "0"}, "DATABASE_POOL_TIMEOUT"),
    ],
)
def test_a_bad_pooler_setting_is_refused(env, named):
    result = read_settings(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr
