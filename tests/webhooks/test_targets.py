import socket

import pytest

from tests.webhooks.outbox import record
from webhooks import delivery
from webhooks.models import DeliveryAttempt
from webhooks.targets import TargetRefused, resolve

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # a cloud's metadata service
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "224.0.0.1",
    "0.0.0.0",
    "240.0.0.1",
    "255.255.255.255",
    "[::1]",
    "[::]",
    "[fe80::1]",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[ff02::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:10.0.0.1]",
    "[::ffff:169.254.169.254]",
    "2130706433",  # 127.0.0.1 as one number
    "0x7f000001",
    "localhost",
]


@pytest.fixture(autouse=True)
def _private_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False


@pytest.mark.parametrize("host", REFUSED)
def test_a_private_or_special_address_is_refused(host):
    with pytest.raises(TargetRefused, match="public addresses only"):
        resolve(f"https://{host}:8443/hook")


@pytest.mark.parametrize("url", ["ftp://93.184.215.14/", "file:///etc/passwd", "gopher://x/"])
def test_only_http_and_https_are_accepted(url):
    with pytest.raises(TargetRefused, match="Only http and https"):
        resolve(url)


def test_a_public_address_is_accepted_with_its_host_port_and_path():
    target = resolve("https://93.184.215.14:8443/hooks?x=1")
    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "93.184.215.14",
        8443,
        "/hooks?x=1",
    )
    assert target.addresses == ("93.184.215.14",)
    assert resolve("http://[2606:4700::1]/").addresses == ("2606:4700::1",)


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_every_address_a_name_resolves_to_is_checked(monkeypatch):
    fake_dns(monkeypatch, {"mixed.example": ["93.184.215.14", "10.1.2.3"]})
    with pytest.raises(TargetRefused, match=r"10\.1\.2\.3"):
        resolve("https://mixed.example/")


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(TargetRefused, match="does not resolve"):
        resolve("https://no-such-host.invalid/")


def test_the_setting_allows_private_targets(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    assert resolve("http://127.0.0.1:9/").addresses == ("127.0.0.1",)
    with pytest.raises(TargetRefused, match="Only http"):
        resolve("ftp://127.0.0.1/")


def test_a_name_that_turns_private_after_registration_gets_nothing(
    monkeypatch, receiver, endpoint_for, db
):
    # Registered when it resolved to a public address; now it points at the receiver on
    # loopback (DNS rebinding): the delivery checks again and sends nothing.
    fake_dns(monkeypatch, {"rebind.example": ["93.184.215.14"]})
    endpoint = endpoint_for(receiver)
    port = receiver.url.split(":")[2].split("/")[0]
    endpoint.url = f"http://rebind.example:{port}/hooks"
    endpoint.save()
    fake_dns(monkeypatch, {"rebind.example": ["127.0.0.1"]})
    record("tag.removed")

    assert delivery.drive(endpoint.pk)[0] == delivery.Outcome.RETRY

    assert receiver.received == []
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None
    assert "127.0.0.1, a loopback address" in attempt.error


def test_the_post_goes_to_the_address_that_was_checked(
    monkeypatch, receiver, endpoint_for, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # the receiver is on loopback
    # The name is resolved once per delivery and the connection made to that address, with the
    # URL's host as Host: a second lookup (which a rebinding DNS would answer otherwise) is
    # never made.
    calls = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        if host == "receiver.example":
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    port = receiver.url.split(":")[2].split("/")[0]
    endpoint = endpoint_for(receiver)
    endpoint.url = f"http://receiver.example:{port}/hooks"
    endpoint.save()
    record("tag.removed")
    calls.clear()

    assert delivery.drive(endpoint.pk)[0] == delivery.Outcome.IDLE

    assert calls.count("receiver.example") == 1
    assert receiver.received[0].headers["host"] == f"receiver.example:{port}"
