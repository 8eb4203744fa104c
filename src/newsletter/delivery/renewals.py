"""A fresh link for a member whose unsubscribe or preference link expired.

Links live :data:`~newsletter.core.tokens.DEFAULT_MAX_AGE` (90 days). The page of an expired
link (its signature still holds, so it is one we sent) offers to email a fresh pair of links
to the member's address on file; the page never shows or asks for the address. Whoever
presses the button gets the same answer whether mail went out or not (the member is gone,
bounced, or already had :data:`MAX_PER_MEMBER` fresh links today), so the page tells nothing
about who is on our lists; only the per-client limit is said out loud (it concerns the person
asking). The email goes through the configured transport under its rate limit.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from newsletter.audiences.domain.signup import client_hash
from newsletter.content.rendering.compose import Batch, ComposedVariant, Personalization
from newsletter.content.rendering.confirmation import HEADERS
from newsletter.content.rendering.renewal import renewal
from newsletter.core import tokens
from newsletter.core.links import PREFERENCES, UNSUBSCRIBE
from newsletter.delivery.ports import DeliveryServices
from newsletter.errors import (
    PermanentDeliveryError,
    RateLimitError,
    StateError,
    TokenError,
    TokenExpired,
)

#: Fresh links mailed to one member per :data:`WINDOW`; more requests are answered alike.
MAX_PER_MEMBER = 3
#: Requests from one client address per :data:`WINDOW`; past it the page says so (429).
MAX_PER_CLIENT = 20
WINDOW = dt.timedelta(days=1)
LIFETIME_DAYS = tokens.DEFAULT_MAX_AGE // 86_400

_MEMBER_LABEL = "link-renewal-member:"


def expired_claims(ctx: DeliveryServices, token: str, purpose: str) -> TokenExpired | None:
    """What an expired but genuine ``token`` was for; None for any other token."""
    try:
        ctx.links.verify(token, purpose=purpose, now=int(ctx.clock.now().timestamp()))
    except TokenExpired as exc:
        return exc
    except TokenError:
        return None
    return None


def renew(
    ctx: DeliveryServices,
    token: str,
    purpose: str,
    client: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Email the member of an expired ``token`` fresh links; False when the token is not an
    expired genuine one (the caller answers as for any bad link). RateLimitError when this
    client asked too often."""
    if ctx.renewals is None:
        raise StateError("this installation renews no links")
    if purpose not in (UNSUBSCRIBE, PREFERENCES):
        return False
    expired = expired_claims(ctx, token, purpose)
    if expired is None:
        return False
    now = ctx.clock.now()
    hashing = ctx.links.hashing
    client_ok, mail = ctx.renewals.admit(
        member_hash=client_hash(hashing, _MEMBER_LABEL + str(expired.member_id)),
        client_hash=client_hash(hashing, client),
        now=now,
        since=now - WINDOW,
        max_per_member=MAX_PER_MEMBER,
        max_per_client=MAX_PER_CLIENT,
    )
    if not client_ok:
        raise RateLimitError("too many requests for fresh links from your network")
    address = ctx.renewals.address(expired.member_id) if mail else None
    if address is None:
        return True
    issued = int(now.timestamp())
    links = ctx.links
    variant = renewal(
        address.language,
        links.unsubscribe(expired.member_id, expired.topic, issued),
        links.preferences(expired.member_id, expired.topic, issued),
        ctx.organisation,
        days=LIFETIME_DAYS,
    )
    send_one(ctx, variant, address.email, sleep)
    return True


def send_one(
    ctx: DeliveryServices, variant: ComposedVariant, to: str, sleep: Callable[[float], None]
) -> None:
    """One transactional email through the configured transport, under its rate limit."""
    person = Personalization(None, to, "", {}, HEADERS)
    while (delay := ctx.limiter.reserve(1, now=ctx.clock.now())) > 0:
        sleep(delay)
    mailer = ctx.mailer()
    try:
        result = mailer.send(Batch(variant, ctx.sender, (person,)))
    finally:
        mailer.close()
    trouble = [*result.rejected.values(), *result.deferred.values(), *result.unknown.values()]
    if trouble:
        raise PermanentDeliveryError(f"the email was refused: {trouble[0]}")
