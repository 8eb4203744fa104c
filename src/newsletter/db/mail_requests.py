"""Limits on requests that send an email on someone's behalf (table ``mail_requests``).

Shared by the member "fresh link" page (delivery/sql/renewals.py) and the staff "forgot my
password" form (staff/sql/store.py): count this subject's mails and this client's requests
of one kind since a time, and record this request, in one serialised step - a table lock on
PostgreSQL, the write lock on SQLite - so parallel requests cannot all pass the same count.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, delete, func, insert, select, text

from newsletter.db.tables import mail_requests as R


def admit(
    engine: Engine,
    *,
    kind: str,
    subject_hash: str,
    client_hash: str,
    now: dt.datetime,
    since: dt.datetime,
    max_per_subject: int,
    max_per_client: int,
) -> tuple[bool, bool]:
    """(the client is within its limit, an email may go to the subject). Requests of this
    kind before ``since`` are deleted; a refused client's request is not recorded."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("LOCK TABLE mail_requests IN SHARE ROW EXCLUSIVE MODE"))
        # Writing first takes SQLite's write lock.
        conn.execute(delete(R).where(R.c.kind == kind, R.c.at < since))
        of_kind = R.c.kind == kind
        by_client = conn.execute(
            select(func.count()).select_from(R).where(of_kind, R.c.client_hash == client_hash)
        ).scalar_one()
        if int(by_client) >= max_per_client:
            return False, False
        mailed = conn.execute(
            select(func.count())
            .select_from(R)
            .where(of_kind, R.c.subject_hash == subject_hash, R.c.mailed.is_(True))
        ).scalar_one()
        mail = int(mailed) < max_per_subject
        conn.execute(
            insert(R).values(
                kind=kind, subject_hash=subject_hash, client_hash=client_hash, mailed=mail, at=now
            )
        )
        return True, mail
