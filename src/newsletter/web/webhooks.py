"""Provider webhooks: ``POST /webhooks/sendgrid`` (SendGrid's signed Event Webhook).

The signature is checked over the exact bytes received before the JSON is parsed
(delivery/transports/sendgrid/signature.py); a missing, forged or stale signature gets 403 with a
vague message. A verified batch goes through the same service as ``newsletter events ingest`` in one
transaction, so a batch delivered twice is applied once (the events are de-duplicated), and a
failure answers 500, which SendGrid retries for up to 24 hours.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from newsletter.delivery.ingest import ingest_events, parse_batch
from newsletter.delivery.transports.sendgrid.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER
from newsletter.errors import InputError, WebhookVerificationError
from newsletter.web.deps import deps

#: SendGrid batches are far smaller; anything bigger is not from SendGrid.
MAX_BODY = 5 * 1024 * 1024

log = logging.getLogger("newsletter.web.webhooks")


class _TooLarge(Exception):
    pass


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def sendgrid(request: Request) -> Response:
    d = deps(request)
    app, verifier = d.app, d.webhook
    if verifier is None:
        log.warning("SendGrid webhook called but sendgrid.webhook_public_key is not set")
        return PlainTextResponse("forbidden", 403)
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind != "application/json":
        return PlainTextResponse("expected application/json", 415)
    try:
        body = await _body(request)
    except _TooLarge:
        return PlainTextResponse("too large", 413)
    try:
        verifier.verify(
            body,
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            now=d.now(),
        )
    except WebhookVerificationError:
        log.warning("SendGrid webhook: signature missing, wrong or stale; refused")
        return PlainTextResponse("forbidden", 403)
    try:
        raw = parse_batch(body)
    except InputError:
        return PlainTextResponse("expected a JSON array of events", 400)
    report = await run_in_threadpool(ingest_events, app.delivery, raw)
    if report.problems:
        log.warning("SendGrid webhook: %d events skipped: %s", report.skipped, report.problems[:3])
    return JSONResponse(
        {"received": report.received, "new": report.new, "duplicates": report.duplicates}
    )


ROUTES = [Route("/webhooks/sendgrid", sendgrid, methods=["POST"])]
