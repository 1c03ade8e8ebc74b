"""PostgreSQL clusters of one's own: a primary and its streaming replicas, for the tests that
need a real replica (tests/engines/test_replicas.py) and the benchmark that measures one
(`python -m bench.replicas`).

Each cluster lives in a temporary directory, listens on a free loopback port and runs as the
`postgres` user (PostgreSQL refuses to run as root), with Debian's binaries. A replica is made
as in production: `pg_basebackup -R` from the primary, then streaming replication. Durability is
off (`fsync`): these clusters are thrown away; WAL and commits otherwise behave as deployed.
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

USER = "postgres"
CONFIGURATION = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{directory}'
max_connections = 200
shared_buffers = 64MB
fsync = off
full_page_writes = off
wal_level = replica
max_wal_senders = 8
hot_standby = on
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
"""


def binaries() -> Path | None:
    """Debian's PostgreSQL binaries (the newest installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"))
    return Path(found[-1]).parent if found else None


def unavailable() -> str | None:
    """Why clusters cannot be made here, or None."""
    if binaries() is None:
        return "PostgreSQL's server binaries are not installed (Debian's postgresql package)"
    try:
        pwd.getpwnam(USER)
    except KeyError:
        return f"there is no {USER} user to run PostgreSQL as"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(*command: str) -> None:
    """Run a PostgreSQL binary, as the postgres user when this process is root."""
    bin_dir = binaries()
    assert bin_dir is not None, unavailable()
    full = [str(bin_dir / command[0]), *command[1:]]
    if os.geteuid() == 0:
        full = ["runuser", "-u", USER, "--", *full]
    subprocess.run(full, check=True, capture_output=True, text=True, timeout=120)


class Cluster:
    def __init__(self, directory: Path, port: int):
        self.directory = directory
        self.port = port

    def url(self, database: str) -> str:
        return f"postgres://{USER}@127.0.0.1:{self.port}/{database}"

    def configure(self) -> None:
        conf = self.directory / "postgresql.conf"
        with conf.open("a") as out:
            out.write(CONFIGURATION.format(port=self.port, directory=self.directory))

    def start(self) -> None:
        log = str(self.directory / "server.log")
        run("pg_ctl", "-D", str(self.directory), "-l", log, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends the sessions cleanly; `immediate` is a crash."""
        run("pg_ctl", "-D", str(self.directory), "-m", mode, "-w", "-t", "60", "stop")

    def postmaster(self) -> int | None:
        """The server's main process, while it runs."""
        try:
            return int((self.directory / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def sql(self, query: str, params=(), database: str = "postgres") -> list[tuple]:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, dbname=database, autocommit=True
        ) as connection:
            cursor = connection.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def replica(self, name: str = "replica") -> "Cluster":
        """A streaming replica of this cluster, started: a base backup, then the WAL as it comes."""
        replica = Cluster(self.directory.parent / name, free_port())
        run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER,
            "-D", str(replica.directory), "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        replica.configure()  # the last setting wins: the replica's own port and socket
        replica.start()
        return replica


def create(database: str) -> tuple["Cluster", "Cluster"]:
    """A started primary with an empty `database`, and a streaming replica of it, in a new
    temporary directory (`remove` it afterwards)."""
    root = Path(tempfile.mkdtemp(prefix="botbeat-clusters-"))
    if os.geteuid() == 0:
        shutil.chown(root, USER, USER)
    try:
        primary = Cluster(root / "primary", free_port())
        run("initdb", "-D", str(primary.directory), "-A", "trust", "-U", USER, "--no-sync")
        primary.configure()
        primary.start()
        primary.sql(f'CREATE DATABASE "{database}"')
        primary.sql("CREATE EXTENSION pg_stat_statements", database=database)
        return primary, primary.replica()
    except BaseException:
        remove(root)
        raise


def remove(root: Path) -> None:
    """Stop the clusters under `root` (a crash: nothing there is kept) and delete them."""
    for pid_file in root.glob("*/postmaster.pid"):
        with contextlib.suppress(subprocess.CalledProcessError):
            Cluster(pid_file.parent, 0).stop("immediate")
    shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def primary_and_replica(database: str):
    """`create`, then `remove` whatever happened."""
    primary, replica = create(database)
    try:
        yield primary, replica
    finally:
        remove(primary.directory.parent)
