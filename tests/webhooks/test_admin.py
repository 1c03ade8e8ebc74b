import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from tests.factories import EditorFactory, ModeratorFactory, StaffFactory, UserFactory
from tests.webhooks.outbox import record
from webhooks import delivery, tasks
from webhooks.models import DeliveryAttempt, DeliveryCursor, Endpoint
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

ENDPOINTS = "/admin/webhooks/endpoint/"
DELIVERIES = "/admin/webhooks/deliveryattempt/"
PUBLIC_URL = "https://93.184.215.14/hooks"  # an address literal: no DNS needed


@pytest.fixture(autouse=True)
def _isolated(empty_cache, fast_password_hasher):
    """A clean cache (the sign-in throttles), a fast hasher."""


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


IDENTITIES = {
    "anonymous": lambda: Client(),
    "reader": lambda: signed_in(UserFactory()),
    "staff without a role": lambda: signed_in(StaffFactory()),
    "Editor": lambda: signed_in(EditorFactory()),
    "Moderator": lambda: signed_in(ModeratorFactory()),
    "superuser": lambda: signed_in(StaffFactory(is_superuser=True)),
}
ALLOWED = {"Editor", "superuser"}


@pytest.mark.parametrize("identity", IDENTITIES)
def test_only_editors_and_superusers_see_the_webhooks(identity):
    client = IDENTITIES[identity]()
    endpoint = endpoint_create(url=PUBLIC_URL, event_types=[])
    (change,) = record("tag.removed")
    DeliveryAttempt.objects.create(
        endpoint=endpoint, change=change, attempt=1, status_code=200, duration_ms=3
    )
    pages = [
        ENDPOINTS,
        f"{ENDPOINTS}add/",
        f"{ENDPOINTS}{endpoint.pk}/change/",
        DELIVERIES,
        f"{DELIVERIES}{DeliveryAttempt.objects.get().pk}/change/",
    ]

    answers = {page: client.get(page).status_code for page in pages}

    if identity in ALLOWED:
        assert answers == dict.fromkeys(pages, 200)
        index = client.get("/admin/").context["app_list"]
        assert "webhooks" in [app["app_label"] for app in index]
    elif identity in {"anonymous", "reader"}:
        assert answers == dict.fromkeys(pages, 302)  # to the admin's sign-in
    else:
        assert answers == dict.fromkeys(pages, 403)
        index = client.get("/admin/").context["app_list"]
        assert "webhooks" not in [app["app_label"] for app in index]
    # Nobody changed anything.
    assert client.post(f"{ENDPOINTS}add/", {"url": PUBLIC_URL}).status_code in {200, 302, 403}
    assert Endpoint.objects.count() == (2 if identity in ALLOWED else 1)


@pytest.fixture
def editor_client():
    return signed_in(EditorFactory())


def test_the_secret_is_shown_once_when_the_endpoint_is_made(editor_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = editor_client.post(
        f"{ENDPOINTS}add/",
        {"url": PUBLIC_URL, "description": "partner", "event_types": ["article", "tag.removed"]},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = Endpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert len(endpoint.secret) == len("whsec_") + 32
    assert endpoint.secret in response.content.decode()
    assert "shown this once" in response.content.decode()
    assert endpoint.event_types == ["article", "tag.removed"]
    assert DeliveryCursor.objects.filter(endpoint=endpoint).exists()
    # Never again: not on its page, not in the list, not in a message.
    for page in [f"{ENDPOINTS}{endpoint.pk}/change/", ENDPOINTS]:
        assert endpoint.secret not in editor_client.get(page).content.decode()
    # Saving its form keeps it.
    editor_client.post(
        f"{ENDPOINTS}{endpoint.pk}/change/", {"url": PUBLIC_URL + "2", "event_types": []}
    )
    changed = Endpoint.objects.get()
    assert (changed.url, changed.event_types, changed.secret) == (
        PUBLIC_URL + "2",
        [],
        endpoint.secret,
    )


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/hooks", "http://[::1]/", "http://169.254.169.254/", "ftp://93.184.215.14/"],
)
def test_a_private_target_is_refused_at_registration(editor_client, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = editor_client.post(f"{ENDPOINTS}add/", {"url": url, "event_types": []})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["url"]
    assert "public addresses only" in errors[0] or "Only http and https" in errors[0]
    assert not Endpoint.objects.exists()


def test_an_endpoint_page_shows_its_deliveries(editor_client, receiver, endpoint_for):
    endpoint = endpoint_for(receiver)
    first, _ = record("tag.removed", "article.removed")
    receiver.statuses = [500]
    delivery.drive(endpoint.pk)

    page = editor_client.get(f"{ENDPOINTS}{endpoint.pk}/change/").content.decode()

    assert f"<td>{first.id} tag.removed</td><td>1</td><td>500</td>" in page
    assert "nope nope" in page
    assert " ms</td>" in page
    deliveries = editor_client.get(DELIVERIES, {"endpoint__id__exact": endpoint.pk})
    assert deliveries.status_code == 200
    assert "nope nope" in deliveries.content.decode()


def test_send_again_hands_the_change_to_the_worker(
    editor_client, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver)
    (change,) = record("tag.removed")
    delivery.drive(endpoint.pk)
    attempt = DeliveryAttempt.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            DELIVERIES, {"action": "send_again", "_selected_action": [attempt.pk]}, follow=True
        )

    assert "will be sent again by the worker" in response.content.decode()
    queued = DBTaskResult.objects.get(task_path=tasks.resend.module_path)
    assert queued.args_kwargs["args"] == [endpoint.pk, change.id]
    assert queued.queue_name == "webhooks"
    assert len(receiver.received) == 1  # not from the request


def test_a_disabled_endpoint_is_flagged_and_can_be_enabled_again(
    editor_client, receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver)
    record("tag.removed")
    Endpoint.objects.filter(pk=endpoint.pk).update(
        is_enabled=False,
        disabled_at=endpoint.created_at,
        disabled_reason="Failing since 2026-01-01 00:00 UTC (3 days): HTTP 500",
    )
    DeliveryCursor.objects.filter(pk=endpoint.pk).update(attempts=80)

    page = editor_client.get(ENDPOINTS).content.decode()

    assert "DISABLED" in page
    assert f"The endpoint {receiver.url} is disabled: Failing since 2026-01-01" in page

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(ENDPOINTS, {"action": "enable", "_selected_action": [endpoint.pk]})

    endpoint.refresh_from_db()
    assert endpoint.is_enabled and endpoint.disabled_at is None and endpoint.failing_since is None
    assert DeliveryCursor.objects.get(pk=endpoint.pk).attempts == 0
    queued = DBTaskResult.objects.get(task_path=tasks.deliver.module_path)
    assert queued.args_kwargs["args"] == [endpoint.pk]
    assert "is disabled" not in editor_client.get(ENDPOINTS).content.decode()


def test_the_endpoint_list_costs_the_same_queries_for_1_or_20_endpoints(
    editor_client, receiver, endpoint_for
):
    def endpoints(n):
        for _ in range(n):
            endpoint = endpoint_for(receiver)
            record("tag.removed")
            delivery.drive(endpoint.pk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert editor_client.get(ENDPOINTS).status_code == 200
        return len(captured)

    endpoints(1)
    one = queries()
    endpoints(19)

    assert queries() == one
    assert editor_client.get(ENDPOINTS).content.decode().count(">200</a>") == 20
