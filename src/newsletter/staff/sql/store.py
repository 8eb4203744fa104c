"""Staff accounts, sessions, failed sign-ins and campaign approvals in SQL (migration 0006;
disabled accounts and the password-reset limits, 0017)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from newsletter.db.mail_requests import admit
from newsletter.db.tables import (
    campaign_approvals,
    login_attempts,
    staff_sessions,
    staff_users,
)
from newsletter.staff.domain.users import Role, StaffUser
from newsletter.staff.ports import Approval, Session

U, S, A, P = staff_users, staff_sessions, login_attempts, campaign_approvals


_USER = (U.c.id, U.c.email, U.c.role, U.c.disabled_at)


def _user(row: Any) -> StaffUser:  # a Row with _USER's columns
    return StaffUser(int(row.id), str(row.email), Role(row.role), row.disabled_at is not None)


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stamp we write is UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class SqlStaffStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_user(self, email: str, password_hash: str, role: Role, *, now: dt.datetime) -> bool:
        values = {"password_hash": password_hash, "role": role.value}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(U).values(email=email, created_at=now, **values))
            return True
        except IntegrityError:
            with self.engine.begin() as conn:
                conn.execute(update(U).where(U.c.email == email).values(**values))
                # A new password ends every open session of the account.
                ids = select(U.c.id).where(U.c.email == email).scalar_subquery()
                conn.execute(delete(S).where(S.c.user_id == ids))
            return False

    def remove_user(self, email: str) -> bool:
        with self.engine.begin() as conn:
            ids = select(U.c.id).where(U.c.email == email).scalar_subquery()
            conn.execute(delete(S).where(S.c.user_id == ids))  # also where FKs are off
            conn.execute(delete(A).where(A.c.email == email))
            return bool(conn.execute(delete(U).where(U.c.email == email)).rowcount)

    def credentials(self, email: str) -> tuple[StaffUser, str] | None:
        return self._credentials(U.c.email == email)

    def account(self, user_id: int) -> tuple[StaffUser, str] | None:
        return self._credentials(U.c.id == user_id)

    def _credentials(self, where: ColumnElement[bool]) -> tuple[StaffUser, str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_USER, U.c.password_hash).where(where)).first()
        return (_user(row), str(row.password_hash)) if row is not None else None

    def users(self) -> list[StaffUser]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(*_USER).order_by(U.c.email)).all()
        return [_user(r) for r in rows]

    def set_password(self, user_id: int, password_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(U).where(U.c.id == user_id).values(password_hash=password_hash))
            conn.execute(delete(S).where(S.c.user_id == user_id))  # every session ends

    def set_disabled(self, user_id: int, *, disabled: bool, now: dt.datetime) -> bool:
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(U).where(U.c.id == user_id).values(disabled_at=now if disabled else None)
            ).rowcount
            if disabled:
                conn.execute(delete(S).where(S.c.user_id == user_id))
        return bool(changed)

    def admit_reset(
        self,
        *,
        address_hash: str,
        client_hash: str,
        now: dt.datetime,
        since: dt.datetime,
        max_per_address: int,
        max_per_client: int,
    ) -> tuple[bool, bool]:
        return admit(
            self.engine,
            kind="staff-reset",
            subject_hash=address_hash,
            client_hash=client_hash,
            now=now,
            since=since,
            max_per_subject=max_per_address,
            max_per_client=max_per_client,
        )

    def claim_attempt(
        self,
        email: str,
        ip: str,
        *,
        now: dt.datetime,
        since: dt.datetime,
        wait: Callable[[tuple[int, dt.datetime | None], tuple[int, dt.datetime | None]], float],
    ) -> float:
        email, ip = email[:320], ip[:64]
        with self.engine.begin() as conn:
            # Serialise claims: PostgreSQL by a table lock that conflicts with itself; SQLite
            # by writing first (the cleanup below), which takes the database's write lock
            # before anything is counted.
            if conn.dialect.name == "postgresql":
                conn.execute(text("LOCK TABLE login_attempts IN SHARE ROW EXCLUSIVE MODE"))
            # Old rows are useless for the window; drop them as we go so the table stays small.
            conn.execute(delete(A).where(A.c.at < now - dt.timedelta(days=1)))
            recent = select(func.count(), func.max(A.c.at)).select_from(A).where(A.c.at >= since)
            by_email = conn.execute(recent.where(A.c.email == email)).one()
            by_ip = conn.execute(recent.where(A.c.ip == ip)).one()
            answer = wait(
                (int(by_email[0]), _utc(by_email[1]) if by_email[1] else None),
                (int(by_ip[0]), _utc(by_ip[1]) if by_ip[1] else None),
            )
            if answer <= 0:
                conn.execute(insert(A).values(email=email, ip=ip, at=now))
        return answer

    def clear_failures(self, email: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(A).where(A.c.email == email))

    def open_session(
        self, key: str, user_id: int, csrf: str, *, now: dt.datetime, expires_at: dt.datetime
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(S).where(S.c.expires_at < now))
            conn.execute(
                insert(S).values(
                    key=key, user_id=user_id, csrf=csrf, created_at=now, expires_at=expires_at
                )
            )

    def session(self, key: str, *, now: dt.datetime) -> Session | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_USER, S.c.csrf, S.c.expires_at)
                .join(U, U.c.id == S.c.user_id)
                .where(S.c.key == key)
            ).first()
        if row is None or _utc(row.expires_at) <= now or row.disabled_at is not None:
            return None
        return Session(_user(row), str(row.csrf), _utc(row.expires_at))

    def close_session(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(S).where(S.c.key == key))

    def approve(self, approval: Approval) -> None:
        values = {
            "fingerprint": approval.fingerprint,
            "approved_by": approval.approved_by,
            "approved_at": approval.approved_at,
            "version": approval.version,
            "note": approval.note[:300],
        }
        with self.engine.begin() as conn:
            done = conn.execute(update(P).where(P.c.slug == approval.slug).values(**values))
            if done.rowcount == 0:
                conn.execute(insert(P).values(slug=approval.slug, **values))

    def approval(self, slug: str) -> Approval | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(P).where(P.c.slug == slug)).first()
        if row is None:
            return None
        return Approval(
            str(row.slug),
            str(row.fingerprint),
            str(row.approved_by),
            _utc(row.approved_at),
            dict(row.version) if row.version is not None else None,
            str(row.note or ""),
        )
