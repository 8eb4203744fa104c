"""What the audience use cases get (built by ``bootstrap.py``): the member stores, the segment
definitions, one-click unsubscribes, the clock and the signed links.

Every capability declares its own bundle like this one, holding ports of its own and of the
capabilities below it. Each bundle extends the one of the capability just below (staff ->
audiences -> content -> delivery -> authoring), so a use case may call a lower capability's
use case with the bundle it was given; scheduling's bundle (``scheduling/ports.py``) holds a
delivery bundle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from newsletter.audiences.domain.segments import Segment
from newsletter.audiences.ports.member_directory import MemberDirectory
from newsletter.audiences.ports.members import MemberStore
from newsletter.audiences.ports.preference_store import PreferenceStore
from newsletter.audiences.ports.signup_store import SignupStore
from newsletter.staff.ports import StaffServices


class Segments(Protocol):
    """The named segments and the UI strings (topic names) the audience pages read; the
    campaign catalog (content/ports/catalog.py) is one."""

    def ui_strings(self) -> dict[str, dict[str, str]]: ...

    def segments(self) -> dict[str, Segment]: ...

    def segment(self, name: str) -> Segment: ...


@dataclass(frozen=True, slots=True)
class UnsubscribeTarget:
    member_id: int
    language: str
    subscribed: bool


class Unsubscribes(Protocol):
    """One-click unsubscribes (RFC 8058), recorded beside the provider events
    (delivery/sql/event_store.py implements it as part of the event store)."""

    def unsubscribe_target(
        self, member_id: int, topic: str, issued_at: dt.datetime
    ) -> UnsubscribeTarget | None: ...

    def one_click(
        self, member_id: int, topic: str, issued_at: dt.datetime, *, now: dt.datetime
    ) -> bool: ...


class ConfirmationMail(Protocol):
    """Emails a sign-up's confirmation link: the wording is content's, the transport and its
    rate limit delivery's (delivery/signup_mail.py implements it; bootstrap wires it).
    Raises DeliveryError when the email could not be sent."""

    def __call__(
        self,
        email: str,
        language: str,
        link: str,
        topics: Sequence[str],
        sleep: Callable[[float], None],
    ) -> None: ...


@dataclass(frozen=True, kw_only=True)
class AudienceServices(StaffServices):
    members: MemberStore
    catalog: Segments
    #: One-click unsubscribes (the delivery bundle's event store).
    events: Unsubscribes
    #: Members' own choices through the signed preference link.
    preferences: PreferenceStore | None = None
    #: Member search and one member's events for the staff pages.
    directory: MemberDirectory | None = None
    #: Friends' subscription requests awaiting double opt-in (the public /subscribe form).
    signups: SignupStore | None = None
    #: Sends the confirmation email of a sign-up; None: no sign-ups are taken.
    confirmations: ConfirmationMail | None = None
