"""Stored counts that several apps keep: one way to recount them safely."""

from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import Subquery
from django.db.models.functions import Coalesce


def stored_count_refresh(
    *, model: type[models.Model], ids: Iterable[int], field: str, count: models.QuerySet
) -> None:
    """Set `field` of the rows `ids` of `model` to `count` (a correlated subquery on
    OuterRef("pk") giving one number), in one UPDATE after locking the rows in id order
    (FOR NO KEY UPDATE): concurrent writers of one row take turns, and under READ COMMITTED
    the second counts, in a fresh statement, what the first committed.

    No purge of its own: such a count changes only with the rows it counts, whose writes purge
    the answers that show it (botbeat/signals.py)."""
    ids = sorted(set(ids))
    if not ids:
        return
    with transaction.atomic(savepoint=False):
        list(
            model._default_manager.select_for_update(no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        model._default_manager.filter(pk__in=ids).update(**{field: Coalesce(Subquery(count), 0)})
