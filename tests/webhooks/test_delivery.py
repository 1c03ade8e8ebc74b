import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from rest_framework.renderers import JSONRenderer
from standardwebhooks import Webhook

from changes.data import change_data
from changes.models import Change
from tests.factories import ArticleFactory
from tests.webhooks.outbox import record
from webhooks import delivery, tasks
from webhooks.models import DeliveryAttempt, DeliveryCursor, Endpoint

pytestmark = pytest.mark.django_db


def deliver_task_args() -> list[list]:
    rows = DBTaskResult.objects.filter(task_path=tasks.deliver.module_path, status="READY")
    return [row.args_kwargs["args"] for row in rows.order_by("enqueued_at")]


def test_a_delivery_is_signed_and_verifies_with_standardwebhooks(api, receiver, endpoint_for):
    endpoint = endpoint_for(receiver)
    article = ArticleFactory()
    (change,) = record("article.published", key=article.slug, object_id=article.pk)

    assert delivery.drive(endpoint.pk) == (delivery.Outcome.IDLE, None)

    (got,) = receiver.received
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == str(change.id)
    assert got.headers["webhook-signature"].startswith("v1,")
    payload = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert payload == {
        "type": "article.published",
        "timestamp": change.at.isoformat().replace("+00:00", "Z"),
        "data": json.loads(JSONRenderer().render(change_data(change))),
    }
    # The article as its public GET shows it.
    assert payload["data"] == api.get(f"/api/v1/articles/{article.slug}/").json()
    assert payload["data"]["slug"] == article.slug
    # Another secret does not verify it.
    with pytest.raises(Exception, match="signature"):
        Webhook(delivery.new_secret()).verify(got.body, got.headers)
    (attempt,) = DeliveryAttempt.objects.all()
    assert (attempt.change_id, attempt.status_code, attempt.attempt) == (change.id, 200, 1)
    assert attempt.response_start == '{"ok": true}'
    assert attempt.duration_ms >= 0
    assert DeliveryCursor.objects.get(pk=endpoint.pk).position == change.id


def test_a_removal_carries_null_data(receiver, endpoint_for):
    endpoint = endpoint_for(receiver)
    record("article.removed", key="old-slug")

    delivery.drive(endpoint.pk)

    payload = Webhook(endpoint.secret).verify(
        receiver.received[0].body, receiver.received[0].headers
    )
    assert payload["type"] == "article.removed"
    assert payload["data"] is None


def test_changes_arrive_in_the_outbox_order(receiver, endpoint_for):
    endpoint = endpoint_for(receiver)
    changes = [record("tag.removed", key=f"t{i}")[0] for i in range(5)]
    changes += record("article.removed", "company.removed")

    delivery.drive(endpoint.pk)

    assert receiver.ids() == [change.id for change in changes]


def test_an_endpoint_gets_only_the_types_it_wants_and_passes_the_others(receiver, endpoint_for):
    endpoint = endpoint_for(receiver, ["article", "comment.removed"])
    changes = record(
        "tag.removed", "article.removed", "company.removed", "comment.removed", "comment.updated"
    )

    delivery.drive(endpoint.pk)

    assert receiver.ids() == [changes[1].id, changes[3].id]
    # The ones it does not want moved its position all the same, without a POST.
    assert DeliveryCursor.objects.get(pk=endpoint.pk).position == changes[-1].id
    assert DeliveryAttempt.objects.count() == 2


def test_an_endpoint_starts_with_the_changes_made_after_it(receiver, endpoint_for):
    (before,) = record("tag.removed")
    endpoint = endpoint_for(receiver)
    (after,) = record("tag.removed")

    delivery.drive(endpoint.pk)

    assert receiver.ids() == [after.id]
    assert before.id < after.id


def test_the_commit_hands_the_endpoints_that_want_it_to_the_worker(
    receiver, endpoint_for, django_capture_on_commit_callbacks
):
    wants_tags = endpoint_for(receiver, ["tag"])
    wants_articles = endpoint_for(receiver, ["article"])
    Endpoint.objects.create(url=receiver.url, secret=delivery.new_secret(), is_enabled=False)

    with django_capture_on_commit_callbacks(execute=True):
        record("tag.updated", "tag.removed")

    assert deliver_task_args() == [[wants_tags.pk]]
    assert receiver.received == []  # nothing sent from the request
    assert DBTaskResult.objects.get(task_path=tasks.deliver.module_path).queue_name == "webhooks"
    del wants_articles


