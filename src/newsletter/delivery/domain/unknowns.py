"""What a delivery row in ``unknown`` (maybe sent) becomes, per step: resent or left to staff."""

from __future__ import annotations

from enum import StrEnum

from newsletter.content.domain.campaigns import MAIN_STEP


class UnknownPolicy(StrEnum):
    """What to do with a row whose request may or may not have reached the provider."""

    #: At-least-once: send again once events had time to say it arrived (reminders).
    RESEND = "resend"
    #: At-most-once: wait for provider events, then staff decide (announcements, newsletters).
    ASK = "ask"


def unknown_policy(step: str) -> UnknownPolicy:
    """Reminders are resent (a second reminder does less harm than a missing one before a
    deadline); the announcement itself is never sent twice without a person deciding
    (docs/operations.md, "When a send does not go cleanly")."""
    return UnknownPolicy.ASK if step == MAIN_STEP else UnknownPolicy.RESEND
