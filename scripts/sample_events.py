"""Feed the demo's sent campaigns a realistic, signed SendGrid Event Webhook batch.

The demo sends through the outbox, which can only say "handed over". So that the staff reports
show what a SendGrid installation would see, this script writes the events SendGrid would post
for those deliveries (processed, delivered, a few deferred and bounced, opens, clicks on the
links the emails really hold) in SendGrid's own format ("Event Webhook reference",
twilio.com/docs/sendgrid), signs each batch with a throw-away ECDSA P-256 key the way SendGrid
signs (signature over timestamp + body), and posts it to the app's real
``POST /webhooks/sendgrid``: the same signature check, parsing, de-duplication and ledger updates
as in production. Nothing leaves the machine (the request is an in-process ASGI call).

Deterministic: every choice comes from a hash of the delivery id, and event ids are derived the
same way, so a second run posts the same events and the webhook stores none of them twice.

    .venv/bin/python scripts/sample_events.py [--campaign SLUG ...]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import email
import hashlib
import html
import json
import re
import sys
import time
from collections.abc import Iterator, Sequence
from email import policy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from newsletter.bootstrap import App, build_app
from newsletter.config import Settings, load_settings
from newsletter.db.tables import campaigns, deliveries, members
from newsletter.delivery.ports import DeliveryServices
from newsletter.delivery.transports.sendgrid.signature import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignedEventWebhook,
)
from newsletter.web.app import create_app

#: Shares of what happens to a message (typical of an opt-in B2B list; SendGrid's and
#: mailbox providers' published benchmarks put opens at 30-45 % since Apple's Mail Privacy
#: Protection, clicks at 2-5 % of delivered, hard bounces near 1 %).
BOUNCE = 0.012
DEFERRED = 0.03
OPEN = 0.41
CLICK = 0.09
BATCH = 500  # SendGrid posts batches of up to a few hundred events (or every 30 s)
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
)
_HREF = re.compile(r'href="([^"]+)"')


def share(*parts: object) -> float:
    """A stable number in [0, 1) for these parts: the same delivery always gets the same fate."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def links_in(outbox: Path, slug: str, step: str) -> list[str]:
    """The links of one email of this campaign step, as written to the outbox, other than the
    per-member ones (SendGrid reports the original URL of a tracked link)."""
    folder = outbox / slug / step
    for path in sorted(folder.glob("*.eml"))[:1]:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(("html",))  # type: ignore[attr-defined]
        if body is None:
            return []
        found = [html.unescape(u) for u in _HREF.findall(body.get_content())]
        own = {"/u/", "/p/"}
        return [u for u in dict.fromkeys(found) if not any(p in urlsplit(u).path for p in own)]
    return []


def events_for(
    row: Any, links: Sequence[str], categories: Sequence[str], unsubscribe: str
) -> Iterator[dict[str, Any]]:
    did, address, sent_at = int(row.id), str(row.email), row.sent_at
    sent = sent_at.replace(tzinfo=dt.UTC) if sent_at.tzinfo is None else sent_at
    t0 = int(sent.timestamp())
    message = hashlib.sha1(f"msg{did}".encode()).hexdigest()[:22]  # noqa: S324 - an id, no secret
    common = {
        "email": address,
        "sg_message_id": f"{message}.filterdrecv-7bc4f9d4f6-2x9qm-1-{t0:X}-5.0",
        "smtp-id": f"<{message}@ismtpd0001p1lon1.sendgrid.net>",
        "category": list(categories),
        "nl_delivery_id": str(did),
    }

    def event(kind: str, at: int, **extra: Any) -> dict[str, Any]:
        eid = base64.urlsafe_b64encode(hashlib.sha256(f"{did}{kind}{at}".encode()).digest()[:16])
        return {**common, "timestamp": at, "event": kind, "sg_event_id": eid.decode()[:22], **extra}

    yield event("processed", t0 + 1)
    fate = share(did, "fate")
    if fate < BOUNCE:
        yield event(
            "bounce",
            t0 + 4,
            type="bounce",
            status="5.1.1",
            reason="550 5.1.1 The email account that you tried to reach does not exist.",
            bounce_classification="Invalid Address",
        )
        return
    delay = 5
    if fate < BOUNCE + DEFERRED:
        yield event(
            "deferred",
            t0 + 5,
            response="451 4.7.1 Greylisted, please try again later",
            attempt="1",
        )
        delay = 900
    yield event("delivered", t0 + delay, response="250 2.0.0 OK", tls=1)
    if share(did, "open") >= OPEN:
        return
    opened = t0 + delay + int(share(did, "when") * 2 * 86400)
    agent = USER_AGENTS[int(share(did, "agent") * len(USER_AGENTS))]
    yield event("open", opened, useragent=agent, ip="192.0.2.10", sg_machine_open=False)
    if not links or share(did, "click") >= CLICK / OPEN:
        return
    clicks = [links[int(share(did, "link") * len(links))]]
    if share(did, "again") < 0.15:
        clicks.append(links[0])
    for n, url in enumerate(clicks):
        yield event(
            "click",
            opened + 40 + 300 * n,
            url=url,
            url_offset={"index": links.index(url), "type": "html"},
            useragent=agent,
            ip="192.0.2.10",
        )
    if share(did, "unsubscribe") < 0.02:
        yield event("click", opened + 900, url=unsubscribe, useragent=agent, ip="192.0.2.10")


