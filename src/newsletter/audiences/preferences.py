"""The member preference centre: what a signed ``/p/{token}`` link may see and change.

The token is the credential (no login, no cookie): signed, bound to the purpose
``preferences`` and one member (core/tokens.py). Every failure raises the same TokenError so
the web layer answers with one indistinguishable 404. A member may switch topics on and off,
choose the language and script of their emails, or leave everything; each change is a consent
event with the source ``preference-centre``.
"""

from __future__ import annotations

from newsletter.audiences.domain.members import LANGUAGES
from newsletter.audiences.ports.preference_store import Preferences, PreferenceStore
from newsletter.audiences.ports.services import AudienceServices
from newsletter.core.links import PREFERENCES
from newsletter.errors import InputError, TokenError

SOURCE = "preference-centre"


def offered_topics(ctx: AudienceServices) -> list[str]:
    """The lists the network sends: every ``topic_<name>`` phrase written in English."""
    return sorted(k[6:] for k in ctx.catalog.ui_strings().get("en", {}) if k.startswith("topic_"))


def store(ctx: AudienceServices) -> PreferenceStore:
    if ctx.preferences is None:
        raise TokenError("invalid token")  # no preference centre here: every link is unknown
    return ctx.preferences


def _member(ctx: AudienceServices, token: str) -> Preferences:
    now = int(ctx.clock.now().timestamp())
    claims = ctx.links.verify(token, purpose=PREFERENCES, now=now)
    found = store(ctx).preferences(claims.member_id)
    if found is None:  # erased since the link was sent
        raise TokenError("invalid token")
    return found


def look_up(ctx: AudienceServices, token: str) -> Preferences:
    """The member's current choices, with every offered topic present (off if no row)."""
    found = _member(ctx, token)
    topics = {t: bool(found.topics.get(t, False)) for t in offered_topics(ctx)}
    return Preferences(found.member_id, found.language, {**found.topics, **topics})


def save(
    ctx: AudienceServices,
    token: str,
    *,
    language: str,
    subscribed: set[str],
    leave_all: bool = False,
) -> Preferences:
    """Apply the form: ``subscribed`` are the topics left on; ``leave_all`` ends every one."""
    current = look_up(ctx, token)
    if language not in LANGUAGES:
        raise InputError(f"not a language we send in: {language}")
    unknown = subscribed - set(current.topics)
    if unknown:
        raise InputError(f"not a list: {', '.join(sorted(unknown))}")
    wanted = {t: (not leave_all and t in subscribed) for t in current.topics}
    store(ctx).save(current.member_id, language, wanted, source=SOURCE, now=ctx.clock.now())
    return Preferences(current.member_id, language, wanted)
