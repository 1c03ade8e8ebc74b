"""Webhook endpoints, where each stands in the outbox, and the log of what was sent to them.

An endpoint is registered in the admin; its `DeliveryCursor` is written only by the worker
(webhooks/delivery.py), so that saving the endpoint's form never races a delivery; each POST
leaves a `DeliveryAttempt`."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from changes.models import Change, ChangeType

# What an endpoint may ask for: a type, or a kind ("article": every article.* type).
KINDS = sorted({value.partition(".")[0] for value in ChangeType.values})
EVENT_CHOICES = [(kind, f"every {kind} event") for kind in KINDS] + list(ChangeType.choices)


class Endpoint(models.Model):
    url = models.URLField("URL", max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Types ("article.published") or kinds ("article"); empty: every type.
    event_types = models.JSONField(default=list, blank=True)
    # The Standard Webhooks secret ("whsec_" + base64 of 24 random bytes): kept as is, since it
    # signs every delivery; shown once, when the endpoint is made (webhooks/admin.py).
    secret = models.CharField(max_length=64, editable=False)
    is_enabled = models.BooleanField("enabled", default=True)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=255, blank=True, editable=False)
    # The first failure that no 2xx has followed since: 3 days of it disable the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, change_type: str) -> bool:
        if not self.event_types:
            return True
        return change_type in self.event_types or change_type.partition(".")[0] in self.event_types


class DeliveryCursor(models.Model):
    """Where `endpoint` stands in the outbox, and who is delivering to it.

    `position` is the id of the last change handled (delivered with a 2xx, or not wanted); it
    moves only forward, only in the transaction that logs the 2xx, and only by the holder of
    the lease (`lease_token` until `leased_until`): one delivery at a time per endpoint, in
    the outbox's order. A worker killed mid-delivery leaves its lease to expire; the re-drive
    (webhooks.tasks.redrive) then hands the endpoint to another, which sends that change again
    (at least once)."""

    endpoint = models.OneToOneField(
        Endpoint, on_delete=models.CASCADE, primary_key=True, related_name="cursor"
    )
    # None: no change yet when the endpoint was made; it starts with the first one.
    position = models.BigIntegerField(null=True)
    # After a failure, the change after `position` waits until then; `attempts` failed so far.
    retry_at = models.DateTimeField(null=True)
    attempts = models.PositiveIntegerField(default=0)
    lease_token = models.CharField(max_length=32, blank=True)
    leased_until = models.DateTimeField(null=True)
    # When the worker first found a hole in the ids after `position` (webhooks.delivery).
    gap_seen_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.endpoint_id} at {self.position}"


class DeliveryAttempt(models.Model):
    """One POST of `change` to `endpoint`: its answer's status (None: no answer, see `error`),
    how long it took, the start of the answer, and when the next try is due after a failure."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="attempts")
    # Pruned with the outbox (CHANGES_RETENTION_DAYS): the log is kept as long as the change.
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="+")
    attempt = models.PositiveIntegerField()
    is_resend = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True)
    duration_ms = models.PositiveIntegerField()
    response_start = models.TextField(blank=True)  # the answer's first 500 bytes, or the error
    error = models.CharField(max_length=255, blank=True)
    attempted_at = models.DateTimeField(default=timezone.now)
    next_retry_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # An endpoint's deliveries, newest first (its admin page, the log's endpoint filter).
            models.Index(fields=["endpoint", "-id"], name="delivery_endpoint_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status_code__isnull=False) | ~Q(error=""),
                name="delivery_status_or_error",
            )
        ]

    def __str__(self) -> str:
        return f"{self.change_id} → {self.endpoint_id} #{self.attempt}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
