"""Counts that several apps keep or show: one way to count rows per row in SQL, and one way to
recount a stored count safely."""

from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def count_of(rows: models.QuerySet, *, per: str) -> Coalesce:
    """How many of `rows` each row of the outer query has, `per` being their foreign key to
    it; 0 for none. A correlated subquery, to annotate or update with:
    `Company.objects.annotate(total=count_of(Article.objects.all(), per="company"))`.

    COUNT(*) grouped by `per`, not a count of a column: an index on `per` (plus the columns
    `rows` filters on) answers it alone, an index-only scan of one range per outer row."""
    counted = (
        rows.filter(**{per: OuterRef("pk")})
        .order_by()
        .values(per)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted), Value(0))


def stored_count_refresh(
    *, model: type[models.Model], ids: Iterable[int], field: str, count: Coalesce
) -> None:
    """Set `field` of the rows `ids` of `model` to `count` (count_of() the rows it counts), in
    one UPDATE after locking the rows in id order (FOR NO KEY UPDATE): concurrent writers of
    one row take turns, and under READ COMMITTED the second counts, in a fresh statement, what
    the first committed.

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
        model._default_manager.filter(pk__in=ids).update(**{field: count})
