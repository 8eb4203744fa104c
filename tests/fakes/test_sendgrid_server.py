"""Tests of the SendGrid test double itself, driven by the real ``sendgrid`` library."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import threading
import time
import urllib.error
from collections.abc import Iterator
from typing import Any

import pytest
from python_http_client.exceptions import (  # type: ignore[import-untyped,unused-ignore]
    BadRequestsError,
    HTTPError,
    InternalServerError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
)
from sendgrid import SendGridAPIClient  # type: ignore[import-untyped,unused-ignore]
from sendgrid.helpers.mail import (  # type: ignore[import-untyped,unused-ignore]
    Category,
    CustomArg,
    From,
    Header,
    Mail,
    MailSettings,
    Personalization,
    SandBoxMode,
    Substitution,
    To,
)

from .sendgrid_server import (
    MAIL_SEND_PATH,
    SPEC_PATH,
    FakeSendGrid,
    SendGridError,
    validate_mail_send,
)

CLIENT_TIMEOUT = 2.0


@pytest.fixture
def fake() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server
        assert server.handler_errors == []


def client(fake: FakeSendGrid, api_key: str = "SG.test", timeout: float = CLIENT_TIMEOUT) -> Any:
    sg = SendGridAPIClient(api_key=api_key, host=fake.url)
    sg.client.timeout = timeout  # sg.send() has no timeout argument
    return sg


def build_mail(recipients: list[tuple[str, str]]) -> Any:
    mail = Mail(
        from_email=From("news@example.org", "BBSCN Newsletter"),
        subject="Hello -name-",
        plain_text_content="Hi -name-, the newsletter is out.",
        html_content="<p>Hi -name-, the newsletter is out.</p>",
    )
    mail.custom_arg = CustomArg("campaign", "2025-06")  # top-level: serialized as an object
    mail.category = [Category("newsletter"), Category("june")]
    for i, (email, name) in enumerate(recipients):
        pers = Personalization()
        pers.add_to(To(email, name))
        pers.add_substitution(Substitution("-name-", name))
        pers.add_custom_arg(CustomArg("member_id", str(i)))
        pers.add_header(Header("X-Member", str(i)))
        # add_personalization() *prepends* by default; append to keep our order.
        mail.add_personalization(pers, index=len(mail.personalizations))
    return mail


def base_body(n: int = 1) -> dict[str, Any]:
    return {
        "personalizations": [{"to": [{"email": f"m{i}@example.com"}]} for i in range(n)],
        "from": {"email": "news@example.org"},
        "subject": "Hi",
        "content": [{"type": "text/plain", "value": "Hi"}],
    }


def post_raw(
    fake: FakeSendGrid,
    data: bytes,
    headers: dict[str, str],
    method: str = "POST",
    path: str = MAIL_SEND_PATH,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=CLIENT_TIMEOUT)
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def error_fields(exc: HTTPError) -> list[str | None]:
    return [e["field"] for e in json.loads(exc.body)["errors"]]


# -- success ----------------------------------------------------------------------------------


def test_url_is_loopback_with_ephemeral_port(fake: FakeSendGrid) -> None:
    assert fake.url == f"http://127.0.0.1:{fake.port}"
    assert fake.port > 0


def test_fixture_is_the_official_spec() -> None:
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["license"]["name"] == "MIT"
    # The known error we patch in memory is still there in the verbatim copy.
    props = spec["components"]["requestBodies"]["PostMailSend"]["content"]["application/json"][
        "schema"
    ]["properties"]
    assert props["custom_args"]["type"] == "string"


def test_valid_two_personalization_mail_is_accepted_and_recorded(fake: FakeSendGrid) -> None:
    mail = build_mail([("ana@example.com", "Ana"), ("boris@example.com", "Boris")])
    response = client(fake).send(mail)

    assert response.status_code == 202
    assert response.body == b""
    message_id = response.headers["X-Message-Id"]
    assert len(message_id) == 22

    assert fake.request_count == 1
    (recorded,) = fake.requests
    assert recorded.message_id == message_id
    assert not recorded.sandbox
    assert recorded.headers["authorization"] == "Bearer SG.test"
    assert recorded.headers["Content-Type"] == "application/json"
    assert abs(recorded.received_at - time.time()) < 5
    assert recorded.body["custom_args"] == {"campaign": "2025-06"}
    assert recorded.body["personalizations"][1]["substitutions"] == {"-name-": "Boris"}
    assert fake.recipients() == ["ana@example.com", "boris@example.com"]


def test_sandbox_mode_answers_200_and_is_not_a_recipient(fake: FakeSendGrid) -> None:
    mail = build_mail([("ana@example.com", "Ana")])
    mail.mail_settings = MailSettings(sandbox_mode=SandBoxMode(True))
    response = client(fake).send(mail)

    assert response.status_code == 200
    assert response.body == b""
    assert fake.request_count == 1
    assert fake.requests[0].sandbox
    assert fake.requests[0].message_id is None
    assert fake.recipients() == []


def test_gzip_body_is_accepted(fake: FakeSendGrid) -> None:
    data = gzip.compress(json.dumps(base_body()).encode())
    status, headers, body = post_raw(
        fake,
        data,
        {
            "Authorization": "Bearer SG.x",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
    )
    assert (status, body) == (202, b"")
    assert headers["X-Message-Id"]
    assert fake.recipients() == ["m0@example.com"]


def test_unknown_path_and_wrong_method(fake: FakeSendGrid) -> None:
    auth = {"Authorization": "Bearer SG.x"}
    assert post_raw(fake, b"{}", auth, path="/v3/nope")[0] == 404
    assert post_raw(fake, b"", auth, method="GET")[0] == 405
    assert fake.attempt_count == 0


@pytest.mark.parametrize(("length", "status"), [("abc", 400), (str(31 * 1024 * 1024), 413)])
def test_bad_or_oversized_content_length(fake: FakeSendGrid, length: str, status: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=CLIENT_TIMEOUT)
    try:
        conn.putrequest("POST", MAIL_SEND_PATH)
        conn.putheader("Authorization", "Bearer SG.x")
        conn.putheader("Content-Length", length)
        conn.endheaders()
        resp = conn.getresponse()
        assert resp.status == status
        assert json.loads(resp.read())["errors"][0]["message"]
    finally:
        conn.close()


def test_chunked_body_is_accepted(fake: FakeSendGrid) -> None:
    data = json.dumps(base_body()).encode()
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=CLIENT_TIMEOUT)
    try:
        conn.request(
            "POST",
            MAIL_SEND_PATH,
            body=iter([data[:10], data[10:]]),
            headers={"Authorization": "Bearer SG.x"},
            encode_chunked=True,
        )
        assert conn.getresponse().status == 202
    finally:
        conn.close()
    assert fake.recipients() == ["m0@example.com"]


# -- rejections through the real client -------------------------------------------------------


def test_duplicate_address_across_personalizations_is_rejected(fake: FakeSendGrid) -> None:
    mail = build_mail([("ana@example.com", "Ana"), ("ANA@example.com", "Ana again")])
    with pytest.raises(BadRequestsError) as info:
        client(fake).send(mail)
    assert info.value.status_code == 400
    assert error_fields(info.value) == ["personalizations.1.to"]
    assert fake.request_count == 0
    assert fake.attempt_count == 1


def test_1001_personalizations_are_rejected(fake: FakeSendGrid) -> None:
    with pytest.raises(BadRequestsError) as info:
        client(fake).send(base_body(1001))
    assert "personalizations" in error_fields(info.value)
    client(fake).send(base_body(1000))  # the limit itself is fine
    assert fake.request_count == 1


def test_reserved_header_is_rejected(fake: FakeSendGrid) -> None:
    mail = build_mail([("ana@example.com", "Ana")])
    mail.personalizations[0].add_header(Header("To", "someone@else.example"))
    with pytest.raises(BadRequestsError) as info:
        client(fake).send(mail)
    assert error_fields(info.value) == ["personalizations.0.headers"]


def test_eleven_categories_are_rejected(fake: FakeSendGrid) -> None:
    body = base_body()
    body["categories"] = [f"cat{i}" for i in range(11)]
    with pytest.raises(BadRequestsError) as info:
        client(fake).send(body)
    assert error_fields(info.value) == ["categories"]


def test_custom_args_too_big_is_rejected(fake: FakeSendGrid) -> None:
    body = base_body()
    body["custom_args"] = {"blob": "x" * 10_000}
    with pytest.raises(BadRequestsError) as info:
        client(fake).send(body)
    assert error_fields(info.value) == ["custom_args"]


def test_bad_auth_is_401(fake: FakeSendGrid, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SENDGRID_API_KEY", raising=False)
    with pytest.raises(UnauthorizedError) as info:
        client(fake, api_key="").send(base_body())  # the library sends "Bearer None"
    errors = json.loads(info.value.body)["errors"]
    assert errors[0]["field"] is None and errors[0]["help"] is None and errors[0]["message"]

    data = json.dumps(base_body()).encode()
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}):
        assert post_raw(fake, data, headers)[0] == 401
    assert fake.request_count == 0


def test_configured_api_key_is_enforced() -> None:
    with FakeSendGrid(api_key="SG.right") as fake:
        with pytest.raises(UnauthorizedError):
            client(fake, api_key="SG.wrong").send(base_body())
        assert client(fake, api_key="SG.right").send(base_body()).status_code == 202


def test_bad_json_is_400(fake: FakeSendGrid) -> None:
    status, _, body = post_raw(fake, b'{"personalizations": [', {"Authorization": "Bearer SG.x"})
    assert status == 400
    (error,) = json.loads(body)["errors"]
    assert error["field"] is None
    assert fake.request_count == 0


# -- rules, checked directly (fast) -----------------------------------------------------------


NOW = 1_750_000_000.0


def _with(**changes: Any) -> dict[str, Any]:
    body = base_body()
    body.update(changes)
    return body


def _fields(errors: list[SendGridError]) -> list[str | None]:
    return [e.field for e in errors]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(_with(personalizations=[]), "personalizations", id="no-personalization"),
        pytest.param(
            _with(personalizations=[{"to": [{"email": "a@x.org"}], "cc": [{"email": "A@X.org"}]}]),
            "personalizations.0.cc",
            id="dup-to-cc",
        ),
        pytest.param(
            _with(
                personalizations=[
                    {
                        "to": [{"email": "a@x.org"}],
                        "bcc": [{"email": f"b{i}@x.org"} for i in range(1000)],
                    }
                ]
            ),
            "personalizations",
            id="1001-recipients",
        ),
        pytest.param(_with(subject=None), "subject", id="no-subject"),
        pytest.param(
            _with(
                content=[
                    {"type": "text/html", "value": "<p/>"},
                    {"type": "text/plain", "value": "x"},
                ]
            ),
            "content",
            id="html-before-plain",
        ),
        pytest.param(_with(content=None), "content", id="no-content"),
        pytest.param(_with(headers={"dkim-signature": "x"}), "headers", id="reserved-header"),
        pytest.param(_with(send_at=int(NOW) + 72 * 3600 + 1), "send_at", id="send-at-73h"),
        pytest.param(
            _with(personalizations=[{"to": [{"email": "a@x.org", "name": "Doe, Jane"}]}]),
            "personalizations.0.to.0.name",
            id="comma-in-name",
        ),
        pytest.param(
            _with(**{"from": {"email": "ivan@пример.org"}}), "from.email", id="unicode-from"
        ),
        pytest.param(
            _with(
                personalizations=[
                    {"to": [{"email": "a@x.org"}], "custom_args": {"k": "v" * 9_990}}
                ],
                custom_args={"campaign": "c1"},
            ),
            "personalizations.0.custom_args",
            id="custom-args-merged-too-big",
        ),
        pytest.param(_with(categories=["x" * 256]), "categories.0", id="long-category"),
        pytest.param(
            _with(personalizations=[{"to": [{"email": "not-an-address"}]}]),
            "personalizations.0.to.0.email",
            id="schema-email-format",
        ),
        pytest.param(_with(**{"from": {"name": "x"}}), "from.email", id="schema-required"),
    ],
)
def test_rule_violations_name_the_field(body: dict[str, Any], field: str) -> None:
    body = {k: v for k, v in body.items() if v is not None}
    assert field in _fields(validate_mail_send(body, now=NOW))


def test_valid_edge_cases_pass() -> None:
    ok = [
        _with(send_at=int(NOW) + 72 * 3600),
        _with(subject=None, template_id="d-123", content=None),
        _with(
            subject=None,
            personalizations=[{"to": [{"email": "a@x.org"}], "subject": "Per-recipient"}],
        ),
        _with(categories=[f"c{i}" for i in range(10)], custom_args={"k": "v" * 9_980}),
        _with(headers={"X-Campaign": "c1", "List-Unsubscribe": "<mailto:u@x.org>"}),
        _with(**{"from": {"email": "ivan@example.org", "name": "Иван Петров"}}),
    ]
    for body in ok:
        body = {k: v for k, v in body.items() if v is not None}
        assert validate_mail_send(body, now=NOW) == []


# -- fault injection --------------------------------------------------------------------------


def test_fail_next_429_carries_rate_limit_reset(fake: FakeSendGrid) -> None:
    fake.fail_next(429, reset_in=30)
    sg = client(fake)
    with pytest.raises(TooManyRequestsError) as info:
        sg.send(base_body())
    reset = int(info.value.headers["X-RateLimit-Reset"])
    assert time.time() + 25 <= reset <= time.time() + 31
    assert json.loads(info.value.body)["errors"][0]["message"]
    assert fake.request_count == 0

    assert sg.send(base_body()).status_code == 202  # the fault was for one request only
    assert (fake.attempt_count, fake.request_count) == (2, 1)


def test_fail_next_500_and_503(fake: FakeSendGrid) -> None:
    fake.fail_next(500)
    fake.fail_next(503, body={"errors": [{"message": "maintenance", "field": None}]})
    sg = client(fake)
    with pytest.raises(InternalServerError):
        sg.send(base_body())
    with pytest.raises(ServiceUnavailableError) as info:
        sg.send(base_body())
    assert json.loads(info.value.body)["errors"][0]["message"] == "maintenance"
    assert fake.pending_faults == 0
    assert fake.request_count == 0


def test_delay_past_client_timeout_still_records(fake: FakeSendGrid) -> None:
    fake.delay_next(2.0)
    started = time.monotonic()
    with pytest.raises((TimeoutError, urllib.error.URLError)) as info:
        client(fake, timeout=0.2).send(base_body())
    assert time.monotonic() - started < 1.5
    if isinstance(info.value, urllib.error.URLError):
        assert isinstance(info.value.reason, TimeoutError)
    assert fake.wait_for_requests(1, timeout=1)
    assert fake.recipients() == ["m0@example.com"]


def test_drop_after_accept_records_then_disconnects(fake: FakeSendGrid) -> None:
    fake.drop_after_accept_next()
    with pytest.raises((http.client.RemoteDisconnected, urllib.error.URLError)):
        client(fake).send(base_body())
    assert fake.request_count == 1
    assert fake.requests[0].message_id is not None
    assert client(fake).send(base_body()).status_code == 202


def test_latency_applies_to_every_request() -> None:
    with FakeSendGrid(latency=0.1) as fake:
        sg = client(fake)
        started = time.monotonic()
        sg.send(base_body())
        sg.send(base_body())
        assert time.monotonic() - started >= 0.2
        assert fake.handler_errors == []


def test_concurrent_clients() -> None:
    n = 16
    statuses: list[int] = []
    lock = threading.Lock()

    def send(i: int) -> None:
        body = base_body()
        body["personalizations"][0]["to"][0]["email"] = f"t{i}@example.com"
        status = client(server).send(body).status_code
        with lock:
            statuses.append(status)

    with FakeSendGrid(latency=0.1) as server:
        threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert time.monotonic() - started < 0.1 * n / 2  # served in parallel
        assert statuses == [202] * n
        assert sorted(server.recipients()) == sorted(f"t{i}@example.com" for i in range(n))
        assert len({r.message_id for r in server.requests}) == n
        assert server.handler_errors == []


def test_stop_is_prompt_with_idle_keep_alive_and_pending_delay() -> None:
    fake = FakeSendGrid().start()
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=CLIENT_TIMEOUT)
    try:
        body = json.dumps(base_body()).encode()
        conn.request("POST", MAIL_SEND_PATH, body, {"Authorization": "Bearer SG.x"})
        assert conn.getresponse().read() == b""  # keep-alive connection now idle
        fake.delay_next(30)
        slow = threading.Thread(target=lambda: _swallow(lambda: client(fake).send(base_body())))
        slow.start()
        assert fake.wait_for_requests(2, timeout=2)
        started = time.monotonic()
        fake.stop()
        assert time.monotonic() - started < 1.0
        slow.join(timeout=CLIENT_TIMEOUT)
        assert not slow.is_alive()
    finally:
        conn.close()
        fake.stop()


def _swallow(fn: Any) -> None:
    with contextlib.suppress(Exception):  # the answer (or its absence) is irrelevant here
        fn()


def test_reset_forgets_everything(fake: FakeSendGrid) -> None:
    client(fake).send(base_body())
    fake.fail_next(500)
    fake.reset()
    assert (fake.request_count, fake.attempt_count, fake.pending_faults) == (0, 0, 0)
    assert client(fake).send(base_body()).status_code == 202


# -- attachments ------------------------------------------------------------------------------

ICS = "QkVHSU46VkNBTEVOREFSDQpFTkQ6VkNBTEVOREFSDQo="  # BEGIN:VCALENDAR / END:VCALENDAR


def _attached(**item: Any) -> dict[str, Any]:
    entry = {"content": ICS, "filename": "invite.ics", "type": "text/calendar"}
    entry.update(item)
    return _with(attachments=[{k: v for k, v in entry.items() if v is not None}])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(_attached(content="not base64!"), "attachments.0.content", id="not-base64"),
        pytest.param(_attached(content="QUJ"), "attachments.0.content", id="bad-padding"),
        pytest.param(_attached(content=""), "attachments.0.content", id="empty"),
        pytest.param(_attached(filename=None), "attachments.0.filename", id="no-filename"),
        pytest.param(_attached(filename="a;b.ics"), "attachments.0.filename", id="semicolon"),
        pytest.param(_attached(filename="a\r\nb.ics"), "attachments.0.filename", id="crlf"),
        pytest.param(
            _attached(type="text/calendar; charset=utf-8; method=REQUEST"),
            "attachments.0.type",
            id="charset-parameter",
        ),
        pytest.param(
            _attached(type="text/calendar; charset=utf-8"), "attachments.0.type", id="charset"
        ),
        pytest.param(
            _attached(type="application/pdf; method=REQUEST"),
            "attachments.0.type",
            id="method-on-a-pdf",
        ),
        pytest.param(_attached(type=""), "attachments.0.type", id="empty-type"),
        pytest.param(_attached(disposition="download"), "attachments.0.disposition", id="disp"),
        pytest.param(
            _attached(disposition="inline", content_id="a,b"),
            "attachments.0.content_id",
            id="content-id-comma",
        ),
    ],
)
def test_attachment_rules_name_the_field(body: dict[str, Any], field: str) -> None:
    assert field in _fields(validate_mail_send(body, now=NOW))


@pytest.mark.parametrize(
    "kind",
    ["text/calendar", "text/calendar; method=PUBLISH", "text/calendar;method=REQUEST", None],
)
def test_a_calendar_attachment_may_name_its_method(kind: str | None) -> None:
    assert validate_mail_send(_attached(type=kind, disposition="attachment"), now=NOW) == []


def test_an_attachment_is_recorded_as_sent(fake: FakeSendGrid) -> None:
    body = _attached(type="text/calendar; method=PUBLISH", disposition="attachment")
    status, _, _ = post_raw(
        fake,
        json.dumps(body).encode(),
        {"Authorization": "Bearer SG.test", "Content-Type": "application/json"},
    )
    assert status == 202
    assert fake.requests[0].body["attachments"][0]["filename"] == "invite.ics"
