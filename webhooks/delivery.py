"""Delivering the outbox to the endpoints: in order per endpoint, at least once.

`drive(endpoint_id)` (run by the worker, webhooks.tasks) takes the endpoint's lease, then walks
the changes after its cursor's position in id order: a change it does not want moves the
position without a POST; a wanted one is POSTed (Standard Webhooks, signed with its secret)
and the position moves past it only on a 2xx, in the transaction that logs the attempt. A
failure logs the attempt, sets `retry_at` (exponential backoff) and stops: the next change waits
behind it, so the order holds. Crash safety:

- Killed mid-POST (SIGKILL, a lost machine): nothing was committed, the position still points
  before the change; the lease runs out (WEBHOOKS_TIMEOUT_SECONDS + LEASE_MARGIN) and the
  re-drive hands the endpoint to another worker, which POSTs the change again: a duplicate of
  the interrupted one is possible (at least once), a loss or a reordering is not.
- Every write of the cursor is conditional on the lease's token, so a worker whose lease ran
  out can no longer move the position; no POST outlives the lease (webhooks.http's deadline),
  and the lease is renewed before each.
"""

import base64
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from standardwebhooks import Webhook

from botbeat.renderers import iso_datetime
from changes.data import change_data
from changes.models import Change
from webhooks import http
from webhooks.models import DeliveryAttempt, DeliveryCursor, Endpoint
from webhooks.targets import TargetRefused, resolve

LEASE_MARGIN = timedelta(seconds=5)  # the database's writes around a POST, with room to spare
BATCH = 200  # changes read at once after the position (ids and types only)
FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(hours=1)
DISABLE_AFTER = timedelta(days=3)


def lease_length() -> timedelta:
    return timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS) + LEASE_MARGIN


def backoff(failures: int) -> timedelta:
    """How long to wait after the `failures`-th failure in a row: 5 s, 10 s, 20 s, … doubling
    up to 1 h, then hourly until the endpoint is disabled (3 days, so well over 24 h)."""
    return min(FIRST_RETRY * 2 ** min(failures - 1, 20), LONGEST_RETRY)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def payload(change: Change) -> bytes:
    """The body: `{"type", "timestamp", "data"}`, `data` the resource as the public sees it
    now, as its GET writes it (None once it is gone), `timestamp` the change's `at` as the
    change feed writes it."""
    body = {"type": change.type, "timestamp": iso_datetime(change.at), "data": change_data(change)}
    return JSONRenderer().render(body)


