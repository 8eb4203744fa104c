"""A local, SendGrid-compatible HTTP test double for ``POST /v3/mail/send``.

Test-only code: it serves on 127.0.0.1 (ephemeral port) and never touches the network beyond
loopback. Point the official client at it with ``SendGridAPIClient(api_key=..., host=fake.url)``.

Request bodies are validated against Twilio SendGrid's own OpenAPI description of the Mail API
(``tests/fixtures/sendgrid/mail_v3_openapi.json``, MIT-licensed, copied unchanged from
twilio/sendgrid-oai), then against the documented rules the schema cannot express (limits,
uniqueness, reserved headers...). Errors use SendGrid's body shape::

    {"errors": [{"message": "...", "field": "personalizations.0.to", "help": null}]}

Example::

    with FakeSendGrid() as fake:
        sg = SendGridAPIClient(api_key="SG.test", host=fake.url)
        sg.client.timeout = 2
        sg.send(message)
        assert fake.recipients() == ["a@example.com"]
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import gzip
import http
import json
import re
import secrets
import socket
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal

import jsonschema  # type: ignore[import-untyped,unused-ignore]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "SPEC_PATH",
    "FakeSendGrid",
    "RecordedRequest",
    "RequestHeaders",
    "SendGridError",
    "validate_mail_send",
]

SPEC_PATH: Final = (
    Path(__file__).resolve().parent.parent / "fixtures" / "sendgrid" / "mail_v3_openapi.json"
)
MAIL_SEND_PATH: Final = "/v3/mail/send"

# Documented limits that the OpenAPI schema does not (fully) express.
MAX_PERSONALIZATIONS: Final = 1000
MAX_RECIPIENTS: Final = 1000
MAX_CUSTOM_ARGS_BYTES: Final = 10_000  # must be strictly less than this
MAX_CATEGORIES: Final = 10
MAX_CATEGORY_LENGTH: Final = 255
MAX_SCHEDULE_AHEAD_SECONDS: Final = 72 * 3600
MAX_BODY_BYTES: Final = 30 * 1024 * 1024  # SendGrid's 30 MB total message size limit
RESERVED_HEADERS: Final = frozenset(
    {
        "x-sg-id",
        "x-sg-eid",
        "received",
        "dkim-signature",
        "content-type",
        "content-transfer-encoding",
        "to",
        "from",
        "subject",
        "reply-to",
        "cc",
        "bcc",
    }
)
_MAX_SCHEMA_ERRORS: Final = 50
_MAX_MESSAGE_CHARS: Final = 300
_SPEC_URI: Final = "urn:sendgrid-oai:tsg_mail_v3"
_REQUEST_SCHEMA_POINTER: Final = (
    "/components/requestBodies/PostMailSend/content/application~1json/schema"
)
_STOP_JOIN_TIMEOUT: Final = 5.0


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendGridError:
    """One entry of SendGrid's ``errors`` array."""

    message: str
    field: str | None = None
    help: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"message": self.message, "field": self.field, "help": self.help}


def _error_body(errors: list[SendGridError]) -> bytes:
    return json.dumps({"errors": [e.to_dict() for e in errors]}).encode()


@functools.cache
def _load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    schema = spec["components"]["requestBodies"]["PostMailSend"]["content"]["application/json"][
        "schema"
    ]
    # Known error in the official spec: the top-level `custom_args` is typed as a *string*, but
    # the API (and the official sendgrid library, which serializes CustomArg objects into a
    # JSON object) takes an object of string values, exactly like the per-personalization
    # `custom_args`. We fix it in memory only; the fixture file stays a verbatim copy.
    custom_args = schema["properties"]["custom_args"]
    if custom_args.get("type") != "string":
        raise RuntimeError("the spec changed: revisit the custom_args patch in sendgrid_server")
    schema["properties"]["custom_args"] = {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": custom_args.get("description", ""),
    }
    return spec


@functools.cache
def _request_validator() -> Any:
    """A Draft 2020-12 validator for the Mail Send request body, $refs resolved in the spec."""
    spec = _load_spec()
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
    root = {"$ref": f"{_SPEC_URI}#{_REQUEST_SCHEMA_POINTER}"}
    validator_cls = jsonschema.Draft202012Validator
    validator_cls.check_schema(root)
    return validator_cls(root, registry=registry, format_checker=validator_cls.FORMAT_CHECKER)


