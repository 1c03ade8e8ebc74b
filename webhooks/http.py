"""One POST to a checked target (webhooks.targets), connected to the address that was checked,
with a deadline for the whole exchange: the lease (webhooks.delivery) relies on no POST
outliving it."""

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from webhooks.targets import Target

ANSWER_START_BYTES = 500


@dataclass
class Answer:
    status_code: int | None  # None: no answer (see error)
    start: str  # the answer's first bytes, or the error
    error: str
    seconds: float


def _connect(target: Target, timeout: float) -> socket.socket:
    """A connection to the first of the target's checked addresses that accepts one, all
    tried within `timeout`."""
    deadline = time.monotonic() + timeout
    error: OSError = OSError(f"{target.host} has no address")
    for address in target.addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no connection within {timeout:g} s")
        try:
            return socket.create_connection((address, target.port), left)
        except OSError as refused:
            error = refused
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._target, self._timeout = target, timeout

    def connect(self) -> None:
        self.sock = _connect(self._target, self._timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._target, self._timeout = target, timeout

    def connect(self) -> None:
        # The certificate is checked against the URL's host (and sent as SNI), not the address.
        self.sock = self._tls.wrap_socket(
            _connect(self._target, self._timeout), server_hostname=self.host
        )


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST `body` to `target` (its first address that accepts a connection); the whole
    exchange ends within `timeout`."""
    started = time.monotonic()
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, timeout)
    # A server that drips its answer a byte at a time never trips the socket's timeout: past
    # the deadline the socket is shut, whatever the exchange is doing.
    timer = threading.Timer(timeout, _shut, [connection])
    timer.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        start = response.read(ANSWER_START_BYTES)
        return Answer(
            response.status,
            start.decode("utf-8", "replace"),
            "",
            time.monotonic() - started,
        )
    except (OSError, http.client.HTTPException, ssl.SSLError) as error:
        elapsed = time.monotonic() - started
        message = (
            f"no answer within {timeout:g} s"
            if elapsed >= timeout or isinstance(error, TimeoutError)
            else f"{type(error).__name__}: {error}"
        )
        return Answer(None, message[:ANSWER_START_BYTES], message[:255], elapsed)
    finally:
        timer.cancel()
        connection.close()


def _shut(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
