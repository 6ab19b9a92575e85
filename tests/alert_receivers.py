"""Real receivers for the alert tests, on 127.0.0.1: an HTTP server that records the JSON
POSTed to it (and can answer with errors), and an SMTP server (aiosmtpd) that keeps every
message, with a login when asked for one."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class HttpReceiver:
    """Answers each POST with the next status of `statuses` (then 200), recording it."""

    statuses: list[int] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    url: str = ""
    delays: list[float] = field(default_factory=list)  # seconds before each answer
    headers: dict[str, str] = field(default_factory=dict)  # sent with every error
    bodies: list[bytes] = field(default_factory=list)  # each answer's body (then ok / error)
    on_request: Callable[[int], None] | None = None  # called with each request's number

    @property
    def payloads(self) -> list[dict]:
        return [r["json"] for r in self.requests]


@contextmanager
def http_receiver(
    statuses: list[int] | None = None,
    path: str = "/hook/T000/SECRET",
    port: int = 0,
    delays: list[float] | None = None,
    headers: dict[str, str] | None = None,
    bodies: list[bytes] | None = None,
    on_request: Callable[[int], None] | None = None,
) -> Iterator[HttpReceiver]:
    """An HTTP server on 127.0.0.1 (PORT, default any free one) taking POSTs of JSON at any
    path; its url is PATH on it. Each request waits the next of DELAYS, then gets the next
    of STATUSES (then 200) with the next of BODIES; an error answer carries HEADERS.
    ON_REQUEST(n) runs before the n-th answer (from 1)."""
    receiver = HttpReceiver(
        statuses=list(statuses or []),
        delays=list(delays or []),
        headers=dict(headers or {}),
        bodies=list(bodies or []),
        on_request=on_request,
    )
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                delay = receiver.delays.pop(0) if receiver.delays else 0.0
                answer = receiver.bodies.pop(0) if receiver.bodies else None
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "status": status,
                        "json": json.loads(body),
                        "at": time.monotonic(),
                    }
                )
            if receiver.on_request is not None:
                receiver.on_request(len(receiver.requests))
            time.sleep(delay)
            self.send_response(status)
            if status >= 300:
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            if answer is None:
                answer = b"ok" if status < 300 else b"error"
            self.wfile.write(answer)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpReceiver:
    port: int = 0
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    envelopes: list[dict] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


@contextmanager
def smtp_receiver(
    user: str | None = None, password: str | None = None, host: str = "127.0.0.1"
) -> Iterator[SmtpReceiver]:
    """An SMTP server on HOST, without STARTTLS; with USER and PASSWORD it requires that
    login (in plain text, which the sender allows on loopback only)."""
    receiver = SmtpReceiver()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            receiver.envelopes.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos)})
            receiver.messages.append(
                email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            )
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        if ok:
            receiver.logins.append(user)
        return AuthResult(success=ok)

    kwargs = {}
    if user is not None:
        kwargs = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
    receiver.port = closed_port()
    controller = Controller(Handler(), hostname=host, port=receiver.port, **kwargs)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