def build_events(
    ctx: DeliveryServices, settings: Settings, slugs: Sequence[str]
) -> list[dict[str, Any]]:
    engine = ctx.ledger.engine  # type: ignore[attr-defined]
    outbox = settings.path(settings.delivery.outbox_dir)
    out: list[dict[str, Any]] = []
    with engine.connect() as conn:
        query = (
            select(
                deliveries.c.id,
                deliveries.c.step,
                deliveries.c.sent_at,
                members.c.email,
                campaigns.c.slug,
            )
            .join(members, members.c.id == deliveries.c.member_id)
            .join(campaigns, campaigns.c.id == deliveries.c.campaign_id)
            .where(deliveries.c.status == "sent", deliveries.c.sent_at.is_not(None))
            .order_by(deliveries.c.id)
        )
        if slugs:
            query = query.where(campaigns.c.slug.in_(slugs))
        rows = conn.execute(query).all()
    links: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        key = (str(row.slug), str(row.step))
        if key not in links:
            links[key] = links_in(outbox, *key)
        unsubscribe = f"{ctx.links.base_url}/u/{hashlib.sha256(str(row.id).encode()).hexdigest()}"
        out.extend(events_for(row, links[key], [key[0]], unsubscribe))
    return out


async def _post(app: Any, body: bytes, headers: dict[str, str], host: str) -> tuple[int, bytes]:
    """One HTTP request to the ASGI app, in process (ASGI 3.0 HTTP scope)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/webhooks/sendgrid",
        "raw_path": b"/webhooks/sendgrid",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in {**headers, "host": host}.items()],
        "client": ("192.0.2.1", 443),
        "server": (host.split(":")[0], 80),
    }
    delivered = False
    status: list[int] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(int(message["status"]))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status[0], b"".join(chunks)


def feed(app: App, settings: Settings, slugs: Sequence[str] = ()) -> dict[str, int]:
    """Post the events in signed batches through the webhook; the webhook's own counts."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = base64.b64encode(
        key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()
    web = create_app(app, webhook=SignedEventWebhook(public))
    host = urlsplit(app.delivery.links.base_url).netloc or "localhost"
    found = build_events(app.delivery, settings, slugs)
    totals = {"events": len(found), "received": 0, "new": 0, "duplicates": 0}
    for start in range(0, len(found), BATCH):
        body = json.dumps(found[start : start + BATCH], ensure_ascii=False).encode()
        stamp = str(int(time.time()))
        signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: base64.b64encode(signature).decode(),
            TIMESTAMP_HEADER: stamp,
        }
        status, answer = asyncio.run(_post(web, body, headers, host))
        if status != 200:
            raise SystemExit(f"webhook answered {status}: {answer.decode(errors='replace')}")
        counts = json.loads(answer)
        for k in ("received", "new", "duplicates"):
            totals[k] += int(counts[k])
    return totals


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--campaign", action="append", default=[], help="only this campaign")
    args = parser.parse_args(argv)
    settings = load_settings()
    app = build_app(settings)
    try:
        totals = feed(app, settings, args.campaign)
    finally:
        app.close()
    print(
        f"SendGrid sample events: {totals['events']} posted to /webhooks/sendgrid, "
        f"{totals['new']} new, {totals['duplicates']} already there"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
