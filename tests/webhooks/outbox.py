"""What the outbox (changes.outbox) does, for the webhook tests: Change rows, and
changes_recorded sent inside the write's transaction."""

from django.db import transaction

from changes.models import Change
from changes.signals import changes_recorded


def record(*types: str, key: str = "gone", object_id: int = 1) -> list[Change]:
    with transaction.atomic():
        rows = [Change.objects.create(type=t, key=key, object_id=object_id) for t in types]
        changes_recorded.send(sender=Change, changes=rows)
    return rows
