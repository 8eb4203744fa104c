"""Shared bits of the member page tests: the database behind the app, and members who have
just been sent an events email."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.services import Services
from tests.synthetic import add_deliveries, add_members


def engine_of(ctx: Services) -> Engine:
    return ctx.ledger.engine  # type: ignore[attr-defined,no-any-return]


def sent_members(ctx: Services, language: str) -> list[int]:
    """Two consenting members in ``language`` who follow events and news, each sent an events
    email at the clock's now; their ids."""
    engine = engine_of(ctx)
    mids = add_members(engine, 2, topics=("events", "news"), languages=(language,), consent=True)
    add_deliveries(engine, mids, topic="events", at=ctx.clock.now())
    return mids
