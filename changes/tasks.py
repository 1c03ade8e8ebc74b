"""The change feed's tasks (django.tasks; the worker: `manage.py db_worker`).

- `publish_due(article_id)`: enqueued by the outbox with `run_after` at the publication time
  of an article saved scheduled. When it runs, it records `article.published` (and the
  cascade: its company, tags, comments) if the article is public by then and not announced
  yet; otherwise nothing (unpublished or rescheduled meanwhile; announced already by another
  run or by `maintain`). Running it twice records nothing twice.
- `maintain()`: the periodic catch-up and pruning. It announces the public articles that no
  change announced yet (a scheduled one whose task was lost, or the articles that were there
  before the outbox), deletes the changes older than CHANGES_RETENTION_DAYS, then enqueues
  itself again for CHANGES_MAINTENANCE_SECONDS later (unless a run is already waiting):
  `manage.py changes_maintain` starts the chain, and restarts it if it was ever lost.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.tasks import task
from django.utils import timezone

from articles.models import Article
from changes.models import Announced, Change, ChangeScope, Pruned
from changes.outbox import touched

# At most this many articles announced by one catch-up (the next run takes the rest).
CATCH_UP_BATCH = 1000


def _unannounced():
    return Article.objects.published().filter(
        ~Exists(Announced.objects.filter(kind="article", object_id=OuterRef("pk")))
    )


@task()
def publish_due(*, article_id: int, at: str | None = None) -> bool:
    """Announce the article `article_id` if it is public now and not announced; True if so.
    `at`: the publication time it was enqueued for (informative: the article decides)."""
    with transaction.atomic():
        if not _unannounced().filter(pk=article_id).exists():
            return False
        touched(articles=[article_id])
        return True


def catch_up(*, limit: int = CATCH_UP_BATCH) -> int:
    """Announce up to `limit` public articles no change announced yet; how many it did."""
    with transaction.atomic():
        ids = list(
            _unannounced().order_by("published_at", "pk").values_list("pk", flat=True)[:limit]
        )
        if ids:
            touched(articles=ids)
    return len(ids)


def prune(*, now: dt.datetime | None = None) -> int:
    """Delete the changes older than CHANGES_RETENTION_DAYS; how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.CHANGES_RETENTION_DAYS)
    with transaction.atomic():
        old = Change.objects.filter(at__lt=cutoff)
        highest = old.aggregate(highest=Max("id"))["highest"]
        if highest is None:
            return 0
        # By id, not by time: ids are in commit order (changes.outbox), times need not be.
        ChangeScope.objects.filter(change_id__lte=highest).delete()
        deleted, _ = Change.objects.filter(id__lte=highest).delete()
        Pruned.objects.update_or_create(pk=1, defaults={"through_id": highest})
    return deleted


def maintenance_waiting() -> bool:
    """Whether a run of `maintain` is already enqueued and waiting (database backend only;
    another backend cannot say, and gets a run more)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover
        return False
    backend = settings.TASKS["default"]["BACKEND"]
    if backend != "django_tasks_db.DatabaseBackend":
        return False
    return DBTaskResult.objects.filter(task_path=f"{maintain.module_path}", status="READY").exists()


def schedule_maintenance(*, delay: float | None = None) -> bool:
    """Enqueue `maintain` `delay` seconds from now (CHANGES_MAINTENANCE_SECONDS by default),
    unless a run is waiting already; True if it enqueued one."""
    if maintenance_waiting():
        return False
    seconds = settings.CHANGES_MAINTENANCE_SECONDS if delay is None else delay
    maintain.using(run_after=timezone.now() + dt.timedelta(seconds=seconds)).enqueue()
    return True


@task()
def maintain() -> dict:
    """Catch up, prune, and come back later."""
    announced = catch_up()
    pruned = prune()
    schedule_maintenance(delay=0 if announced == CATCH_UP_BATCH else None)
    return {"announced": announced, "pruned": pruned}
