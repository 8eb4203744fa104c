"""Request-body limits and slow bodies, attacked over a real socket on loopback."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import ASGIApp

from newsletter.cli.serve import uvicorn_options
from newsletter.config import Settings
from newsletter.web.app import create_app
from newsletter.web.limits import PUBLIC_FORM_BYTES, UPLOAD_BYTES, BodyLimit, limit_for
from newsletter.web.slow_heads import HEAD_SECONDS, HeadDeadlineProtocol
from tests.services import Services


@contextlib.contextmanager
def serving(app: ASGIApp, **options: Any) -> Iterator[int]:
    """The app in a uvicorn thread on a loopback port; yields the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    options.setdefault("log_level", "warning")
    config = uvicorn.Config(app, lifespan="off", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def exchange(port: int, head: bytes, body: bytes = b"", wait: float = 5.0) -> bytes:
    """Send a request head (and part of a body), return what the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        conn.sendall(head + body)
        answer = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := conn.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer:
                    break
        return answer


def test_limits_per_route() -> None:
    assert limit_for("/staff/login") == PUBLIC_FORM_BYTES
    assert limit_for("/subscribe") == PUBLIC_FORM_BYTES
    assert limit_for("/u/token") == PUBLIC_FORM_BYTES
    assert limit_for("/staff/members/import") == UPLOAD_BYTES


@pytest.mark.parametrize("path", ["/staff/login", "/subscribe", "/u/abc", "/p/abc"])
def test_a_huge_declared_body_is_refused_before_it_is_sent(ctx: Services, path: str) -> None:
    with serving(create_app(ctx.app)) as port:
        started = time.monotonic()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {150 * 1024 * 1024}\r\n\r\n"
        ).encode()
        answer = exchange(port, head, b"a=" + b"x" * 1000)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert time.monotonic() - started < 3


def test_a_chunked_body_is_cut_off_at_the_cap(ctx: Services) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"email=a%40example.org&x="
        for _ in range(100):
            yield b"x" * 1024

    with TestClient(create_app(ctx.app)) as client:
        response = client.post(
            "/subscribe",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 413


def test_a_body_that_stops_coming_is_answered_408() -> None:
    async def echo(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(len(await request.body())))

    app = Starlette(
        routes=[Route("/", echo, methods=["POST"])], middleware=[Middleware(BodyLimit, idle=0.3)]
    )
    with serving(app) as port:
        started = time.monotonic()
        head = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n"
        answer = exchange(port, head, b"x" * 10)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert time.monotonic() - started < 3
        # A whole body within the limits still goes through.
        assert exchange(port, head, b"x" * 100).startswith(b"HTTP/1.1 200")


def client_seen_behind(settings: Settings) -> bytes:
    """What address the app sees for a client that claims X-Forwarded-For: 203.0.113.66."""

    async def who(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.client.host if request.client else "?")

    app = Starlette(routes=[Route("/", who)])
    with serving(app, **uvicorn_options(settings)) as port:
        head = (
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 203.0.113.66\r\n"
            b"Connection: close\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(head)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
    return answer.split(b"\r\n\r\n", 1)[1]


def test_forwarded_for_is_ignored_unless_from_a_trusted_proxy(settings: Settings) -> None:
    assert client_seen_behind(settings) == b"127.0.0.1"
    behind = settings.model_copy(
        update={"web": settings.web.model_copy(update={"trusted_proxies": ("127.0.0.1",)})}
    )
    assert client_seen_behind(behind) == b"203.0.113.66"


def test_tokens_stay_out_of_the_access_log(
    ctx: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    """One-click and preference URLs are valid for long; the log keeps no token."""
    token = "WyJ1bnN1YnNjcmliZSIsMSwiZXZlbnRzIiwxXQ.secretmacsecretmacsecretmac"
    with serving(create_app(ctx.app), log_level="info") as port:
        for path in (f"/u/{token}", f"/p/{token}?x=1", f"/subscribe/confirm/{token}"):
            head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            assert exchange(port, head.encode()).startswith(b"HTTP/1.1 ")
        time.sleep(0.2)
    logged = [line for line in capsys.readouterr().out.splitlines() if '"GET ' in line]
    assert len(logged) == 3
    assert all("[token]" in line for line in logged)
    assert not any("secretmac" in line for line in logged)


def test_a_forged_host_is_not_reflected_in_redirects(ctx: Services) -> None:
    """Starlette's trailing-slash redirect is built from the Host header."""
    with serving(create_app(ctx.app)) as port:
        head = b"GET /staff/login/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
        answer = exchange(port, head).decode("latin-1")
    assert answer.startswith("HTTP/1.1 30"), answer[:200]
    location = next(
        line.split(":", 1)[1].strip()
        for line in answer.split("\r\n")
        if line.lower().startswith("location:")
    )
    assert "evil.example" not in location
    assert location == ctx.links.base_url + "/staff/login"


def test_hsts_only_on_an_https_installation(ctx: Services) -> None:
    import dataclasses

    with TestClient(create_app(ctx.app)) as plain:
        assert "strict-transport-security" not in plain.get("/healthz").headers
    secure = dataclasses.replace(
        ctx, links=dataclasses.replace(ctx.links, base_url="https://news.example.org")
    )
    with TestClient(create_app(secure.app)) as client:
        hsts = client.get("/healthz").headers["strict-transport-security"]
    assert hsts.startswith("max-age=") and int(hsts.split("=")[1]) >= 31536000


# -- slow request heads (slowloris) ----------------------------------------------------------


class _QuickHeads(HeadDeadlineProtocol):
    head_seconds = 1.0


def _hello(_: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


HELLO = Starlette(routes=[Route("/", _hello)])


def _read_until_closed(conn: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and when it closed (monotonic)."""
    conn.settimeout(limit)
    answer = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := conn.recv(65536):
            answer += chunk
    return answer, time.monotonic()


def test_serve_gives_uvicorn_the_head_deadline(settings: Settings) -> None:
    options = uvicorn_options(settings)
    config = uvicorn.Config(HELLO, **options)
    config.load()
    assert config.http_protocol_class is HeadDeadlineProtocol
    assert HeadDeadlineProtocol.head_seconds == HEAD_SECONDS == 10.0


def test_a_head_trickled_a_byte_at_a_time_is_cut_off() -> None:
    with serving(HELLO, http=_QuickHeads) as port:
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        started = time.monotonic()
        head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 40
        closed_early = False
        for byte in head:  # 0.1 s a byte: without the deadline this lasts 5 s and more
            try:
                conn.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_early = True
                break
            time.sleep(0.1)
            if time.monotonic() - started > 3:
                break
        answer, ended = _read_until_closed(conn, 5)
        conn.close()
    assert closed_early or answer.startswith(b"HTTP/1.1 408 ")
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert ended - started < 4.5


def test_a_connection_that_sends_nothing_is_closed_with_408() -> None:
    with serving(HELLO, http=_QuickHeads) as port:
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        started = time.monotonic()
        answer, ended = _read_until_closed(conn, 5)
        conn.close()
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"Connection: close" in answer
    assert 0.9 < ended - started < 3


def test_prompt_requests_and_kept_alive_connections_are_served() -> None:
    with serving(HELLO, http=_QuickHeads, timeout_keep_alive=5) as port:
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        for _ in range(3):
            # Each head arrives in two parts 0.6 s apart: 1.2 s per connection in all, but
            # each head within its own second.
            conn.sendall(request[:10])
            time.sleep(0.6)
            conn.sendall(request[10:])
            answer = b""
            while not answer.endswith(b"hello"):
                chunk = conn.recv(65536)
                assert chunk, f"closed after {answer!r}"
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200 ")
        # Idle after the last response: the next head's deadline closes it.
        tail, _ = _read_until_closed(conn, 5)
        conn.close()
    assert tail.startswith(b"HTTP/1.1 408 ")
