"""The reminder chain in the campaign form: one row per reminder step, so staff can add
"three days before the deadline" without editing a campaign file.

Form names follow the document (``reminders:`` in ``campaigns/*.yaml``, see
:class:`newsletter.content.domain.campaigns.ReminderStep`): ``reminders.<i>.key``, ``.milestone``,
``.before``, ``.at_time``, ``.skip_segment``, ``reminders.<i>.subject.<lang>``,
``.preheader.<lang>`` and ``reminders.<i>.copy.<part>.<lang>``.

``before`` is written as people say it: "3 days", "12 hours", "1 day 6 hours" (or ISO 8601
``P3D``, as files hold it). Whole days are counted on the milestone's calendar and the step goes
out at ``at_time``; anything with hours is elapsed time before the milestone, and ``at_time``
does not apply (newsletter.scheduling.domain.reminders.step_due).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from newsletter.authoring.form.fields import FormField, reminder_copy_fields
from newsletter.authoring.form.inputs import Values, copy_block, indices, one, translated
from newsletter.content.domain.campaigns import MAIN_STEP

#: The template a reminder is written with unless the campaign file names another.
REMINDER_TEMPLATE = "deadline_reminder.mjml.j2"

_DURATION = TypeAdapter(dt.timedelta)
_PART = re.compile(r"(\d{1,4})\s*(d|days?|h|hours?)\b", re.IGNORECASE)
_JOINERS = re.compile(r"(?:\s|,|\band\b)*", re.IGNORECASE)


@cache
def reminder_fields() -> tuple[FormField, ...]:
    """The facts of one step: which milestone, how long before, at what time, whom to skip."""
    return (
        FormField("key", "Key", "text", required=True),
        FormField("milestone", "Milestone", "milestone", required=True),
        FormField("before", "Before the milestone", "before", required=True),
        FormField("at_time", "At (local time)", "time"),
        FormField("skip_segment", "Skip members in", "segment"),
    )


@cache
def reminder_message_fields() -> tuple[FormField, ...]:
    return (
        FormField("subject", "Subject", "text", required=True, translated=True),
        # Like the announcement's: a draft may lack it, approval needs it in every language.
        FormField("preheader", "Preheader", "text", required=True, translated=True),
    )


def show_before(value: Any) -> str:
    """A document's ``before`` (``P3D``, ``PT12H`` or a timedelta) as the form shows it."""
    try:
        delta = value if isinstance(value, dt.timedelta) else _DURATION.validate_python(value)
    except ValidationError:
        return str(value)
    days, rest = divmod(delta, dt.timedelta(days=1))
    hours = int(rest.total_seconds() // 3600)
    parts = [f"{days} day{'s' * (days != 1)}"] if days else []
    parts += [f"{hours} hour{'s' * (hours != 1)}"] if hours else []
    return " ".join(parts) or "0 days"


def read_before(text: str) -> dt.timedelta:
    """ "3 days", "12h", "1 day 6 hours", "3" (days) or ISO 8601 "P3D"; ValueError otherwise."""
    text = text.strip()
    if text.isdigit():
        return dt.timedelta(days=int(text))
    if text[:1] in ("P", "p"):
        try:
            return _DURATION.validate_python(text.upper())
        except ValidationError:
            raise ValueError(f"{text!r} is not an ISO 8601 duration") from None
    found = list(_PART.finditer(text))
    if not found or not _JOINERS.fullmatch(_PART.sub(" ", text)):
        raise ValueError(f"write how long before, e.g. '3 days' or '12 hours' (not {text!r})")
    delta = dt.timedelta()
    for m in found:
        unit = "days" if m.group(2).lower().startswith("d") else "hours"
        delta += dt.timedelta(**{unit: int(m.group(1))})
    return delta


@dataclass
class ReminderRows:
    """The steps a form describes, where each came from, and what keeps them from saving."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    #: Position in ``steps`` -> the row number in the form (for placing pydantic's errors).
    rows: list[int] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)


def parse_reminders(
    values: Values,
    langs: list[str],
    base: Sequence[Mapping[str, Any]],
    milestones: Collection[str],
) -> ReminderRows:
    """The posted rows as ``reminders:`` entries on top of ``base`` (the edited campaign's
    steps: a row keeps its step's template and the copy the form does not show). A blank row
    is left out."""
    found = ReminderRows()
    old = {str(s.get("key")): s for s in base if isinstance(s, Mapping)}
    for i in indices(values, "reminders"):
        row = f"reminders.{i}"
        facts = {f.key: one(values, f"{row}.{f.key}").strip() for f in reminder_fields()}
        texts = {
            f.key: translated(values, f"{row}.{f.key}", f, langs) for f in reminder_message_fields()
        }
        was = old.get(facts["key"]) or (base[i] if i < len(base) else {})
        body = copy_block(
            values, reminder_copy_fields(), f"{row}.copy", langs, was.get("copy") or {}
        )
        if not any(facts.values()) and not any(texts.values()) and not body:
            continue
        problems = _row_problems(facts, found, milestones)
        for name, problem in problems:
            found.errors.setdefault(f"{row}.{name}", []).append(problem)
        if problems:
            continue
        step: dict[str, Any] = {"key": facts["key"], "milestone": facts["milestone"]}
        step["template"] = was.get("template") or REMINDER_TEMPLATE
        try:
            step["before"] = _DURATION.dump_python(read_before(facts["before"]), mode="json")
        except ValueError as exc:
            found.errors.setdefault(f"{row}.before", []).append(str(exc))
            continue
        if facts["at_time"]:
            step["at_time"] = facts["at_time"]
        if facts["skip_segment"]:
            step["skip_segment"] = facts["skip_segment"]
        step.update({k: v for k, v in texts.items() if v})
        if body:
            step["copy"] = body
        found.steps.append(step)
        found.rows.append(i)
    return found


def _row_problems(
    facts: Mapping[str, str], found: ReminderRows, milestones: Collection[str]
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    key = facts["key"]
    if not key:
        problems.append(("key", "give the reminder a key, e.g. deadline-7d"))
    elif key == MAIN_STEP or key in {s["key"] for s in found.steps}:
        problems.append(("key", f"{key!r} is used twice (or is the word {MAIN_STEP!r})"))
    if not facts["milestone"]:
        problems.append(("milestone", "choose the milestone this reminder is before"))
    elif facts["milestone"] not in milestones:
        known = ", ".join(milestones) or "none yet: add one above"
        problems.append(("milestone", f"no milestone {facts['milestone']!r} ({known})"))
    if not facts["before"]:
        problems.append(("before", "say how long before, e.g. '3 days' or '12 hours'"))
    return problems
