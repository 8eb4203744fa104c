"""The SMTP transport: any server, STARTTLS or implicit TLS, optional auth, connections reused
across batches (reconnected when the server drops them).

The sender may have several batches in flight at once (``delivery.max_in_flight``), so open
connections live in a small pool: a batch takes one, sends its messages one by one, and puts it
back. ``smtplib.SMTP`` is not safe to share between threads, hence no connection is ever used by
two batches at once. The message rate is the sender's per-transport limit
(``delivery.rate_per_second`` / ``rate_per_hour``, delivery/sql/ratelimit.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import smtplib  # noqa: TID251 - this is the one module allowed to talk SMTP
import ssl
import threading
from collections.abc import Callable
from typing import Literal

from newsletter.content.rendering.compose import Batch
from newsletter.content.rendering.mime import to_mime
from newsletter.delivery.ports import SendResult
from newsletter.delivery.transports.outbox import message_id
from newsletter.errors import AccountError, TransientDeliveryError


class SmtpMailer:
    name = "smtp"
    max_batch = 100

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: Literal["none", "starttls", "ssl"],
        username: str = "",
        password: str = "",
        timeout: float = 30.0,
        now: Callable[[], dt.datetime],
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout
        self._now = now
        self._ssl = ssl_context or ssl.create_default_context()
        self._idle: list[smtplib.SMTP] = []
        self._lock = threading.Lock()

    def _checkout(self) -> smtplib.SMTP:
        """An idle pooled connection that still answers NOOP, or a new one."""
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect()
            try:
                conn.noop()
                return conn
            except (OSError, smtplib.SMTPException):
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    conn.close()

    def _checkin(self, conn: smtplib.SMTP) -> None:
        with self._lock:
            self._idle.append(conn)

    def _connect(self) -> smtplib.SMTP:
        conn: smtplib.SMTP | None = None
        try:
            if self.security == "ssl":
                conn = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self._ssl
                )
            else:
                conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    conn.starttls(context=self._ssl)
            if self.username:
                conn.login(self.username, self.password)
        except (OSError, smtplib.SMTPException) as exc:
            if conn is not None:
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    conn.close()
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                raise AccountError(f"SMTP login refused by {self.host}: {exc}") from exc
            raise TransientDeliveryError(
                f"cannot connect to SMTP {self.host}:{self.port}: {exc}"
            ) from exc
        return conn

    def send(self, batch: Batch) -> SendResult:
        conn: smtplib.SMTP | None = self._checkout()
        rejected: dict[int, str] = {}
        deferred: dict[int, str] = {}
        unknown: dict[int, str] = {}
        messages = batch.messages()
        for index, message in enumerate(messages):
            did = message.delivery_id if message.delivery_id is not None else -1
            mime = to_mime(
                message,
                message_id=message_id(message.delivery_id, message.from_email),
                date=self._now(),
            )
            assert conn is not None
            try:
                conn.send_message(mime)
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                reason = f"{code} {_text(text)}"
                (deferred if 400 <= code < 500 else rejected)[did] = reason
            except smtplib.SMTPResponseException as exc:
                reason = f"{exc.smtp_code} {_text(exc.smtp_error)}"
                (deferred if 400 <= exc.smtp_code < 500 else rejected)[did] = reason
            except (OSError, smtplib.SMTPException) as exc:
                # The connection broke: earlier messages were accepted, this one may or may not
                # have been, later ones certainly were not.
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    conn.close()
                conn = None
                unknown[did] = f"SMTP connection lost: {exc}"
                for later in messages[index + 1 :]:
                    if later.delivery_id is not None:
                        deferred[later.delivery_id] = "not sent: SMTP connection lost"
                break
        if conn is not None:
            self._checkin(conn)
        return SendResult(provider_id=None, rejected=rejected, deferred=deferred, unknown=unknown)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                conn.quit()


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value
