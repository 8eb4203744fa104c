"""One-click unsubscribe (RFC 8058): who a link points at, and ending that subscription.

The token alone authorises (no cookies, no login; RFC 8058 §3). It is signed, bound to
the purpose ``unsubscribe``, a member and a topic, and stays valid for a year
(core/tokens.py). Every failure - forged, expired, another purpose, a member who no longer
exists, or one who subscribed again after the link was issued - raises the same
TokenError, so the web layer answers all of them with one indistinguishable 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from newsletter.audiences.ports.services import AudienceServices
from newsletter.core import tokens
from newsletter.core.links import UNSUBSCRIBE
from newsletter.errors import TokenError


@dataclass(frozen=True, slots=True)
class Unsubscription:
    member_id: int
    topic: str
    language: str
    #: Still subscribed (GET), or this request ended the subscription (POST).
    subscribed: bool
    changed: bool = False


def _claims(ctx: AudienceServices, token: str) -> tuple[tokens.TokenClaims, Unsubscription]:
    now = int(ctx.clock.now().timestamp())
    claims = ctx.links.verify(token, purpose=UNSUBSCRIBE, now=now)
    issued = dt.datetime.fromtimestamp(claims.issued_at, dt.UTC)
    target = ctx.events.unsubscribe_target(claims.member_id, claims.topic, issued)
    if target is None:
        raise TokenError("invalid token")
    return claims, Unsubscription(
        target.member_id, claims.topic, target.language, target.subscribed
    )


def look_up(ctx: AudienceServices, token: str) -> Unsubscription:
    """What the link would do; changes nothing (GET and HEAD never unsubscribe: RFC 8058 §1)."""
    return _claims(ctx, token)[1]


def one_click(ctx: AudienceServices, token: str) -> Unsubscription:
    """End the topic subscription, committed before this returns (RFC 8058). Repeats are
    harmless: one consent event, one ``unsubscribed`` event."""
    claims, target = _claims(ctx, token)
    issued = dt.datetime.fromtimestamp(claims.issued_at, dt.UTC)
    changed = ctx.events.one_click(target.member_id, target.topic, issued, now=ctx.clock.now())
    return Unsubscription(target.member_id, target.topic, target.language, False, changed)
