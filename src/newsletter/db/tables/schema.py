"""The one ``MetaData`` every table of ``newsletter.db.tables`` belongs to (Alembic's
``target_metadata``), and the timestamp type they share."""

from __future__ import annotations

from sqlalchemy import DateTime, MetaData

# Deterministic constraint names so migrations can refer to them on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
TS = DateTime(timezone=True)
