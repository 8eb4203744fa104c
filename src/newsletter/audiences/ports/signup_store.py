"""The store the public signup form needs (audiences/sql/signups.py implements it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from newsletter.audiences.domain.signup import RequestState, SignupRequest


@dataclass(frozen=True, slots=True)
class PendingSignup:
    """A stored request as the confirmation page needs it (no address, no name)."""

    id: int
    state: RequestState
    language: str
    topics: tuple[str, ...]
    requested_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Confirmed:
    member_id: int
    language: str
    topics: tuple[str, ...]
    #: The member was new (False: an existing member's subscriptions were added to).
    created: bool


class SignupStore(Protocol):
    def recent(
        self,
        *,
        address_hash: str,
        client_hash: str,
        address_since: dt.datetime,
        client_since: dt.datetime,
    ) -> tuple[int, int]:
        """(confirmation emails to this address since ``address_since``, requests from this
        client since ``client_since``)."""
        ...

    def add(
        self,
        request: SignupRequest | None,
        *,
        address_hash: str,
        client_hash: str,
        language: str,
        now: dt.datetime,
        keep_since: dt.datetime,
        address_since: dt.datetime,
        max_per_address: int,
    ) -> tuple[int, bool]:
        """Store a request (``None``: dropped, only counted against the client) and delete
        rows requested before ``keep_since``; return its id and whether it is to be mailed.
        A request is stored dropped instead when ``max_per_address`` requests for the
        address were mailed since ``address_since``: counted and stored in one serialised
        step, so parallel sign-ups for one address cannot all pass the same count."""
        ...

    def forget(self, request_id: int) -> None:
        """The confirmation email could not be sent: the row keeps counting, holds no data."""
        ...

    def pending(self, request_id: int) -> PendingSignup | None: ...

    def confirm(
        self, request_id: int, *, suppression_hash: Callable[[str], str], now: dt.datetime
    ) -> Confirmed | None:
        """Make the request a member with its topics subscribed and one consent event per
        topic, all in one transaction; None unless the request is still ``mailed``. An
        ``unsubscribed`` or ``erased`` suppression of the address (``suppression_hash`` of its
        dedupe key) is lifted: its owner asked again and proved the mailbox is theirs."""
        ...
