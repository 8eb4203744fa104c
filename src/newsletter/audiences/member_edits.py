"""Staff changing one member: the profile, the topics, unsubscribing them from everything,
erasing them, and their data as one JSON document.

- A profile is checked by the very rules an import row is (``parse_member_row``): the same
  countries, languages, tiers and time zones are accepted, with the same letter fixes.
- Topic changes and unsubscribes are consent events (GDPR Art. 7(1)) whose source names the
  staff member and the reason they gave (``staff editor@x: wrote in on 3 May``); a change
  without a reason is refused, because a consent record must say why it changed.
- Erasure is exactly ``newsletter members erase`` (audiences/data_rights.erase_person): the
  person and everything attached go, the keyed hash of the address stays as a suppression.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from newsletter.audiences.data_rights import Erasure, erase_person
from newsletter.audiences.directory import directory, person_view
from newsletter.audiences.domain.labels import label
from newsletter.audiences.domain.members import RowProblem, parse_member_row
from newsletter.audiences.ports.member_directory import EDITABLE
from newsletter.audiences.ports.services import AudienceServices
from newsletter.audiences.preferences import offered_topics
from newsletter.errors import InputError

#: Longest reason kept (the consent source column holds 200 characters with the prefix).
MAX_WHY = 140


def _held(ctx: AudienceServices, member_id: int) -> dict[str, str]:
    held = directory(ctx).profile(member_id)
    if held is None:
        raise InputError("no such member (erased meanwhile?)", location=f"member {member_id}")
    return held


def consent_source(staff_email: str, why: str) -> str:
    """Who changed the consent and why, as the consent history shows it."""
    reason = " ".join(why.split())[:MAX_WHY]
    if not reason:
        raise InputError("say why (for the consent history)", location="Reason")
    return f"staff {staff_email}: {reason}"[:200]


def edit_profile(ctx: AudienceServices, member_id: int, values: Mapping[str, str]) -> list[str]:
    """Check and save the profile fields given; return the labels of those that changed."""
    held = _held(ctx, member_id)
    row = {**held, **{k: str(values[k]) for k in EDITABLE if k in values}}
    parsed = parse_member_row(row, 0)
    if isinstance(parsed, RowProblem):
        raise InputError(parsed.reason, location=label(parsed.field))
    wanted = {f: str(getattr(parsed, f)) for f in EDITABLE}
    changed = directory(ctx).update_profile(member_id, wanted, now=ctx.clock.now())
    return [label(f) for f in changed]


def topic_choices(ctx: AudienceServices, member_id: int) -> dict[str, bool]:
    """Every topic the network sends plus any the member has a row for: subscribed or not."""
    prefs = _preferences(ctx, member_id)
    offered = dict.fromkeys(offered_topics(ctx), False)
    return dict(sorted({**offered, **prefs.topics}.items()))


def set_topics(
    ctx: AudienceServices, member_id: int, subscribed: set[str], *, staff_email: str, why: str
) -> int:
    """Subscribe to exactly ``subscribed``; one consent event per topic that changed."""
    choices = topic_choices(ctx, member_id)
    unknown = subscribed - set(choices)
    if unknown:
        raise InputError(f"not a list: {', '.join(sorted(unknown))}", location="Topics")
    wanted = {t: t in subscribed for t in choices}
    changes = {t: on for t, on in wanted.items() if choices[t] != on}
    if not changes:
        return 0
    source = consent_source(staff_email, why)
    prefs = _preferences(ctx, member_id)
    store = ctx.preferences
    assert store is not None  # _preferences checked it
    return store.save(member_id, prefs.language, changes, source=source, now=ctx.clock.now())


def unsubscribe_everything(
    ctx: AudienceServices, member_id: int, *, staff_email: str, why: str
) -> int:
    """End every subscription (as the preference centre's "leave everything" does); return
    how many ended."""
    return set_topics(ctx, member_id, set(), staff_email=staff_email, why=why)


def erase_member(ctx: AudienceServices, member_id: int, confirmation: str) -> Erasure:
    """Erase as the CLI does, once the address typed as confirmation is the member's."""
    email = _held(ctx, member_id)["email"]
    if confirmation.strip().casefold() != email.casefold():
        raise InputError(
            "type the member's address exactly to confirm the erasure", location="Confirmation"
        )
    return erase_person(ctx, email)


def export_person(ctx: AudienceServices, member_id: int) -> dict[str, Any] | None:
    """Everything held about the member (GDPR Art. 15 and 20), as ``members show`` lists it."""
    view = person_view(ctx, member_id)
    return None if view is None else view.data.as_json()


def _preferences(ctx: AudienceServices, member_id: int) -> Any:
    if ctx.preferences is None:
        raise InputError("this installation cannot change subscriptions")
    found = ctx.preferences.preferences(member_id)
    if found is None:
        raise InputError("no such member (erased meanwhile?)", location=f"member {member_id}")
    return found
