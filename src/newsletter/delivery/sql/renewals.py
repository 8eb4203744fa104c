"""Link renewals in SQL (migration 0017): the member's address, and the limits counted and
recorded in one serialised step (a table lock on PostgreSQL, the write lock on SQLite)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, delete, func, insert, select, text

from newsletter.db.tables import link_renewals as R
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
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("LOCK TABLE link_renewals IN SHARE ROW EXCLUSIVE MODE"))
            # Writing first takes SQLite's write lock; old requests go as new ones come.
            conn.execute(delete(R).where(R.c.at < since))
            by_client = conn.execute(
                select(func.count()).select_from(R).where(R.c.client_hash == client_hash)
            ).scalar_one()
            if int(by_client) >= max_per_client:
                return False, False
            mailed = conn.execute(
                select(func.count())
                .select_from(R)
                .where(R.c.member_hash == member_hash, R.c.mailed.is_(True))
            ).scalar_one()
            mail = int(mailed) < max_per_member
            conn.execute(
                insert(R).values(
                    member_hash=member_hash, client_hash=client_hash, mailed=mail, at=now
                )
            )
            return True, mail
