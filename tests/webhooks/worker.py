"""A real `manage.py db_worker` for the webhook tests (and the latency benchmark), on a
database both processes see, and `shell()` to write to that database from another process."""

import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings

from tests.hardening.servers import environment

BASE_DIR = Path(settings.BASE_DIR)


def worker_environment(database_url: str, **extra: str) -> dict[str, str]:
    return environment(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "botbeat.settings",
            "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",  # the receiver is on loopback
            **extra,
        }
    )


def manage(*args: str, env: dict[str, str], timeout: float = 300) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def shell(script: str, env: dict[str, str]):
    """Run `script` in `manage.py shell`; it prints one JSON value, returned."""
    return json.loads(manage("shell", "-v", "0", "-c", script, env=env).strip().splitlines()[-1])


class Worker:
    """`manage.py db_worker` on the webhooks queue, polling every `interval` seconds."""

    def __init__(self, env: dict[str, str], interval: float = 0.1):
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (lives as long as the worker)
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--queue-name", "webhooks",
             "--interval", str(interval), "--no-startup-delay", "--no-reload", "-v", "2"],
            cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up, as when a machine dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.seek(0)
        return self.log.read()


def sqlite_database(directory: Path) -> str:
    """A migrated SQLite file: the in-memory test database is invisible to another process."""
    url = f"sqlite:///{directory / 'worker.sqlite3'}"
    manage("migrate", "-v", "0", env=worker_environment(url))
    return url
