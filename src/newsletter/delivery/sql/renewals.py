"""Link renewals in SQL: the member's address, and the limits (db/mail_requests.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from newsletter.db.mail_requests import admit
from newsletter.db.tables import members
from newsletter.delivery.ports import RenewalAddress

#: Who may still get mail from us at all (not after a bounce or a complaint).
_MAILABLE = ("active", "unsubscribed")


class SqlLinkRenewals:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def address(self, member_id: int) -> RenewalAddress | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(members.c.email, members.c.language).where(
                    members.c.id == member_id, members.c.status.in_(_MAILABLE)
                )
            ).first()
        return RenewalAddress(str(row.email), str(row.language)) if row else None

    def admit(
        self,
        *,
        member_hash: str,
        client_hash: str,
        now: dt.datetime,
        since: dt.datetime,
        max_per_member: int,
        max_per_client: int,
    ) -> tuple[bool, bool]:
        return admit(
            self.engine,
            kind="link-renewal",
            subject_hash=member_hash,
            client_hash=client_hash,
            now=now,
            since=since,
            max_per_subject=max_per_member,
            max_per_client=max_per_client,
        )