def send(
    endpoint: Endpoint, change: Change, *, still_ours: Callable[[], bool] | None = None
) -> http.Answer | None:
    """POST `change` to `endpoint`, signed; a refused target is a failed attempt.
    `still_ours` is asked last before the POST (after the body and the DNS lookup, which take
    their time): False, and nothing is sent (None)."""
    body = payload(change)
    try:
        target = resolve(endpoint.url)
    except TargetRefused as refused:
        message = str(refused)[:255]
        return http.Answer(None, message, message, 0.0)
    if still_ours is not None and not still_ours():
        return None
    now = timezone.now()
    signature = Webhook(endpoint.secret).sign(str(change.id), now, body.decode())
    headers = {
        "content-type": "application/json",
        "user-agent": "BotBeat-Webhooks/1",
        "webhook-id": str(change.id),
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return http.post(target, body, headers, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS)


def log(
    endpoint: Endpoint,
    change: Change,
    answer: http.Answer,
    *,
    attempt: int,
    is_resend: bool = False,
    next_retry_at: datetime | None = None,
) -> DeliveryAttempt:
    return DeliveryAttempt.objects.create(
        endpoint=endpoint,
        change=change,
        attempt=attempt,
        is_resend=is_resend,
        status_code=answer.status_code,
        duration_ms=round(answer.seconds * 1000),
        response_start=answer.start,
        error=answer.error,
        next_retry_at=next_retry_at,
    )


def claim(endpoint_id: int) -> str | None:
    """The lease on the endpoint, unless another worker holds it, the endpoint is disabled or
    its next try is not due yet."""
    now = timezone.now()
    token = secrets.token_hex(16)
    taken = (
        DeliveryCursor.objects.filter(endpoint_id=endpoint_id, endpoint__is_enabled=True)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .update(lease_token=token, leased_until=now + lease_length())
    )
    return token if taken else None


def release(endpoint_id: int, token: str) -> None:
    DeliveryCursor.objects.filter(endpoint_id=endpoint_id, lease_token=token).update(
        lease_token="", leased_until=None
    )


def held(endpoint_id: int, token: str, **changes: object) -> bool:
    """Write `changes` to the cursor and renew the lease, if `token` still holds it."""
    return bool(
        DeliveryCursor.objects.filter(endpoint_id=endpoint_id, lease_token=token).update(
            leased_until=timezone.now() + lease_length(), **changes
        )
    )


class Outcome:
    IDLE = "idle"  # nothing left to send
    BUSY = "busy"  # another worker holds the lease, or the endpoint waits or is disabled
    LOST = "lost"  # the lease ran out under us
    RETRY = "retry"  # a failure: retry_at says when
    GAP = "gap"  # waiting for a hole in the ids to fill


def drive(endpoint_id: int) -> tuple[str, datetime | None]:
    """Deliver what `endpoint_id` has pending, in order, until it is all sent or a delivery
    fails. Returns the outcome and when to drive it again (a retry, a hole), if ever."""
    token = claim(endpoint_id)
    if token is None:
        return Outcome.BUSY, None
    try:
        return _deliver(endpoint_id, token)
    finally:
        release(endpoint_id, token)


def _deliver(endpoint_id: int, token: str) -> tuple[str, datetime | None]:
    endpoint = Endpoint.objects.get(pk=endpoint_id)
    while True:
        cursor = DeliveryCursor.objects.get(pk=endpoint_id)
        if cursor.lease_token != token:
            return Outcome.LOST, None
        after = Q() if cursor.position is None else Q(id__gt=cursor.position)
        pending = list(Change.objects.filter(after).order_by("id")[:BATCH])
        if not pending:
            return Outcome.IDLE, None
        position = cursor.position
        skipped = None  # the last change not wanted, in a run of them
        for change in pending:
            if position is not None and change.id != position + 1:
                wait = _hole(endpoint_id, token, cursor, skipped)
                if wait is not None:
                    return Outcome.GAP, wait
                cursor.gap_seen_at = None  # passed: a further hole waits its own grace
            position = change.id
            if not endpoint.wants(change.type):
                skipped = change.id
                continue
            if skipped is not None:
                if not held(endpoint_id, token, position=skipped, gap_seen_at=None):
                    return Outcome.LOST, None
                skipped = None
            outcome = _attempt(endpoint, cursor, change, token)
            if outcome is not None:
                return outcome
        if skipped is not None and not held(endpoint_id, token, position=skipped, gap_seen_at=None):
            return Outcome.LOST, None


def _hole(
    endpoint_id: int, token: str, cursor: DeliveryCursor, skipped: int | None
) -> datetime | None:
    """A hole in the ids after the position: a write still in flight on PostgreSQL (its id
    taken, its commit to come) or one rolled back. Wait WEBHOOKS_GAP_GRACE_SECONDS from when it
    was first seen, then pass it. Returns when to look again, or None to go on."""
    now = timezone.now()
    grace = timedelta(seconds=settings.WEBHOOKS_GAP_GRACE_SECONDS)
    if cursor.gap_seen_at is not None and now >= cursor.gap_seen_at + grace:
        return None
    seen = cursor.gap_seen_at or now
    changes: dict[str, object] = {"gap_seen_at": seen}
    if skipped is not None:
        changes["position"] = skipped
    held(endpoint_id, token, **changes)
    return seen + grace


def _attempt(
    endpoint: Endpoint, cursor: DeliveryCursor, change: Change, token: str
) -> tuple[str, datetime | None] | None:
    """POST `change`; on a 2xx move the position past it (None: go on), else schedule the
    retry. Either way the attempt is logged in the transaction that writes the cursor."""
    # The lease renewed for the POST's length, just before it (webhooks.http's deadline).
    answer = send(endpoint, change, still_ours=lambda: held(endpoint.pk, token))
    if answer is None:
        return Outcome.LOST, None
    now = timezone.now()
    attempt = cursor.attempts + 1
    with transaction.atomic():
        if answer.status_code is not None and 200 <= answer.status_code < 300:
            if not held(
                endpoint.pk,
                token,
                position=change.id,
                attempts=0,
                retry_at=None,
                gap_seen_at=None,
            ):
                return Outcome.LOST, None
            log(endpoint, change, answer, attempt=attempt)
            if endpoint.failing_since is not None:
                Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
                endpoint.failing_since = None
            cursor.position, cursor.attempts = change.id, 0
            return None
        failing_since = endpoint.failing_since or now
        retry_at = None if now - failing_since >= DISABLE_AFTER else now + backoff(attempt)
        if not held(endpoint.pk, token, attempts=attempt, retry_at=retry_at):
            return Outcome.LOST, None
        log(endpoint, change, answer, attempt=attempt, next_retry_at=retry_at)
        fields: dict = {"failing_since": failing_since}
        if retry_at is None:
            fields |= {
                "is_enabled": False,
                "disabled_at": now,
                "disabled_reason": (
                    f"Failing since {failing_since:%Y-%m-%d %H:%M} UTC (3 days): "
                    f"{answer.error or f'HTTP {answer.status_code}'}"
                )[:255],
            }
        Endpoint.objects.filter(pk=endpoint.pk).update(**fields)
    return Outcome.RETRY, retry_at


def resend(endpoint_id: int, change_id: int) -> DeliveryAttempt | None:
    """Send `change_id` to `endpoint_id` once more, outside the ordered stream (the admin's
    "send again"): logged, never retried, the cursor untouched."""
    endpoint = Endpoint.objects.filter(pk=endpoint_id).first()
    change = Change.objects.filter(pk=change_id).first()
    if endpoint is None or change is None:
        return None
    answer = send(endpoint, change)
    assert answer is not None  # nothing to ask before the POST
    done = DeliveryAttempt.objects.filter(endpoint=endpoint, change=change).aggregate(
        n=Max("attempt")
    )
    return log(endpoint, change, answer, attempt=(done["n"] or 0) + 1, is_resend=True)


def has_pending(endpoint_id: int) -> bool:
    cursor = DeliveryCursor.objects.filter(pk=endpoint_id, endpoint__is_enabled=True).first()
    if cursor is None:
        return False
    after = Q() if cursor.position is None else Q(id__gt=cursor.position)
    return Change.objects.filter(after).exists()


def needs_driving() -> list[int]:
    """Endpoints with changes after their position that no live worker holds and whose next
    try is due: those whose delivery died with its worker, among others."""
    now = timezone.now()
    latest = Change.objects.aggregate(latest=Max("id"))["latest"]
    if latest is None:
        return []
    return list(
        DeliveryCursor.objects.filter(endpoint__is_enabled=True)
        .filter(Q(position__isnull=True) | Q(position__lt=latest))
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
        .values_list("endpoint_id", flat=True)
    )