def _schema_errors(body: Any) -> list[SendGridError]:
    validator = _request_validator()
    raw = sorted(
        validator.iter_errors(body), key=lambda e: ([str(p) for p in e.absolute_path], e.message)
    )
    errors: list[SendGridError] = []
    for err in raw[:_MAX_SCHEMA_ERRORS]:
        parts = [str(p) for p in err.absolute_path]
        if err.validator == "required" and isinstance(err.instance, dict):
            # One error per missing property; its name is only in the message.
            missing = [k for k in err.validator_value if k not in err.instance]
            named = [k for k in missing if str(err.message).startswith(f"{k!r} ")]
            parts += (named or missing)[:1]
        message = str(err.message)
        if len(message) > _MAX_MESSAGE_CHARS:
            message = message[: _MAX_MESSAGE_CHARS - 1] + "…"
        errors.append(SendGridError(message, ".".join(parts) or None))
    return errors


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _check_headers(headers: Any, fld: str) -> list[SendGridError]:
    errors: list[SendGridError] = []
    if not isinstance(headers, dict):
        return errors
    for name, value in headers.items():
        if name.strip().lower() in RESERVED_HEADERS:
            errors.append(
                SendGridError(f"The header {name!r} is reserved and cannot be overridden.", fld)
            )
        elif not isinstance(value, str):
            errors.append(SendGridError(f"Header {name!r} must be a string value.", fld))
    return errors


#: What an attachment's filename, type and content_id may not contain (errors page).
_UNSAFE_IN_ATTACHMENT: Final = re.compile(r"[;,\r\n]")
#: A calendar attachment's one Content-Type parameter SendGrid lets through (RFC 5546 methods).
_CALENDAR_TYPE = re.compile(
    r"text/calendar; ?method=(PUBLISH|REQUEST|REPLY|ADD|CANCEL|REFRESH|COUNTER|DECLINECOUNTER)",
    re.IGNORECASE,
)


def _check_attachment(item: dict[str, Any], where: str) -> list[SendGridError]:
    """The documented attachment rules the schema leaves out.

    ``content`` must be base64; ``filename``, ``type`` and ``content_id`` may not contain
    ``;``, ``,`` or CR/LF. The one exception SendGrid makes (since 2018, sendgrid-php#250): a
    calendar type may carry its ``method`` (``text/calendar; method=REQUEST``), which
    Outlook needs to show an invitation; any other parameter, ``charset`` included, is
    refused with the "cannot contain ';'" error (sendgrid-nodejs#1313) - SendGrid adds the
    charset itself.
    """
    errors: list[SendGridError] = []
    try:
        base64.b64decode(item["content"], validate=True)
    except (binascii.Error, ValueError):
        errors.append(
            SendGridError("The attachment content must be base64 encoded.", f"{where}.content")
        )
    if _UNSAFE_IN_ATTACHMENT.search(item["filename"]):
        errors.append(
            SendGridError(
                "The filename of your attachment cannot contain CRLF characters.",
                f"{where}.filename",
            )
        )
    kind = item.get("type")
    calendar = isinstance(kind, str) and _CALENDAR_TYPE.fullmatch(kind.strip())
    if isinstance(kind, str) and _UNSAFE_IN_ATTACHMENT.search(kind) and not calendar:
        errors.append(
            SendGridError(
                "The attachment type cannot contain ';', or CRLF characters.", f"{where}.type"
            )
        )
    content_id = item.get("content_id")
    if isinstance(content_id, str) and _UNSAFE_IN_ATTACHMENT.search(content_id):
        errors.append(
            SendGridError(
                "The content ID of your attachment cannot contain CRLF characters.",
                f"{where}.content_id",
            )
        )
    return errors


