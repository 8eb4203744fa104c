"""The column mapping staff last confirmed per source system (``import_presets``), so the
next Mailchimp, listmonk or spreadsheet file opens with it."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Engine, delete, insert, select

from newsletter.db.tables import import_presets


class SqlImportPresets:
    engine: Engine

    def import_preset(self, system: str) -> dict[str, str]:
        """Column name -> field ("" ignored) last saved for ``system``; empty if none."""
        query = select(import_presets.c.mapping).where(import_presets.c.system == system)
        with self.engine.connect() as conn:
            text = conn.execute(query).scalar()
        if not text:
            return {}
        found = json.loads(text)
        if not isinstance(found, dict):
            return {}
        return {str(k): str(v) for k, v in found.items()}

    def save_import_preset(
        self, system: str, mapping: dict[str, str], *, by: str, now: dt.datetime
    ) -> None:
        """Replace the system's preset (delete then insert: the same on SQLite and PostgreSQL,
        in one transaction)."""
        text = json.dumps(mapping, ensure_ascii=False, sort_keys=True)
        with self.engine.begin() as conn:
            conn.execute(delete(import_presets).where(import_presets.c.system == system))
            conn.execute(
                insert(import_presets).values(
                    system=system, mapping=text, saved_by=by[:320], saved_at=now
                )
            )
