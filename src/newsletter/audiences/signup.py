"""Friends subscribe through the public form, with double opt-in (audiences/domain/signup.py).

1. :func:`request_signup` validates the form, applies the limits against list bombing, stores
   the request and emails a confirmation link (the ``confirmations`` port, which
   delivery/signup_mail.py implements) - the email carries nothing the subscriber typed.
2. The link's page (:func:`look_up`, a GET) shows a button and changes nothing.
3. :func:`confirm` (the POST) makes the member, subscribes the chosen lists and records one
   consent event per list with source ``web form``, the wording version the form showed and the
   time.

Whether an address gets an email is never visible to whoever fills in the form: a request over
the per-address limit, or for an address that bounced or complained, is answered exactly like
one that was mailed (no probing who is on our lists). Only the per-client limit is said out
loud, since it concerns the person asking.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import partial

from newsletter.audiences.domain.privacy import suppression_hash
from newsletter.audiences.domain.signup import (
    ADDRESS_WINDOW,
    CLIENT_WINDOW,
    CONFIRM_MAX_AGE,
    CONFIRM_PURPOSE,
    MAX_PER_ADDRESS,
    MAX_PER_CLIENT,
    FieldProblem,
    RequestState,
    address_hash,
    client_hash,
    may_mail,
    parse_signup,
)
from newsletter.audiences.ports.services import AudienceServices
from newsletter.audiences.ports.signup_store import Confirmed, PendingSignup, SignupStore
from newsletter.audiences.preferences import offered_topics
from newsletter.core import tokens
from newsletter.errors import (
    DeliveryError,
    RateLimitError,
    StateError,
    TokenError,
)

CONFIRM_PATH = "/subscribe/confirm/"


@dataclass(frozen=True, slots=True)
class Requested:
    language: str
    #: False when the limits or a suppression kept the email back (the page says the same).
    mailed: bool


def store(ctx: AudienceServices) -> SignupStore:
    if ctx.signups is None:
        raise TokenError("invalid token")  # no signup store here: every link is unknown
    return ctx.signups


def request_signup(
    ctx: AudienceServices,
    fields: Mapping[str, str],
    topics: Collection[str],
    *,
    client: str,
    wording_version: str,
    sleep: Callable[[float], None] = time.sleep,
) -> Requested | list[FieldProblem]:
    """Handle one form submission; the problems, or what was done. Raises RateLimitError
    when this client asked too often, DeliveryError when the email could not be sent."""
    if ctx.signups is None or ctx.confirmations is None:
        raise StateError("this installation takes no subscriptions through the web")
    db, mail = ctx.signups, ctx.confirmations
    parsed = parse_signup(
        fields, topics, offered=offered_topics(ctx), wording_version=wording_version
    )
    if isinstance(parsed, list):
        return parsed
    now = ctx.clock.now()
    hashing = ctx.links.hashing  # never rotated: the stored hashes stay comparable
    by_address, by_client = address_hash(hashing, parsed.email_key), client_hash(hashing, client)
    _, asked = db.recent(
        address_hash=by_address,
        client_hash=by_client,
        address_since=now - ADDRESS_WINDOW,
        client_since=now - CLIENT_WINDOW,
    )
    if asked >= MAX_PER_CLIENT:
        raise RateLimitError("too many subscription requests from your network")
    suppressed = ctx.members.suppression(suppression_hash(hashing, parsed.email_key))
    # The per-address limit is checked where the request is stored, in one step.
    request_id, send = db.add(
        parsed if may_mail(suppressed) else None,
        address_hash=by_address,
        client_hash=by_client,
        language=parsed.language,
        now=now,
        keep_since=now - CONFIRM_MAX_AGE,
        address_since=now - ADDRESS_WINDOW,
        max_per_address=MAX_PER_ADDRESS,
    )
    if not send:
        return Requested(parsed.language, mailed=False)
    claims = tokens.TokenClaims(CONFIRM_PURPOSE, request_id, "", int(now.timestamp()))
    link = f"{ctx.links.base_url}{CONFIRM_PATH}{tokens.sign(ctx.links.secret, claims)}"
    try:
        mail(parsed.email, parsed.language, link, parsed.topics, sleep)
    except DeliveryError:
        db.forget(request_id)
        raise
    return Requested(parsed.language, mailed=True)


def _request(ctx: AudienceServices, token: str) -> PendingSignup:
    now = int(ctx.clock.now().timestamp())
    claims = ctx.links.verify(
        token,
        purpose=CONFIRM_PURPOSE,
        now=now,
        max_age=int(CONFIRM_MAX_AGE.total_seconds()),
    )
    found = store(ctx).pending(claims.member_id)
    if found is None or found.state is RequestState.DROPPED:
        raise TokenError("invalid token")
    return found


def look_up(ctx: AudienceServices, token: str) -> PendingSignup:
    """The request behind a confirmation link (TokenError for any bad or expired link)."""
    return _request(ctx, token)


def confirm(ctx: AudienceServices, token: str) -> Confirmed | PendingSignup:
    """Confirm the request: the new subscription, or the request as it is when it had been
    confirmed already (pressing the button twice is harmless)."""
    found = _request(ctx, token)
    if found.state is RequestState.CONFIRMED:
        return found
    # The address is only in the stored request: the store hashes it to lift a suppression.
    done = store(ctx).confirm(
        found.id, suppression_hash=partial(suppression_hash, ctx.links.hashing), now=ctx.clock.now()
    )
    return done if done is not None else _request(ctx, token)
