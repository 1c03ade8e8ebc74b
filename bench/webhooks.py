"""Commit-to-receiver latency of webhook deliveries, with an idle worker (issue 13's target:
a delivery reaches a local receiver within 1 s of the commit).

`manage.py benchmark_webhooks` (botbeat/management/commands/benchmark_webhooks.py) runs
`run()`: in a database of its own (a fresh SQLite file unless --database-url names one, which
is migrated and gets the benchmark's endpoint and changes), it starts a local receiver (the
answer's arrival is timed on receipt, before anything is parsed) and a real
`manage.py db_worker --queue-name webhooks --interval I`, then writes `--deliveries` changes
one at a time, as the outbox does (a Change row and changes_recorded in the transaction),
waiting 0.3 s plus a random part of the poll interval between them, so that the worker is idle
each time and the commits fall anywhere in its poll cycle. The latency is the receipt's time
minus the commit's.

The command runs itself with that database: unless its environment already names it, it
re-executes itself with DATABASE_URL set (and WEBHOOKS_ALLOW_PRIVATE_TARGETS=true, the receiver
being on loopback), which the worker inherits.
"""

import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.core.management import call_command
from django.db import transaction

ENV_MARK = "BOTBEAT_WEBHOOKS_BENCHMARK"
TARGET_SECONDS = 1.0


class Receiver:
    """Records when each webhook-id first arrived (time.time())."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.event = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                at = time.time()
                self.rfile.read(int(self.headers.get("content-length", 0)))
                with owner.event:
                    owner.arrived.setdefault(self.headers["webhook-id"], at)
                    owner.event.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, webhook_id: str, timeout: float) -> float | None:
        with self.event:
            self.event.wait_for(lambda: webhook_id in self.arrived, timeout)
            return self.arrived.get(webhook_id)


def record_one() -> tuple[int, float]:
    """One change as the outbox writes it; its id and when its transaction committed."""
    from changes.models import Change, ChangeType
    from changes.signals import changes_recorded

    with transaction.atomic():
        change = Change.objects.create(type=ChangeType.TAG_REMOVED, key="bench", object_id=0)
        changes_recorded.send(sender=Change, changes=[change])
    return change.id, time.time()  # on_commit (the enqueue) ran before atomic() returned


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def reexec(database_url: str) -> None:
    env = {
        **os.environ,
        ENV_MARK: database_url,
        "DATABASE_URL": database_url,
        "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
    }
    sys.stdout.flush()
    manage = str(settings.BASE_DIR / "manage.py")
    os.execve(sys.executable, [sys.executable, manage, *sys.argv[1:]], env)


def run(*, deliveries: int, interval: float, say: Callable[[str], None]) -> dict[str, float]:
    from webhooks.models import Endpoint
    from webhooks.services import endpoint_create

    call_command("migrate", verbosity=0)
    receiver = Receiver()
    endpoint = endpoint_create(url=receiver.url, event_types=["tag"], description="benchmark")
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed below)
    worker = subprocess.Popen(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "db_worker",
         "--queue-name", "webhooks", "--interval", str(interval), "--no-startup-delay",
         "--no-reload"],
        env=os.environ, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    latencies: list[float] = []
    try:
        # The first delivery pays for the worker's start and its first imports: not counted.
        first, _ = record_one()
        if receiver.wait(str(first), 60) is None:
            raise RuntimeError("The worker delivered nothing within 60 s.")
        for n in range(deliveries):
            time.sleep(random.uniform(0.3, 0.7))
            change_id, committed = record_one()
            arrived = receiver.wait(str(change_id), 10)
            if arrived is None:
                raise RuntimeError(f"Change {change_id} did not arrive within 10 s.")
            latencies.append(arrived - committed)
            say(f"  {n + 1:3d}: {1000 * (arrived - committed):7.1f} ms")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
        receiver.server.shutdown()
        Endpoint.objects.filter(pk=endpoint.pk).delete()
    return {
        "median": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies),
        "min": min(latencies),
    }
