"""THE worker test: a real `manage.py db_worker`, killed (SIGKILL) in the middle of a
delivery, restarted: every change arrives, in order, none lost (the interrupted one may come
twice: at least once)."""

import time

import pytest
from django.db import connection
from standardwebhooks import Webhook

from tests.hardening.servers import database_url
from tests.webhooks.worker import Worker, shell, sqlite_database, worker_environment

SETUP = """
import json
from webhooks.services import endpoint_create
endpoint = endpoint_create(url={url!r}, event_types=["tag", "article"])
print(json.dumps(endpoint.secret))
"""
RECORD = """
import json
from tests.webhooks.outbox import record
ids = []
for i in range({count}):
    ids += [c.id for c in record({types!r}[i % len({types!r})], key=f"k{{i}}")]
print(json.dumps(ids))
"""
STATE = """
import json
from webhooks.models import DeliveryAttempt, DeliveryCursor
cursor = DeliveryCursor.objects.get()
print(json.dumps({"position": cursor.position, "log": list(
    DeliveryAttempt.objects.order_by("id").values_list("change_id", "status_code"))}))
"""
TYPES = ["tag.removed", "article.removed", "company.removed"]  # the endpoint skips companies


@pytest.fixture
def worker_database(tmp_path):
    """A database the worker subprocess sees: PostgreSQL's test database (committed to, the
    test being transactional), or on SQLite a migrated file (the test database is in memory)."""
    if connection.vendor == "postgresql":
        return database_url()
    return sqlite_database(tmp_path)


def record(env, count: int) -> list[int]:
    return shell(RECORD.format(count=count, types=TYPES), env)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing_and_reorders_nothing(worker_database, receiver):
    # Short timeout and re-drive rounds, so that the dead worker's lease (timeout + 5 s) runs
    # out and is handed on within seconds.
    env = worker_environment(
        worker_database, WEBHOOKS_TIMEOUT_SECONDS="2", WEBHOOKS_REDRIVE_SECONDS="1"
    )
    secret = shell(SETUP.format(url=receiver.url), env)
    before = record(env, 6)
    wanted = [i for n, i in enumerate(before) if TYPES[n % 3] != "company.removed"]
    interrupted = wanted[2]
    receiver.block_on(str(interrupted))

    worker = Worker(env)
    try:
        assert receiver.arrived.wait(60), worker.stop()
        worker.kill()
        assert receiver.ids() == wanted[:3]  # the third is the one in flight
    finally:
        log = worker.stop()
    receiver.release()
    # Written while no worker runs: their tasks wait in the database.
    after = record(env, 6)
    wanted += [i for n, i in enumerate(after) if TYPES[n % 3] != "company.removed"]

    restarted = Worker(env)
    try:
        receiver.wait_for(len(wanted), timeout=60)
        time.sleep(1)  # anything more (a duplicate, a stray) would come now
    finally:
        log += restarted.stop()

    arrivals = receiver.ids()
    first_seen = list(dict.fromkeys(arrivals))
    assert first_seen == wanted, log  # all of them, in order
    # Only the interrupted one came twice, and its second coming is the next one out.
    assert [i for i in set(arrivals) if arrivals.count(i) > 1] == [interrupted]
    assert arrivals[: len(wanted[:3]) + 1] == [*wanted[:3], interrupted]
    for got in receiver.received:
        assert Webhook(secret).verify(got.body, got.headers)["type"] in {
            "tag.removed",
            "article.removed",
        }
    state = shell(STATE, env)
    assert state["position"] == after[-1]
    assert [change for change, status in state["log"]] == wanted  # one 2xx logged each
    assert {status for _, status in state["log"]} == {200}
