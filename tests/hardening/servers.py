"""Real servers for the hardening tests: gunicorn as deployed, and a TCP proxy to cut.

`Gunicorn` starts `gunicorn botbeat.wsgi` on a free loopback port with an environment of the
test's choosing (nothing of this process's settings leaks into it) and stops it. `Proxy` sits
between the app and a backend (PostgreSQL, Redis): `cut()` closes every connection and refuses
new ones, as a restarting server does; `blackhole()` accepts connections and never answers, as
an unreachable host does; `restore()` forwards again.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.datastructures import CaseInsensitiveMapping

BASE_DIR = Path(settings.BASE_DIR)
GUNICORN = Path(sys.executable).parent / "gunicorn"
GRANIAN = Path(sys.executable).parent / "granian"
# The variables settings.py reads: the servers started here get only those the test gives.
SETTINGS_VARIABLES = {
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "BEHIND_TLS_PROXY",
    "CORS_ALLOWED_ORIGINS", "CORS_ALLOW_CREDENTIALS", "SECURE_HSTS_SECONDS", "RESPONSE_CACHE",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "DATABASE_STATEMENT_TIMEOUT_MS",
    "DATABASE_CONNECT_TIMEOUT", "CONN_MAX_AGE", "DJANGO_SETTINGS_MODULE", "API_MAX_BODY_BYTES",
    "BENCHMARK_CEILING_BYTES", "THROTTLE_COMMENT_POST", "THROTTLE_REGISTER", "THROTTLE_TOKEN",
    "DJANGO_ALLOW_ASYNC_UNSAFE", "EDGE_PURGER", "VARNISH_PURGE_URLS", "THROTTLE_COMMENT_EDIT",
    "API_CACHE_MAX_AGE", "API_CACHE_S_MAXAGE", "AUTH_TOKEN_TTL_DAYS", "DATA_UPLOAD_MAX_MEMORY_SIZE",
    "LOG_LEVEL", "LOGIN_FAILURE_LIMIT", "LOGIN_LOCKOUT_MINUTES", "NUM_PROXIES", "STATIC_ROOT",
    "WHITENOISE_USE_FINDERS", "CSRF_TRUSTED_ORIGINS", "THROTTLE_READ", "PREVIEW_TTL_HOURS",
    "CHANGES_RETENTION_DAYS", "TASKS_BACKEND", "WEBHOOKS_ALLOW_PRIVATE_TARGETS",
    "WEBHOOKS_TIMEOUT_SECONDS", "WEBHOOKS_REDRIVE_SECONDS", "WEBHOOKS_GAP_GRACE_SECONDS",
    "CHANGES_MAINTENANCE_SECONDS", "THROTTLE_COMMENT_LIKE", "THROTTLE_COMMENT_FLAG",
    "COMMENT_FLAG_THRESHOLD", "COMMENT_PREMODERATION", "COMMENT_DUPLICATE_MINUTES",
    "DATABASE_REPLICA_URLS", "DATABASE_REPLICA_MAX_LAG_SECONDS",
    "DATABASE_POOLER", "DATABASE_POOL_MIN_SIZE", "DATABASE_POOL_MAX_SIZE",
    "DATABASE_POOL_TIMEOUT",
}  # fmt: skip


def environment(*layers: dict[str, str]) -> dict[str, str]:
    """This process's environment without its settings, then `layers` over it, in order."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    for layer in layers:
        env.update(layer)
    return env


def database_target() -> tuple[str, int]:
    from django.db import connection

    return connection.settings_dict["HOST"] or "127.0.0.1", int(
        connection.settings_dict["PORT"] or 5432
    )


def database_url(port: int | None = None) -> str:
    """The test database's URL (PostgreSQL), through `port` (a proxy) or straight."""
    from django.db import connection

    s = connection.settings_dict
    user = f"{s['USER']}:{s['PASSWORD']}@" if s["PASSWORD"] else f"{s['USER']}@"
    return f"postgres://{user}127.0.0.1:{port or database_target()[1]}/{s['NAME']}"


