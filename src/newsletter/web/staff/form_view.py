"""What the campaign form templates read: the generated fields, the values, the problems.

Also the store of rendered live previews: an iframe needs a URL (an ``srcdoc`` frame would
inherit the staff page's Content-Security-Policy, which rightly forbids the inline styles every
email has), so each preview is kept here for a while under a random name, for its author only.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from newsletter.audiences.domain.members import LANGUAGES
from newsletter.authoring.form.fields import (
    KIND_LABELS,
    FormField,
    content_fields,
    copy_fields,
    milestone_fields,
    reminder_copy_fields,
)
from newsletter.authoring.form.inputs import indices
from newsletter.authoring.form.reminders import reminder_fields, reminder_message_fields
from newsletter.authoring.form.values import latin_placeholders


@dataclass
class FormView:
    kind: str
    values: Mapping[str, Sequence[str]]
    errors: Mapping[str, list[str]] = field(default_factory=dict)
    notes: Mapping[str, list[str]] = field(default_factory=dict)
    all_languages: tuple[str, ...] = LANGUAGES

    def __post_init__(self) -> None:
        self._latin = latin_placeholders(self.values)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def content(self) -> tuple[FormField, ...]:
        return content_fields(self.kind)

    @property
    def copy(self) -> tuple[FormField, ...]:
        return copy_fields(self.kind)

    @property
    def milestone(self) -> tuple[FormField, ...]:
        return milestone_fields()

    @property
    def reminder(self) -> tuple[FormField, ...]:
        return reminder_fields()

    @property
    def reminder_message(self) -> tuple[FormField, ...]:
        return reminder_message_fields()

    @property
    def reminder_copy(self) -> tuple[FormField, ...]:
        return reminder_copy_fields()

    @property
    def languages(self) -> list[str]:
        return [x for x in self.values.get("languages", []) if x in LANGUAGES]

    def value(self, name: str) -> str:
        found = self.values.get(name) or [""]
        return found[0]

    def picked(self, name: str) -> list[str]:
        return list(self.values.get(name, []))

    def problems(self, name: str) -> list[str]:
        return [*self.errors.get(name, []), *self.notes.get(name, [])]

    def items(self, name: str) -> list[int]:
        """Rows to show for a list: those that have values, and one empty row to add."""
        found = indices(self.values, name)
        return [*found, (found[-1] + 1) if found else 0]

    def latin(self, name: str) -> str:
        return self._latin.get(name, "")

    @property
    def generated_latin(self) -> dict[str, str]:
        """``<name>.sr-Latn`` -> the Latin generated from the Cyrillic beside it."""
        return dict(self._latin)

    def milestone_keys(self) -> list[str]:
        return self._keys("milestones")

    def reminder_keys(self) -> list[str]:
        return self._keys("reminders")

    def _keys(self, name: str) -> list[str]:
        keys = (self.value(f"{name}.{i}.key") for i in indices(self.values, name))
        return [k for k in keys if k]


class PreviewStore:
    """Rendered previews by random name, for the staff user who made them, for ``ttl``
    seconds; at most ``capacity`` at once (the oldest go first). One per web process:
    ``newsletter serve`` runs one."""

    def __init__(
        self,
        capacity: int = 200,
        ttl: float = 1800.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity, self.ttl, self.clock = capacity, ttl, clock
        self._items: OrderedDict[str, tuple[int, float, str]] = OrderedDict()
        self._lock = threading.Lock()  # handlers run in the thread pool

    def put(self, user_id: int, html: str) -> str:
        name = secrets.token_urlsafe(18)
        with self._lock:
            self._items[name] = (user_id, self.clock() + self.ttl, html)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return name

    def get(self, user_id: int, name: str) -> str | None:
        with self._lock:
            found = self._items.get(name)
        if found is None or found[0] != user_id or found[1] < self.clock():
            return None
        return found[2]
