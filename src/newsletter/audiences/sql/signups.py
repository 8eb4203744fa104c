"""Signup requests in SQL (migration 0009): the list-bombing windows, and confirmation, which
makes a member (or adds to one) with a consent event per topic in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, Row, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection

from newsletter.audiences.domain.members import MemberStatus
from newsletter.audiences.domain.privacy import SuppressionReason
from newsletter.audiences.domain.signup import SOURCE, RequestState, SignupRequest
from newsletter.audiences.ports.signup_store import Confirmed, PendingSignup
from newsletter.audiences.sql.search_terms import term_rows, write_terms
from newsletter.core.addresses import email_key
from newsletter.db.tables import (
    consent_events,
    members,
    signup_requests,
    subscriptions,
    suppressions,
)

R = signup_requests
#: Suppressions a confirmed request lifts: the owner of the address asked again, and proved it.
_LIFTED = (SuppressionReason.UNSUBSCRIBED.value, SuppressionReason.ERASED.value)
_BLANK = {"email": "", "first_name": "", "last_name": "", "organization": ""}


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stamp we write is UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class SqlSignupStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def recent(
        self,
        *,
        address_hash: str,
        client_hash: str,
        address_since: dt.datetime,
        client_since: dt.datetime,
    ) -> tuple[int, int]:
        count = select(func.count()).select_from(R)
        with self.engine.connect() as conn:
            mailed = conn.execute(
                count.where(
                    R.c.address_hash == address_hash,
                    R.c.requested_at >= address_since,
                    R.c.state != RequestState.DROPPED.value,
                )
            ).scalar_one()
            asked = conn.execute(
                count.where(R.c.client_hash == client_hash, R.c.requested_at >= client_since)
            ).scalar_one()
        return int(mailed), int(asked)

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
        values = {
            "address_hash": address_hash,
            "client_hash": client_hash,
            "language": language,
            "requested_at": now,
            "wording_version": "",
            "topics": "",
            **_BLANK,
        }
        dropped = {**values, "state": RequestState.DROPPED.value}
        if request is not None:
            values.update(
                state=RequestState.MAILED.value,
                email=request.email,
                first_name=request.first_name,
                last_name=request.last_name,
                organization=request.organization,
                topics=";".join(request.topics),
                wording_version=request.wording_version,
            )
        with self.engine.begin() as conn:
            # Serialise: PostgreSQL by a table lock that conflicts with itself; SQLite by
            # writing first (the delete below takes the database's write lock).
            if conn.dialect.name == "postgresql":
                conn.execute(text("LOCK TABLE signup_requests IN SHARE ROW EXCLUSIVE MODE"))
            # Expired requests go as new ones come: nobody's typed data outlives its link.
            conn.execute(delete(R).where(R.c.requested_at < keep_since))
            mail = request is not None
            if mail:
                mailed = conn.execute(
                    select(func.count())
                    .select_from(R)
                    .where(
                        R.c.address_hash == address_hash,
                        R.c.requested_at >= address_since,
                        R.c.state != RequestState.DROPPED.value,
                    )
                ).scalar_one()
                mail = int(mailed) < max_per_address
            row = values if mail else dropped
            request_id = conn.execute(insert(R).values(**row).returning(R.c.id)).scalar_one()
            return int(request_id), mail

    def forget(self, request_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(R)
                .where(R.c.id == request_id)
                .values(state=RequestState.DROPPED.value, topics="", **_BLANK)
            )

    def pending(self, request_id: int) -> PendingSignup | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(R.c.id, R.c.state, R.c.language, R.c.topics, R.c.requested_at).where(
                    R.c.id == request_id
                )
            ).first()
        if row is None:
            return None
        return PendingSignup(
            int(row.id),
            RequestState(row.state),
            str(row.language),
            _topics(row.topics),
            _utc(row.requested_at),
        )

    def confirm(
        self, request_id: int, *, suppression_hash: Callable[[str], str], now: dt.datetime
    ) -> Confirmed | None:
        with self.engine.begin() as conn:
            row = conn.execute(select(R).where(R.c.id == request_id)).first()
            if row is None or row.state != RequestState.MAILED.value:
                return None
            # The conditional UPDATE is the claim: of two simultaneous confirmations one wins.
            won = conn.execute(
                update(R)
                .where(R.c.id == request_id, R.c.state == RequestState.MAILED.value)
                .values(state=RequestState.CONFIRMED.value, confirmed_at=now, **_BLANK)
            ).rowcount
            if not won:
                return None
            member_id, created = _member(conn, row, now)
            topics = _topics(row.topics)
            for topic in topics:
                _subscribe(conn, member_id, topic, now)
                conn.execute(
                    insert(consent_events).values(
                        member_id=member_id,
                        topic=topic,
                        action="subscribed",
                        source=SOURCE,
                        wording_version=row.wording_version,
                        at=now,
                    )
                )
            conn.execute(
                delete(suppressions).where(
                    suppressions.c.email_hash == suppression_hash(email_key(str(row.email))),
                    suppressions.c.reason.in_(_LIFTED),
                )
            )
        return Confirmed(member_id, str(row.language), topics, created)


def _topics(text: str) -> tuple[str, ...]:
    return tuple(t for t in str(text).split(";") if t)


def _member(conn: Connection, row: Row[Any], now: dt.datetime) -> tuple[int, bool]:
    """The member with the request's address, made if there is none; an address whose owner
    had left everything is active again (they asked, and proved the mailbox is theirs)."""
    email = str(row.email)
    key = email_key(email)
    held = conn.execute(
        select(members.c.id, members.c.status).where(members.c.email_key == key)
    ).first()
    if held is not None:
        if held.status == MemberStatus.UNSUBSCRIBED.value:
            conn.execute(
                update(members)
                .where(members.c.id == held.id)
                .values(status=MemberStatus.ACTIVE.value, updated_at=now)
            )
        return int(held.id), False
    created = conn.execute(
        insert(members)
        .values(
            email=email,
            email_key=key,
            first_name=row.first_name,
            last_name=row.last_name,
            organization=row.organization,
            role="",
            country="",
            language=row.language,
            tier="friend",
            timezone="",
            consent_source=SOURCE,
            consent_date=now.date(),
            consent_wording=row.wording_version,
            status=MemberStatus.ACTIVE.value,
            created_at=now,
            updated_at=now,
        )
        .returning(members.c.id)
    ).scalar_one()
    write_terms(
        conn, term_rows(int(created), row.first_name, row.last_name, row.organization, email)
    )
    return int(created), True


def _subscribe(conn: Connection, member_id: int, topic: str, now: dt.datetime) -> None:
    S = subscriptions
    done = conn.execute(
        update(S)
        .where(S.c.member_id == member_id, S.c.topic == topic)
        .values(status="subscribed", updated_at=now)
    ).rowcount
    if not done:
        conn.execute(
            insert(S).values(member_id=member_id, topic=topic, status="subscribed", updated_at=now)
        )
