"""The SMTP transport against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from newsletter.delivery.transports.smtp import SmtpMailer
from newsletter.errors import AccountError, TransientDeliveryError
from tests.conftest import FrozenClock
from tests.delivery.transports.batches import batch, signed_url
from tests.raw_headers import check_bulk_headers, one


class Recorder:
    def __init__(self) -> None:
        self.messages: list[Envelope] = []
        self.refuse: dict[str, str] = {}
        self.connections = 0

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 Message accepted"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    port = _port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def mailer(port: int, **kw: Any) -> SmtpMailer:
    return SmtpMailer("127.0.0.1", port, security="none", timeout=5, now=FrozenClock().now, **kw)


def test_one_message_per_recipient_over_one_reused_connection(
    smtp_server: tuple[Recorder, int],
) -> None:
    handler, port = smtp_server
    m = mailer(port)
    result = m.send(batch(3))
    m.send(batch(2, start=10))
    m.close()
    assert not result.rejected and not result.deferred and not result.unknown
    assert len(handler.messages) == 5
    assert handler.connections == 1  # connection reuse across batches
    parsed = email.message_from_bytes(handler.messages[0].content, policy=email.policy.default)
    assert parsed["To"].addresses[0].addr_spec == "member1@klaster-nis.example"
    assert parsed["Subject"] == "Дани кластера 2015 у Брашову"
    assert parsed["List-Unsubscribe"] == "<https://news.clusterhouse.example/u/tok1>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",))
    assert text is not None and "Поштовани Јелена" in text.get_content()


def test_the_data_the_server_received_has_literal_list_headers(
    smtp_server: tuple[Recorder, int],
) -> None:
    """The bytes of the DATA command as aiosmtpd received them, with realistic long links:
    List-Unsubscribe is the literal ``<https://...>`` (RFC 2369, RFC 8058), never RFC 2047."""
    handler, port = smtp_server
    m = mailer(port)
    result = m.send(batch(3, long_urls=True))
    m.close()
    assert not result.rejected and not result.deferred and not result.unknown
    assert len(handler.messages) == 3
    for i, envelope in enumerate(handler.messages, start=1):
        raw = envelope.original_content
        assert isinstance(raw, bytes)
        url = signed_url(i)
        assert len(url) > 150
        fields = check_bulk_headers(raw, unsubscribe_url=url)
        assert one(fields, "List-Unsubscribe") == f"<{url}>"
        assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in raw
        assert one(fields, "Reply-To") == "office@clusterhouse.example"


def test_single_refused_recipients_are_reported_not_raised(
    smtp_server: tuple[Recorder, int],
) -> None:
    handler, port = smtp_server
    handler.refuse = {
        "member2@klaster-nis.example": "550 5.1.1 no such user",
        "member3@klaster-nis.example": "451 4.3.0 try later",
    }
    m = mailer(port)
    result = m.send(batch(3))
    m.close()
    assert dict(result.rejected) == {2: "550 5.1.1 no such user"}
    assert dict(result.deferred) == {3: "451 4.3.0 try later"}
    assert len(handler.messages) == 1


def test_unreachable_server_is_transient() -> None:
    with pytest.raises(TransientDeliveryError, match="cannot connect"):
        mailer(_port()).send(batch(1))


def test_batches_in_flight_at_once_each_get_their_own_connection(
    smtp_server: tuple[Recorder, int],
) -> None:
    handler, port = smtp_server
    m = mailer(port)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(m.send, [batch(5, start=1 + 10 * i) for i in range(12)]))
    m.close()
    assert all(not r.rejected and not r.deferred and not r.unknown for r in results)
    assert len(handler.messages) == 60
    got = sorted(env.rcpt_tos[0] for env in handler.messages)
    assert got == sorted(
        f"member{1 + 10 * i + j}@klaster-nis.example" for i in range(12) for j in range(5)
    )
    assert 1 <= handler.connections <= 4  # pooled and reused, never shared between threads


def test_refused_login_is_an_account_error() -> None:
    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == b"right"
        return AuthResult(success=ok, handled=False)

    port = _port()
    controller = Controller(
        Recorder(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        wrong = SmtpMailer(
            "127.0.0.1", port, security="none", username="news", password="wrong",
            timeout=5, now=FrozenClock().now,
        )  # fmt: skip
        with pytest.raises(AccountError, match="login refused"):
            wrong.send(batch(1))
        right = SmtpMailer(
            "127.0.0.1", port, security="none", username="news", password="right",
            timeout=5, now=FrozenClock().now,
        )  # fmt: skip
        assert not right.send(batch(1)).rejected
        right.close()
    finally:
        controller.stop()