def _check_rules(body: dict[str, Any], now: float) -> list[SendGridError]:
    """Documented Mail Send rules the OpenAPI schema does not express.

    Assumes ``body`` already passed the schema (so shapes and types are right).
    """
    errors: list[SendGridError] = []

    def err(message: str, fld: str | None) -> None:
        errors.append(SendGridError(message, fld))

    personalizations: list[dict[str, Any]] = body["personalizations"]
    if not 1 <= len(personalizations) <= MAX_PERSONALIZATIONS:
        err(
            f"The personalizations field must contain between 1 and {MAX_PERSONALIZATIONS} "
            "personalization objects.",
            "personalizations",
        )

    # Recipients: count, uniqueness (case-insensitive, across the whole request), names.
    total = 0
    first_seen: dict[str, str] = {}
    for i, pers in enumerate(personalizations):
        if not pers.get("to"):
            err(
                "The to array is required for all personalization objects, and must have at "
                "least one email object with a valid email address.",
                f"personalizations.{i}.to",
            )
        for kind in ("to", "cc", "bcc"):
            where = f"personalizations.{i}.{kind}"
            for j, addr in enumerate(pers.get(kind, [])):
                total += 1
                email: str = addr["email"]
                key = email.strip().lower()
                if key in first_seen:
                    err(
                        "Each email address in the personalization block should be unique "
                        f"within the request. We found a duplicate of {email} in the {where} "
                        f"field (first seen in {first_seen[key]}).",
                        where,
                    )
                else:
                    first_seen[key] = where
                name = addr.get("name")
                if isinstance(name, str) and (";" in name or "," in name):
                    err(
                        "The name of a recipient may not contain ';' or ','.",
                        f"{where}.{j}.name",
                    )
    if total > MAX_RECIPIENTS:
        err(
            f"The total number of recipients (to, cc and bcc) must be at most {MAX_RECIPIENTS}; "
            f"got {total}.",
            "personalizations",
        )

    # Subject and content, unless a template supplies them.
    has_template = bool(body.get("template_id"))
    if (
        not has_template
        and not body.get("subject")
        and any(not pers.get("subject") for pers in personalizations)
    ):
        err(
            "The subject is required. You can get around this requirement if you use a "
            "template with a subject defined or if every personalization has a subject "
            "defined.",
            "subject",
        )
    content: list[dict[str, Any]] = body.get("content") or []
    if not has_template and not content:
        err(
            "Unless a valid template_id is provided, the content parameter is required. There "
            "must be at least one defined content block.",
            "content",
        )
    ranks = [
        {"text/plain": 0, "text/html": 1}.get(part["type"].strip().lower(), 2) for part in content
    ]
    if ranks != sorted(ranks):
        err(
            "If present, text/plain and text/html may only be provided in that order, and must "
            "come first in the content array.",
            "content",
        )

    # custom_args: top-level ones are merged into every personalization; the total per
    # personalization (serialized) must stay under 10,000 bytes.
    top_args = body.get("custom_args") or {}
    top_size = _json_size(top_args) if top_args else 0
    if top_size >= MAX_CUSTOM_ARGS_BYTES:
        err(f"custom_args must be less than {MAX_CUSTOM_ARGS_BYTES} bytes.", "custom_args")
    for i, pers in enumerate(personalizations):
        args = pers.get("custom_args")
        if not args:
            continue
        fld = f"personalizations.{i}.custom_args"
        if any(not isinstance(v, str) for v in args.values()):
            err("custom_args values must be strings.", fld)
        if top_size < MAX_CUSTOM_ARGS_BYTES <= top_size + _json_size(args):
            err(
                f"The total size of custom_args (top-level plus personalization) must be less "
                f"than {MAX_CUSTOM_ARGS_BYTES} bytes.",
                fld,
            )

    # Categories (the schema says this too; kept so the rule holds whatever the spec says).
    categories: list[str] = body.get("categories") or []
    if len(categories) > MAX_CATEGORIES:
        err(
            f"Too many categories. Please limit to {MAX_CATEGORIES} categories per message.",
            "categories",
        )
    for category in categories:
        if len(category) > MAX_CATEGORY_LENGTH:
            err(f"A category cannot exceed {MAX_CATEGORY_LENGTH} characters.", "categories")
            break

    # Reserved headers.
    errors += _check_headers(body.get("headers"), "headers")
    for i, pers in enumerate(personalizations):
        errors += _check_headers(pers.get("headers"), f"personalizations.{i}.headers")

    # send_at: at most 72 hours ahead.
    limit = now + MAX_SCHEDULE_AHEAD_SECONDS
    if isinstance(body.get("send_at"), int) and body["send_at"] > limit:
        err("send_at cannot be scheduled more than 72 hours in advance.", "send_at")
    for i, pers in enumerate(personalizations):
        if isinstance(pers.get("send_at"), int) and pers["send_at"] > limit:
            err(
                "send_at cannot be scheduled more than 72 hours in advance.",
                f"personalizations.{i}.send_at",
            )

    # Attachments (errors page, "Attachment Errors").
    for i, item in enumerate(body.get("attachments") or []):
        errors += _check_attachment(item, f"attachments.{i}")

    # No Unicode in the sender address.
    senders = [("from.email", body["from"])]
    senders += [
        (f"personalizations.{i}.from.email", p["from"])
        for i, p in enumerate(personalizations)
        if "from" in p
    ]
    for fld, sender in senders:
        if not sender["email"].isascii():
            err("The from email address may not contain non-ASCII (Unicode) characters.", fld)

    return errors


