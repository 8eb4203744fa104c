"""Calendar revisions in SQL: the SEQUENCE and DTSTAMP each ``.ics`` UID goes out with.

RFC 5545 §3.8.7.4: the organiser increments SEQUENCE whenever it makes a significant revision
of an event (start, end, place), and calendars replace the old copy only when it does. The
composer computes a fingerprint of those properties; this store keeps, per UID, the last
fingerprint with its sequence and stamp. Asking again with the same fingerprint returns the
same revision (a preview and the send that follows carry identical bytes); a new fingerprint
returns the next sequence, stamped now. The row is locked while it is compared, so two
workers composing at once agree on one revision.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from newsletter.content.rendering.ics import Revision
from newsletter.db.tables import calendar_revisions
from newsletter.errors import ConfigError

T = calendar_revisions


class SqlCalendarRevisions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def revision(self, uid: str, fingerprint: str, *, now: dt.datetime) -> Revision:
        # DTSTAMP is written to the second (RFC 5545 §3.3.5); store what is written.
        stamp = now.astimezone(dt.UTC).replace(microsecond=0)
        try:
            for _ in range(2):  # a concurrent first insert of the same UID: read it instead
                try:
                    return self._revise(uid, fingerprint, stamp)
                except IntegrityError:
                    continue
            return self._revise(uid, fingerprint, stamp)
        except IntegrityError as exc:
            raise ConfigError(f"cannot record the calendar revision of {uid}") from exc
        # Operational faults (a lock held too long, a read-only or full disk) go up as they
        # are, to the one error boundary of the CLI, the scheduler and the web app.

    def _revise(self, uid: str, fingerprint: str, stamp: dt.datetime) -> Revision:
        with self.engine.begin() as conn:
            query = select(T.c.fingerprint, T.c.sequence, T.c.stamp).where(T.c.uid == uid)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            row = conn.execute(query).first()
            if row is None:
                conn.execute(
                    insert(T).values(uid=uid, fingerprint=fingerprint, sequence=0, stamp=stamp)
                )
                return Revision(0, stamp)
            if row.fingerprint == fingerprint:
                return Revision(int(row.sequence), _utc(row.stamp))
            sequence = int(row.sequence) + 1
            conn.execute(
                update(T)
                .where(T.c.uid == uid)
                .values(fingerprint=fingerprint, sequence=sequence, stamp=stamp)
            )
            return Revision(sequence, stamp)


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stamp we write is UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
