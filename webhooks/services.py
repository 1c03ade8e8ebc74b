"""Writes on endpoints, which the admin calls."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from changes.models import Change
from webhooks.delivery import new_secret
from webhooks.models import DeliveryCursor, Endpoint
from webhooks.tasks import deliver, resend


def endpoint_create(*, url: str, event_types: list[str], description: str = "") -> Endpoint:
    """A new endpoint with a new secret, receiving the changes made from now on."""
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            url=url, event_types=event_types, description=description, secret=new_secret()
        )
        latest = Change.objects.aggregate(latest=Max("id"))["latest"]
        DeliveryCursor.objects.create(endpoint=endpoint, position=latest)
    return endpoint


def endpoint_enable(*, endpoint: Endpoint, skip_backlog: bool = False) -> None:
    """Enable `endpoint` again: it resumes with the change it failed on, or, with
    `skip_backlog`, with the changes made from now on."""
    with transaction.atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(
            is_enabled=True, disabled_at=None, disabled_reason="", failing_since=None
        )
        cursor = {"attempts": 0, "retry_at": None, "gap_seen_at": None}
        if skip_backlog:
            cursor["position"] = Change.objects.aggregate(latest=Max("id"))["latest"]
        DeliveryCursor.objects.filter(endpoint=endpoint).update(**cursor)
        transaction.on_commit(lambda: deliver.enqueue(endpoint.pk), robust=True)


def endpoint_disable(*, endpoint: Endpoint, reason: str) -> None:
    Endpoint.objects.filter(pk=endpoint.pk).update(
        is_enabled=False, disabled_at=timezone.now(), disabled_reason=reason[:255]
    )


def delivery_resend(*, endpoint_id: int, change_id: int) -> None:
    """Have the worker send the change to the endpoint once more (never from the request)."""
    transaction.on_commit(lambda: resend.enqueue(endpoint_id, change_id), robust=True)
