"""The staff "forgot my password" email: the account and its one-time link come from
staff/passwords.py; the wording from content/rendering/renewal.py; the transport is the
configured one (one email, under the transport's rate limit)."""

from __future__ import annotations

import time
from collections.abc import Callable

from newsletter.content.rendering.renewal import password_reset
from newsletter.delivery.ports import DeliveryServices
from newsletter.delivery.renewals import send_one
from newsletter.staff import passwords
from newsletter.staff.domain.users import RESET_MINUTES


def mail_reset_link(
    ctx: DeliveryServices, email: str, client: str, *, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Email a reset link if ``email`` is an enabled staff account within its limit;
    otherwise nothing (the caller answers the same either way). RateLimitError per client."""
    found = passwords.forgot(ctx, email, client)
    if found is None:
        return
    variant = password_reset(found.link, ctx.organisation, minutes=RESET_MINUTES)
    send_one(ctx, variant, found.email, sleep)