def end_other_sessions(timeout: float = 10) -> None:
    """End every other session on the test database (PostgreSQL), and wait until they are gone:
    what servers and proxies a test stopped may leave behind (a connection the fault tests hung
    keeps its transaction, and its locks, until the server notices). The database's flush after
    a transactional test would otherwise wait for them past its statement timeout."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")
        while time.monotonic() < deadline:
            cursor.execute(f"SELECT COUNT(*) {others}")
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: CaseInsensitiveMapping
    body: bytes
    seconds: float
    started: float

    def json(self):
        return json.loads(self.body)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http(
    method: str, url: str, *, body: dict | None = None, timeout: float = 15, **headers
) -> Answer:
    """One request; any HTTP status is an Answer (a connection error raises OSError)."""
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    opener = urllib.request.build_opener(NoRedirects)
    started = time.monotonic()
    try:
        with opener.open(request, timeout=timeout) as response:
            status, answer_headers, content = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, content = error.code, error.headers, error.read()
    # Case-insensitive, as HTTP's names are: granian sends them in lower case.
    headers = CaseInsensitiveMapping(dict(answer_headers))
    return Answer(status, headers, content, time.monotonic() - started, started)


def end(process: subprocess.Popen, timeout: float = 10) -> None:
    """Stop `process` if it runs: SIGTERM, then SIGKILL after `timeout` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Gunicorn:
    """`gunicorn botbeat.wsgi` (sync workers) on a free loopback port."""

    def __init__(self, env: dict[str, str], workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A file, not a pipe: an outage logs an error per request, and a pipe nobody reads
        # fills up and blocks the workers.
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  (lives as long as the server)
        self.process = subprocess.Popen(
            self.command(workers), cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def command(self, workers: int) -> list[str]:
        return [str(GUNICORN), "botbeat.wsgi", "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(workers), "--timeout", "30", "--graceful-timeout", "5",
                "--no-control-socket"]  # fmt: skip

    def wait_until_alive(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {self.stop()}")
            with contextlib.suppress(OSError):
                if http("GET", f"{self.url}/healthz", timeout=5).status == 200:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not answer within {timeout} s: {self.stop()}")
            time.sleep(0.2)

    def stop(self) -> str:
        """Stop the server (if it runs); its output."""
        end(self.process, timeout=20)
        self.log.seek(0)
        return self.log.read()


class Granian(Gunicorn):
    """`granian --interface wsgi botbeat.wsgi:application`, as the README deploys it."""

    def command(self, workers: int) -> list[str]:
        return [str(GRANIAN), "--interface", "wsgi", "botbeat.wsgi:application",
                "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
                "--blocking-threads", "4", "--no-ws"]  # fmt: skip


class Proxy:
    """A TCP proxy on a free loopback port to `target` (host, port), in threads of this process."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.mode = "down"
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        """Forward again: new connections reach the target."""
        self.mode = "up"
        self._listen()

    def cut(self) -> None:
        """Close every connection and refuse new ones: the target is restarting."""
        self.mode = "down"
        self._stop_listening()
        self._drop_connections()

    def blackhole(self) -> None:
        """Drop every connection, then accept new ones and never answer: a lost host."""
        self.mode = "blackhole"
        self._drop_connections()
        self._listen()

    def close(self) -> None:
        self.cut()

    def _listen(self) -> None:
        if self.listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self.listener = listener
        self.acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self.acceptor.start()

    def _stop_listening(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            # The port is free once the thread's accept() returns (0.1 s at most), not before.
            self.acceptor.join()
            listener.close()

    def _drop_connections(self) -> None:
        with self.lock:
            sockets, self.sockets = self.sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self.listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.listener is not listener:  # cut meanwhile
                client.close()
                return
            client.settimeout(None)
            with self.lock:
                self.sockets.add(client)
            if self.mode == "blackhole":
                continue  # held open, never answered
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets.add(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with self.lock:
                    self.sockets.discard(sock)
                sock.close()