def test_a_rolled_back_write_hands_nothing_to_the_worker(
    receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint_for(receiver)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record("tag.updated")
        raise RuntimeError

    assert deliver_task_args() == []


def test_a_failure_is_retried_with_backoff_and_holds_back_the_next_change(
    receiver, endpoint_for, clock
):
    endpoint = endpoint_for(receiver)
    first, second = record("tag.removed", "article.removed")
    receiver.statuses = [500, 503]

    outcome, again = delivery.drive(endpoint.pk)

    assert outcome == delivery.Outcome.RETRY
    assert again == clock.now + dt.timedelta(seconds=5)
    assert receiver.ids() == [first.id]
    failed = DeliveryAttempt.objects.get()
    assert (failed.status_code, failed.attempt, failed.next_retry_at) == (500, 1, again)
    assert failed.response_start == ("nope " * 100)[:500]
    assert Endpoint.objects.get(pk=endpoint.pk).failing_since == clock.now

    # Before the retry is due, nothing goes out, not even the next change.
    clock.move(seconds=4)
    assert delivery.drive(endpoint.pk) == (delivery.Outcome.BUSY, None)
    assert receiver.ids() == [first.id]

    clock.move(seconds=1)
    outcome, again = delivery.drive(endpoint.pk)
    assert (outcome, again) == (delivery.Outcome.RETRY, clock.now + dt.timedelta(seconds=10))
    clock.move(seconds=10)
    assert delivery.drive(endpoint.pk) == (delivery.Outcome.IDLE, None)

    assert receiver.ids() == [first.id, first.id, first.id, second.id]
    assert list(DeliveryAttempt.objects.order_by("id").values_list("attempt", "status_code")) == [
        (1, 500),
        (2, 503),
        (3, 200),
        (1, 200),
    ]
    assert Endpoint.objects.get(pk=endpoint.pk).failing_since is None


def test_the_retry_schedule_doubles_and_keeps_trying_past_24_hours():
    waits = [delivery.backoff(n) for n in range(1, 13)]
    assert [w.total_seconds() for w in waits[:5]] == [5, 10, 20, 40, 80]
    assert waits[-1] == delivery.backoff(1000) == dt.timedelta(hours=1)  # then hourly
    # Tried until the endpoint is disabled after 3 days: well past 24 hours of retries.
    elapsed, failures = dt.timedelta(), 0
    while elapsed < delivery.DISABLE_AFTER:
        failures += 1
        elapsed += delivery.backoff(failures)
    assert failures > 70


def test_the_failed_retry_task_is_enqueued_to_run_after_the_backoff(receiver, endpoint_for, clock):
    endpoint = endpoint_for(receiver)
    record("tag.removed")
    receiver.statuses = [500]

    tasks.deliver.call(endpoint.pk)

    retry = DBTaskResult.objects.get(task_path=tasks.deliver.module_path)
    assert retry.args_kwargs["args"] == [endpoint.pk]
    assert retry.run_after == clock.now + dt.timedelta(seconds=5)
    # The re-drive's next round waits in the queue too.
    assert DBTaskResult.objects.filter(task_path=tasks.redrive.module_path).count() == 1


def test_an_endpoint_failing_for_3_days_is_disabled(receiver, endpoint_for, clock):
    endpoint = endpoint_for(receiver)
    record("tag.removed")
    receiver.statuses = [500] * 1000

    delivery.drive(endpoint.pk)
    started = clock.now
    while clock.now - started < dt.timedelta(days=3):
        retry_at = DeliveryCursor.objects.get(pk=endpoint.pk).retry_at
        assert retry_at is not None
        clock.now = retry_at
        delivery.drive(endpoint.pk)

    endpoint.refresh_from_db()
    assert not endpoint.is_enabled
    assert endpoint.disabled_at == clock.now
    assert endpoint.failing_since == started
    assert endpoint.disabled_reason.startswith("Failing since")
    assert "HTTP 500" in endpoint.disabled_reason
    last = DeliveryAttempt.objects.order_by("-id").first()
    assert last.next_retry_at is None
    # Tried all along, hourly at the end.
    assert DeliveryAttempt.objects.count() > 70
    # Disabled, it gets nothing more.
    clock.move(days=1)
    sent = len(receiver.received)
    assert delivery.drive(endpoint.pk) == (delivery.Outcome.BUSY, None)
    assert len(receiver.received) == sent


def test_no_answer_within_the_timeout_is_a_failure(receiver, endpoint_for, settings):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 1
    receiver.delay = 3
    endpoint = endpoint_for(receiver)
    record("tag.removed")

    outcome, _ = delivery.drive(endpoint.pk)

    assert outcome == delivery.Outcome.RETRY
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error == "no answer within 1 s"
    assert 900 <= attempt.duration_ms < 2500


def test_a_refused_connection_is_a_failure(endpoint_for, receiver):
    endpoint = endpoint_for(receiver)
    receiver.stop()
    record("tag.removed")

    assert delivery.drive(endpoint.pk)[0] == delivery.Outcome.RETRY
    assert "ConnectionRefusedError" in DeliveryAttempt.objects.get().error


def test_one_worker_at_a_time_holds_an_endpoint(receiver, endpoint_for, clock):
    endpoint = endpoint_for(receiver)
    record("tag.removed")
    token = delivery.claim(endpoint.pk)
    assert token is not None

    # Another worker is turned away while the lease lasts...
    assert delivery.drive(endpoint.pk) == (delivery.Outcome.BUSY, None)
    assert receiver.received == []
    # ... and takes over once it ran out (its holder died): the change goes out.
    clock.move(seconds=16)
    assert delivery.drive(endpoint.pk) == (delivery.Outcome.IDLE, None)
    assert len(receiver.received) == 1
    # The dead holder's token can no longer move the position.
    assert not delivery.held(endpoint.pk, token, position=0)


def test_the_redrive_hands_on_endpoints_whose_worker_died(receiver, endpoint_for, clock):
    endpoint = endpoint_for(receiver)
    idle = endpoint_for(receiver)
    record("tag.removed")
    delivery.drive(idle.pk)  # up to date
    receiver.received.clear()
    delivery.claim(endpoint.pk)  # a worker took it, then was killed

    assert tasks.redrive.call() == []  # its lease still runs
    clock.move(seconds=16)
    assert tasks.redrive.call() == [endpoint.pk]

    assert deliver_task_args() == [[endpoint.pk]]
    nxt = DBTaskResult.objects.get(task_path=tasks.redrive.module_path, status="READY")
    assert nxt.run_after > clock.now


def test_a_hole_in_the_ids_is_waited_for_then_passed(receiver, endpoint_for, clock, settings):
    settings.WEBHOOKS_GAP_GRACE_SECONDS = 10
    endpoint = endpoint_for(receiver)
    (first,) = record("tag.removed")
    delivery.drive(endpoint.pk)
    # A write took first.id + 1 and has not committed yet (or rolled back): the next one shows.
    with transaction.atomic():
        later = Change.objects.create(id=first.id + 2, type="tag.removed", key="k", object_id=1)

    assert delivery.drive(endpoint.pk) == (
        delivery.Outcome.GAP,
        clock.now + dt.timedelta(seconds=10),
    )
    clock.move(seconds=5)
    assert delivery.drive(endpoint.pk)[0] == delivery.Outcome.GAP
    assert receiver.ids() == [first.id]

    # The late one commits within the grace: it goes first.
    late = Change.objects.create(id=first.id + 1, type="tag.removed", key="k", object_id=1)
    assert delivery.drive(endpoint.pk)[0] == delivery.Outcome.IDLE
    assert receiver.ids() == [first.id, late.id, later.id]

    # A hole that never fills (a rolled-back write) is passed after the grace.
    Change.objects.create(id=later.id + 2, type="tag.removed", key="k", object_id=1)
    assert delivery.drive(endpoint.pk)[0] == delivery.Outcome.GAP
    clock.move(seconds=10)
    assert delivery.drive(endpoint.pk)[0] == delivery.Outcome.IDLE
    assert receiver.ids()[-1] == later.id + 2


def test_resending_posts_again_out_of_band(receiver, endpoint_for):
    endpoint = endpoint_for(receiver)
    first, second = record("tag.removed", "tag.removed")
    delivery.drive(endpoint.pk)

    tasks.resend.call(endpoint.pk, first.id)

    assert receiver.ids() == [first.id, second.id, first.id]
    again = DeliveryAttempt.objects.order_by("-id").first()
    assert (again.is_resend, again.attempt, again.status_code) == (True, 2, 200)
    assert Webhook(endpoint.secret).verify(
        receiver.received[-1].body, receiver.received[-1].headers
    )
    assert DeliveryCursor.objects.get(pk=endpoint.pk).position == second.id


def test_one_round_of_the_redrive_waits_in_the_queue_at_a_time(clock, settings):
    settings.WEBHOOKS_REDRIVE_SECONDS = 30
    waiting = DBTaskResult.objects.filter(task_path=tasks.redrive.module_path, status="READY")

    tasks.redrive_ensure()
    tasks.redrive_ensure()
    assert waiting.count() == 1

    # A worker takes that round: the round schedules the next one first thing.
    waiting.update(status="RUNNING")
    tasks.redrive.call()
    (following,) = waiting
    assert following.run_after == clock.now + dt.timedelta(seconds=30)
    assert following.queue_name == "webhooks"


def test_the_command_queues_a_redrive_round_for_the_worker():
    out = StringIO()
    call_command("webhooks_redrive", stdout=out)

    queued = DBTaskResult.objects.get(task_path=tasks.redrive.module_path)
    assert (queued.status, queued.queue_name) == ("READY", "webhooks")
    assert str(queued.id) in out.getvalue()
