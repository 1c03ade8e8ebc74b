import datetime as dt

import pytest
from django.utils import timezone

from tests.webhooks.receiver import Receiver
from webhooks.services import endpoint_create


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    """The receivers listen on loopback: allowed here, refused by default (test_targets)."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def endpoint_for(db):
    def make(receiver, event_types=()):
        return endpoint_create(url=receiver.url, event_types=list(event_types))

    return make


class Clock:
    """timezone.now(), moved by hand."""

    def __init__(self):
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def move(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock
