"""Delivering one message: an HTTP POST of JSON (urllib) or one e-mail (smtplib), each with a
timeout, tried again with exponential backoff when the failure may pass: a timeout, a
refused or dropped connection, HTTP 429 (after its Retry-After, within reason) or 5xx, SMTP
4xx. A refusal that will not pass (HTTP 400, 403, 404: a wrong or revoked webhook; SMTP 5xx,
a wrong password) is not tried again, nor is a 429 asking for a longer wait than a run
should take: the next run sends it.

Teams incoming webhooks answer HTTP 200 even when Teams did not post the message, with a
body "Webhook message delivery failed with error: ... HTTP error 429 ..." (throttled, too
large, malformed: MicrosoftDocs/msteams-docs#1810, #4145, #7425): such a body is a failure.

Errors say what failed in words of their own: never the URL (a webhook URL is its own
secret), never a password.
"""

from __future__ import annotations

import http.client
import re
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from deliverability.alerts.config import Delivery
from deliverability.alerts.destinations import Email, Webhook, is_loopback
from deliverability.render.output import to_json

# A Retry-After longer than this is a rate limit to wait out on the next run, not now.
MAX_RETRY_AFTER = 60.0
USER_AGENT = "deliverability-alert"
# The start of the body of a Teams connector's 200 that did not deliver.
TEAMS_FAILURE = b"webhook message delivery failed"


class DeliveryFailed(Exception):
    """A message could not be delivered; str() is safe to print (no URL, no password)."""


class _Transient(Exception):
    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


def with_retries(
    attempt: Callable[[], None], policy: Delivery, sleep: Callable[[float], None] = time.sleep
) -> int:
    """Call ATTEMPT until it succeeds, up to 1 + policy.retries times; returns the attempts
    made. DeliveryFailed at once on a permanent failure, or when the attempts are spent."""
    for number in range(1, policy.retries + 2):
        try:
            attempt()
            return number
        except _Transient as exc:
            if number > policy.retries:
                attempts = f"{number} attempt{'s' if number != 1 else ''}"
                raise DeliveryFailed(f"{exc} (after {attempts})") from None
            sleep(exc.wait if exc.wait is not None else policy.backoff * 2 ** (number - 1))
    raise AssertionError("unreachable")


def _network_reason(exc: BaseException) -> str:
    """Why a connection failed, without the URL: 'connection refused', 'timed out'."""
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error ({reason.reason or 'handshake failed'})"
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return type(reason).__name__


def _retry_after(headers) -> float | None:
    try:
        seconds = float(headers.get("Retry-After", ""))
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None


def _throttled(status: str, wait: float | None) -> Exception:
    """A 429: tried again after its Retry-After, unless that is longer than a run waits."""
    if wait is not None and wait > MAX_RETRY_AFTER:
        return DeliveryFailed(f"{status}, Retry-After {wait:g} s: left for the next run")
    return _Transient(status, wait)


def _teams_failure(body: bytes) -> Exception | None:
    """The failure a Teams connector's 200 body reports, if it reports one."""
    if TEAMS_FAILURE not in body[:200].lower():
        return None
    code = re.search(rb"(?i)HTTP error (\d{3})", body)
    status = int(code.group(1)) if code else None
    what = (
        f"Teams did not deliver it (HTTP {status} in its answer)"
        if status
        else ("Teams did not deliver it (its answer says so)")
    )
    if status == 429 or status is None or status >= 500:
        return _Transient(what)
    return DeliveryFailed(f"{what}; not retried")


def post_json(webhook: Webhook, payload: dict, policy: Delivery) -> int:
    """POST PAYLOAD to the webhook; returns the attempts it took (DeliveryFailed if none
    succeeded)."""
    body = to_json(payload).encode("utf-8")

    def attempt() -> None:
        request = urllib.request.Request(
            webhook.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
        )
        try:
            with urllib.request.urlopen(request, timeout=policy.timeout) as response:
                answer = response.read()
        except urllib.error.HTTPError as exc:
            status = f"HTTP {exc.code}"
            wait = _retry_after(exc.headers) if exc.code == 429 else None
            exc.close()
            if exc.code == 429:
                raise _throttled(status, wait) from None
            if exc.code >= 500:
                raise _Transient(status) from None
            raise DeliveryFailed(f"{status} (refused; not retried)") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise _Transient(_network_reason(exc)) from None
        if (failure := _teams_failure(answer)) is not None:
            raise failure

    return with_retries(attempt, policy)


def email_message(destination: Email, subject: str, text: str, html: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = destination.from_address
    message["To"] = ", ".join(destination.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=destination.from_address.split("@")[-1])
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_email(destination: Email, message: EmailMessage, policy: Delivery) -> int:
    """Send MESSAGE through the destination's SMTP server; returns the attempts it took."""

    def attempt() -> None:
        try:
            if destination.tls:
                server = smtplib.SMTP_SSL(
                    destination.host,
                    destination.port,
                    timeout=policy.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                server = smtplib.SMTP(destination.host, destination.port, timeout=policy.timeout)
            with server:
                server.ehlo()
                if not destination.tls and server.has_extn("starttls"):
                    server.starttls(context=ssl.create_default_context())
                    server.ehlo()
                    encrypted = True
                else:
                    encrypted = destination.tls
                if destination.user:
                    if not encrypted and not is_loopback(destination.host):
                        raise DeliveryFailed(
                            "the SMTP server offers no STARTTLS: the password would cross the "
                            "network unencrypted (use smtps:// or a server with STARTTLS)"
                        )
                    server.login(destination.user, destination.password or "")
                server.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed(f"SMTP login refused ({exc.smtp_code})") from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            if all(400 <= c < 500 for c in codes):
                raise _Transient(f"SMTP recipients deferred ({codes[0]})") from None
            raise DeliveryFailed(f"SMTP recipients refused ({codes[0]})") from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise _Transient(f"SMTP {exc.smtp_code}") from None
            raise DeliveryFailed(f"SMTP {exc.smtp_code} (refused; not retried)") from None
        except (smtplib.SMTPException, OSError) as exc:
            if isinstance(exc, smtplib.SMTPException) and not isinstance(exc, OSError):
                reason = type(exc).__name__
            else:
                reason = _network_reason(exc)
            raise _Transient(f"SMTP: {reason}") from None

    return with_retries(attempt, policy)
