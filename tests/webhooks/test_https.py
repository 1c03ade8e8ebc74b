"""HTTPS targets: the connection goes to the checked address, the certificate is checked
against the URL's host (sent as SNI)."""

import ssl
import subprocess

import pytest

from tests.webhooks.outbox import record
from tests.webhooks.receiver import Receiver
from webhooks import delivery, http
from webhooks.models import DeliveryAttempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for the name `localhost` only (not for 127.0.0.1)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_receiver(certificate):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    running = Receiver().start(tls=context)
    yield running
    running.stop()


def https_url(receiver: Receiver, host: str) -> str:
    return f"https://{host}:{receiver.server.server_address[1]}/hooks"


def trusting(monkeypatch, cert) -> None:
    """The worker trusts our self-signed certificate, as it trusts a public CA's."""
    real = ssl.create_default_context
    monkeypatch.setattr(http.ssl, "create_default_context", lambda: real(cafile=str(cert)))


def test_an_untrusted_certificate_is_a_failed_delivery(tls_receiver, endpoint_for):
    endpoint = endpoint_for(tls_receiver)
    endpoint.url = https_url(tls_receiver, "localhost")
    endpoint.save()
    record("tag.removed")

    assert delivery.drive(endpoint.pk)[0] == delivery.Outcome.RETRY

    assert "CERTIFICATE_VERIFY_FAILED" in DeliveryAttempt.objects.get().error
    assert tls_receiver.received == []


def test_a_trusted_certificate_for_the_urls_host_delivers(
    tls_receiver, endpoint_for, certificate, monkeypatch
):
    trusting(monkeypatch, certificate[0])
    endpoint = endpoint_for(tls_receiver)
    endpoint.url = https_url(tls_receiver, "localhost")  # resolves to ::1 and 127.0.0.1
    endpoint.save()
    (change,) = record("tag.removed")

    assert delivery.drive(endpoint.pk)[0] == delivery.Outcome.IDLE

    assert tls_receiver.ids() == [change.id]
    assert DeliveryAttempt.objects.get().status_code == 200


def test_the_certificate_must_name_the_urls_host(
    tls_receiver, endpoint_for, certificate, monkeypatch
):
    trusting(monkeypatch, certificate[0])
    endpoint = endpoint_for(tls_receiver)
    endpoint.url = https_url(tls_receiver, "127.0.0.1")  # the certificate names localhost only
    endpoint.save()
    record("tag.removed")

    assert delivery.drive(endpoint.pk)[0] == delivery.Outcome.RETRY

    assert "CERTIFICATE_VERIFY_FAILED" in DeliveryAttempt.objects.get().error
    assert tls_receiver.received == []
