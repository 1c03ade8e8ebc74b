"""Once the outbox's transaction commits, hand each endpoint that wants one of its changes to
the worker. Nothing is sent from the web request; a lost enqueue (the task store down) is
made up by the re-drive (webhooks.tasks.redrive)."""

from functools import partial

from django.db import transaction
from django.dispatch import receiver

from changes.signals import changes_recorded
from webhooks.models import Endpoint
from webhooks.tasks import deliver


@receiver(changes_recorded, dispatch_uid="webhooks_deliver")
def deliver_on_commit(sender, changes, **kwargs) -> None:
    types = {change.type for change in changes}
    transaction.on_commit(partial(enqueue_deliveries, types), robust=True)


def enqueue_deliveries(types: set[str]) -> None:
    for endpoint in Endpoint.objects.filter(is_enabled=True).only("id", "event_types"):
        if any(endpoint.wants(change_type) for change_type in types):
            deliver.enqueue(endpoint.pk)
