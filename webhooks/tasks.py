"""The worker's side of the webhooks (django.tasks, queue "webhooks"; run
`manage.py db_worker --queue-name default,webhooks`)."""

from datetime import timedelta

from django.conf import settings
from django.tasks import task, task_backends
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from webhooks import delivery

QUEUE = "webhooks"


@task(queue_name=QUEUE)
def deliver(endpoint_id: int) -> str:
    """Deliver the endpoint's pending changes in order (webhooks.delivery.drive), and drive it
    again when a retry or a hole in the ids is due."""
    redrive_ensure()
    while True:
        outcome, again = delivery.drive(endpoint_id)
        # A change committed while we held the lease may have had its own task turned away
        # (BUSY): having let go, look once more.
        if outcome != delivery.Outcome.IDLE or not delivery.has_pending(endpoint_id):
            break
    if again is not None:
        deliver.using(run_after=again).enqueue(endpoint_id)
    return outcome


@task(queue_name=QUEUE)
def resend(endpoint_id: int, change_id: int) -> int | None:
    """The admin's "send again": one more POST of the change, out of the ordered stream."""
    attempt = delivery.resend(endpoint_id, change_id)
    return None if attempt is None else attempt.status_code


@task(queue_name=QUEUE)
def redrive() -> list[int]:
    """Every WEBHOOKS_REDRIVE_SECONDS: drive the endpoints that have changes pending and no
    live worker on them. django-tasks-db leaves a task whose worker was killed RUNNING for
    ever and never runs it again; its endpoint's lease runs out, and this hands it on."""
    redrive_ensure()  # the next round, first: a kill during this one loses no round
    endpoint_ids = delivery.needs_driving()
    for endpoint_id in endpoint_ids:
        deliver.enqueue(endpoint_id)
    return endpoint_ids


def redrive_ensure() -> None:
    """Keep one round of `redrive` waiting in the queue. Every delivery calls it, so the
    rounds start with the first delivery and go on across restarts (a waiting task is a row
    in the database). Two workers may both add one: the next rounds see the other waiting and
    the two chains become one. With another backend (a broker's), schedule `redrive` with its
    scheduler instead (README)."""
    if not isinstance(task_backends[redrive.backend], DatabaseBackend):
        return
    waiting = DBTaskResult.objects.filter(
        task_path=redrive.module_path, status="READY", backend_name=redrive.backend
    )
    if not waiting.exists():
        run_after = timezone.now() + timedelta(seconds=settings.WEBHOOKS_REDRIVE_SECONDS)
        redrive.using(run_after=run_after).enqueue()