def validate_mail_send(body: Any, *, now: float | None = None) -> list[SendGridError]:
    """Validate a parsed Mail Send body; return SendGrid-style errors (empty when valid).

    Schema errors are reported first; the documented extra rules only run on a body that
    matches the schema (as the real API does not get that far either).
    """
    errors = _schema_errors(body)
    if errors:
        return errors
    return _check_rules(body, time.time() if now is None else now)


# --------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------


class RequestHeaders(Mapping[str, str]):
    """Immutable, case-insensitive view of request headers (first value wins)."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items: tuple[tuple[str, str], ...] = tuple(items)
        self._by_key: dict[str, str] = {}
        for name, value in items:
            self._by_key.setdefault(name.lower(), value)

    def __getitem__(self, key: str) -> str:
        return self._by_key[key.lower()]

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for name, _ in self._items:
            if name.lower() not in seen:
                seen.add(name.lower())
                yield name

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._by_key

    def __repr__(self) -> str:
        return f"RequestHeaders({list(self._items)!r})"


@dataclass(frozen=True)
class RecordedRequest:
    """A Mail Send request the double accepted."""

    body: dict[str, Any]
    headers: RequestHeaders
    received_at: float  # time.time() when the request line arrived
    message_id: str | None  # the X-Message-Id returned; None in sandbox mode
    sandbox: bool
    path: str = MAIL_SEND_PATH

    def recipients(self, kinds: tuple[str, ...] = ("to",)) -> list[str]:
        """Emails of the given recipient kinds, in personalization order."""
        return [
            addr["email"]
            for pers in self.body["personalizations"]
            for kind in kinds
            for addr in pers.get(kind, [])
        ]


@dataclass(frozen=True)
class _Fault:
    kind: Literal["fail", "delay", "drop"]
    status: int = 0
    reset_in: float | None = None
    retry_after: str | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    seconds: float = 0.0


# --------------------------------------------------------------------------------------------
# HTTP server
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # FakeSendGrid.stop() joins handler threads itself, with a timeout
    # socketserver's default listen backlog is 5: a burst of concurrent clients overflows it and
    # the kernel drops SYNs, which costs the client a 1 s retransmit. Benchmarks post in parallel.
    request_queue_size = 128

    def __init__(self, fake: FakeSendGrid) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"FakeSendGrid-conn-{client_address}",
            daemon=True,
        )
        self.fake._track(request, thread)
        thread.start()

    def process_request_thread(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.fake._untrack(request)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)) or self.fake._closing.is_set():
            return  # the client went away (timeout, drop) or we are shutting down
        if exc is not None:
            self.fake._record_handler_error(exc)
        super().handle_error(request, client_address)


class _BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "FakeSendGrid/1.0"
    sys_version = ""
    timeout = 30  # idle keep-alive connections; stop() shuts sockets down anyway

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing ---------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        """Read the request body; raise _BodyError on a malformed or oversized one."""
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            if self.headers.get("Transfer-Encoding", "").strip().lower() == "chunked":
                return self._read_chunked()
            return b""
        try:
            length = int(length_header)
        except ValueError:
            raise _BodyError(400, "Invalid Content-Length header.") from None
        if length < 0:
            raise _BodyError(400, "Invalid Content-Length header.")
        if length > MAX_BODY_BYTES:
            raise _BodyError(413, "content too large")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BodyError(400, "Invalid chunked encoding.") from None
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _BodyError(413, "content too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _send(
        self,
        status: int,
        body: bytes = b"",
        *,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = "application/json",
    ) -> None:
        try:
            self.send_response(status)
            if body and content_type:
                self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if body:
                self.wfile.write(body)
            self.wfile.flush()
        except (ConnectionError, TimeoutError, ValueError):
            # Client gone (e.g. it timed out during delay_next) or socket shut down by stop().
            self.close_connection = True

    def _send_errors(self, status: int, errors: list[SendGridError]) -> None:
        self._send(status, _error_body(errors))

    # -- methods ------------------------------------------------------------------------------

    def do_POST(self) -> None:
        fake = self.server.fake
        try:
            self._handle_post(fake)
        except Exception as exc:  # pragma: no cover - bug in the double itself
            fake._record_handler_error(exc)
            self.close_connection = True
            self._send_errors(500, [SendGridError(f"fake server error: {exc!r}")])

    def _other_method(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == MAIL_SEND_PATH:
            self._send_errors(405, [SendGridError("method not allowed")])
        else:
            self._send_errors(404, [SendGridError("not found")])

    do_GET = do_PUT = do_PATCH = do_DELETE = _other_method

    def _handle_post(self, fake: FakeSendGrid) -> None:
        received_at = time.time()
        try:
            raw = self._read_body()
        except _BodyError as exc:
            self.close_connection = True  # the rest of the stream cannot be trusted
            self._send_errors(exc.status, [SendGridError(exc.message)])
            return
        if self.path.split("?", 1)[0] != MAIL_SEND_PATH:
            self.close_connection = True
            self._send_errors(404, [SendGridError("not found")])
            return
        fault = fake._next_fault()
        fake._wait(fake.latency)

        if fault is not None and fault.kind == "fail":
            headers: dict[str, str] = {}
            if fault.status == 429:
                headers["X-RateLimit-Limit"] = "600"
                headers["X-RateLimit-Remaining"] = "0"
            if fault.reset_in is not None:
                headers["X-RateLimit-Reset"] = str(int(time.time() + fault.reset_in))
            if fault.retry_after is not None:
                headers["Retry-After"] = fault.retry_after
            body = fault.body if fault.body is not None else _default_fault_body(fault.status)
            self._send(fault.status, body, headers=headers, content_type=fault.content_type)
            return

        status, errors, recorded = self._process(fake, raw, received_at)

        if fault is not None and fault.kind == "drop":
            # "Accepted, then connection dropped": close without writing a single byte.
            self.close_connection = True
            return
        if fault is not None and fault.kind == "delay":
            fake._wait(fault.seconds)
        if errors:
            self._send_errors(status, errors)
        elif recorded is not None and recorded.message_id is not None:
            self._send(status, headers={"X-Message-Id": recorded.message_id})
        else:
            self._send(status)

    def _process(
        self, fake: FakeSendGrid, raw: bytes, received_at: float
    ) -> tuple[int, list[SendGridError], RecordedRequest | None]:
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        # "None": SendGridAPIClient(api_key=None or "") silently sends "Bearer None" when
        # SENDGRID_API_KEY is unset; the real API answers 401, so must we.
        valid = token not in ("", "None") and fake.api_key in (None, token)
        if scheme.lower() != "bearer" or not valid:
            return (
                401,
                [SendGridError("The provided authorization grant is invalid, expired, or revoked")],
                None,
            )

        encoding = self.headers.get("Content-Encoding", "").strip().lower()
        if encoding == "gzip":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error):
                return 400, [SendGridError("The request body could not be gunzipped.")], None
        elif encoding not in ("", "identity"):
            return 415, [SendGridError(f"Unsupported Content-Encoding {encoding!r}.")], None

        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return 400, [SendGridError(f"Bad Request: invalid JSON ({exc})")], None

        errors = validate_mail_send(body, now=received_at)
        if errors:
            return 400, errors, None

        settings = body.get("mail_settings") or {}
        sandbox = (settings.get("sandbox_mode") or {}).get("enable") is True
        recorded = RecordedRequest(
            body=body,
            headers=RequestHeaders(list(self.headers.items())),
            received_at=received_at,
            message_id=None if sandbox else secrets.token_urlsafe(16),
            sandbox=sandbox,
            path=self.path,
        )
        fake._record(recorded)
        return (200 if sandbox else 202), [], recorded


def _default_fault_body(status: int) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase.lower()
    except ValueError:
        phrase = "error"
    return _error_body([SendGridError(phrase)])


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass
class _State:
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: deque[_Fault] = field(default_factory=deque)
    attempts: int = 0
    handler_errors: list[BaseException] = field(default_factory=list)


class FakeSendGrid:
    """Local SendGrid v3 Mail Send double on 127.0.0.1:<ephemeral port>.

    Use as a context manager (or call ``start()``/``stop()``). All methods are thread-safe.
    ``latency`` (seconds) is added to every request, e.g. 0.1 for benchmarks. ``api_key``, when
    given, is the only bearer token accepted (otherwise any non-empty token but "None" is).
    """

    def __init__(self, *, latency: float = 0.0, api_key: str | None = None) -> None:
        if latency < 0:
            raise ValueError("latency must be >= 0")
        self.latency = latency
        self.api_key = api_key  # when set, only "Bearer <api_key>" is accepted
        self._lock = threading.Condition()
        self._state = _State()
        self._closing = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: dict[int, tuple[socket.socket, threading.Thread]] = {}

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> FakeSendGrid:
        if self._server is not None:
            raise RuntimeError("FakeSendGrid already started")
        _request_validator()  # load and compile the schema before the first request
        self._closing.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeSendGrid-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._closing.set()  # cut short any delay/latency sleeps
        server.shutdown()  # stop accepting; returns once serve_forever has exited
        with self._lock:
            live = list(self._connections.values())
        for sock, _ in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wake handlers blocked on keep-alive reads
        deadline = time.monotonic() + _STOP_JOIN_TIMEOUT
        for _, handler_thread in live:
            handler_thread.join(max(0.0, deadline - time.monotonic()))
        server.server_close()
        if thread is not None:
            thread.join(_STOP_JOIN_TIMEOUT)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSendGrid:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSendGrid is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL to pass as the sendgrid client's ``host=``."""
        return f"http://127.0.0.1:{self.port}"

    # -- recordings -----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of every accepted request (sandbox included), in acceptance order."""
        with self._lock:
            return list(self._state.requests)

    @property
    def request_count(self) -> int:
        """Number of accepted requests (sandbox included)."""
        with self._lock:
            return len(self._state.requests)

    @property
    def attempt_count(self) -> int:
        """Number of POST /v3/mail/send requests received, whatever the outcome."""
        with self._lock:
            return self._state.attempts

    @property
    def handler_errors(self) -> list[BaseException]:
        """Unexpected exceptions raised inside the double (should stay empty)."""
        with self._lock:
            return list(self._state.handler_errors)

    def recipients(self) -> list[str]:
        """All ``to`` emails of accepted, non-sandbox requests, in order."""
        with self._lock:
            return [e for r in self._state.requests if not r.sandbox for e in r.recipients()]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Block until at least ``count`` requests were accepted; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self._state.requests) >= count, timeout)

    def reset(self) -> None:
        """Forget recorded requests, attempts and pending faults."""
        with self._lock:
            self._state = _State()

    # -- fault injection --------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        reset_in: float | None = None,
        retry_after: str | None = None,
        body: str | bytes | Mapping[str, Any] | None = None,
    ) -> None:
        """Answer the next request with ``status`` (not recorded, not validated).

        ``reset_in`` adds ``X-RateLimit-Reset: <now + reset_in, epoch seconds>``;
        ``retry_after`` adds ``Retry-After`` as given (RFC 9110 §10.2.3: delta-seconds or an
        HTTP-date), as a proxy or gateway in front of the API may answer. ``body`` is
        sent as-is (str/bytes) or as JSON (mapping); default: SendGrid-style error body.
        """
        if not 100 <= status <= 599:
            raise ValueError(f"invalid HTTP status {status}")
        content_type = "application/json"
        raw: bytes | None
        if body is None:
            raw = None
        elif isinstance(body, bytes):
            raw, content_type = body, "application/octet-stream"
        elif isinstance(body, str):
            raw, content_type = body.encode("utf-8"), "text/plain; charset=utf-8"
        else:
            raw = json.dumps(dict(body)).encode()
        self._push(
            _Fault(
                "fail",
                status=status,
                reset_in=reset_in,
                retry_after=retry_after,
                body=raw,
                content_type=content_type,
            )
        )

    def delay_next(self, seconds: float) -> None:
        """Process the next request normally (recording it if valid), then sleep ``seconds``
        before answering: the client may time out although the send was accepted."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._push(_Fault("delay", seconds=seconds))

    def drop_after_accept_next(self) -> None:
        """Process the next request normally (recording it if valid), then close the
        connection without sending any response."""
        self._push(_Fault("drop"))

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._state.faults)

    # -- internals used by the handler -----------------------------------------------------

    def _push(self, fault: _Fault) -> None:
        with self._lock:
            self._state.faults.append(fault)

    def _next_fault(self) -> _Fault | None:
        with self._lock:
            self._state.attempts += 1
            return self._state.faults.popleft() if self._state.faults else None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._state.requests.append(request)
            self._lock.notify_all()

    def _record_handler_error(self, exc: BaseException) -> None:
        with self._lock:
            self._state.handler_errors.append(exc)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._closing.wait(seconds)

    def _track(
        self, request: socket.socket | tuple[bytes, socket.socket], t: threading.Thread
    ) -> None:
        sock = request if isinstance(request, socket.socket) else request[1]
        with self._lock:
            self._connections[id(request)] = (sock, t)

    def _untrack(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        with self._lock:
            self._connections.pop(id(request), None)
