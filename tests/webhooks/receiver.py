"""A real HTTP receiver for the webhook tests: http.server in a thread on a free loopback port.

It records every request (headers, body) and answers with the status its `statuses` queue
gives (200 once it is empty). `block_on(webhook_id)` makes the request carrying that id wait
until `release()`: the worker test kills the worker while it waits. `delay` slows every answer
(the timeout test)."""

import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    blocked_id: str | None = None
    arrived: threading.Event = field(default_factory=threading.Event)  # the blocked one came
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, tls: ssl.SSLContext | None = None) -> "Receiver":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                got = Received({k.lower(): v for k, v in self.headers.items()}, body, time.time())
                with owner.lock:
                    owner.received.append(got)
                    status = owner.statuses.pop(0) if owner.statuses else 200
                if got.webhook_id == owner.blocked_id and not owner.released.is_set():
                    owner.arrived.set()
                    owner.released.wait(60)
                    return  # the sender was killed meanwhile: nobody to answer
                if owner.delay:
                    time.sleep(owner.delay)
                answer = b'{"ok": true}' if 200 <= status < 300 else b"nope " * 200
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender gave up (a timeout)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks?from=botbeat"

    def block_on(self, webhook_id: str) -> None:
        self.blocked_id = webhook_id

    def release(self) -> None:
        self.released.set()

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def ids(self) -> list[int]:
        with self.lock:
            return [int(got.webhook_id) for got in self.received]

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """Wait until `count` distinct webhook-ids have arrived."""
        deadline = time.monotonic() + timeout
        while len(set(self.ids())) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(set(self.ids()))} of {count} arrived: {self.ids()}")
            time.sleep(0.02)
        return list(self.received)
