"""Campaign form values -> the campaign document, and pydantic's errors placed by field (the
other way, document -> values, is newsletter.authoring.form.values).

Form names follow the document: ``slug``, ``title``, ``languages`` (one value per checked box),
``subject.<lang>``, ``copy.<part>.<lang>``, ``content.<field>`` and ``content.<field>.<lang>``,
list items as ``content.<field>.<index>.<subfield>``, milestones as ``milestones.<index>.key``,
``.at``, ``.timezone`` and ``.label.<lang>``, reminder steps as ``reminders.<index>.<...>``
(newsletter.authoring.form.reminders). Values arrive as ``name -> [values]`` (what an
HTML form posts), so this module needs no web framework.

Serbian Latin: an ``sr-Latn`` input left empty, or holding exactly the Latin generated from the
Cyrillic beside it, is not stored: it stays generated, and follows later edits of the Cyrillic.
Only a real override is written. A translated fact with the same value in every language is
stored once (a proper name), as a campaign file would write it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from newsletter.audiences.domain.members import LANGUAGES
from newsletter.authoring.form.fields import (
    TEMPLATES,
    FormField,
    ReminderCopy,
    content_fields,
    copy_fields,
    milestone_fields,
)
from newsletter.authoring.form.inputs import (
    Values,
    copy_block,
    indices,
    lines,
    one,
    translated,
)
from newsletter.authoring.form.problems import copy_problems, form_name, names
from newsletter.authoring.form.reminders import parse_reminders
from newsletter.content.domain.announcements import CONTENT_MODELS
from newsletter.content.domain.campaigns import CampaignDefinition

#: Document keys the form writes; everything else (fallbacks, categories, template, ...) is
#: kept from the campaign being edited. ``reminders`` too when the form posts no reminder rows
#: at all (a form without that part); a form with every row cleared removes them.
OWNED = frozenset(
    {"slug", "title", "kind", "audience", "topic", "languages", "default_language", "subject"}
    | {"preheader", "copy", "content", "milestones"}
)


# -- parsing ------------------------------------------------------------------------------------


def _parse(
    fields: Sequence[FormField],
    values: Values,
    prefix: str,
    langs: list[str],
    base: Any = None,
) -> dict[str, Any]:
    """The part of the document under ``prefix``; ``base`` is the same part of the campaign
    being edited (row ``i`` of a list is row ``i`` there: the form numbers them so)."""
    out: dict[str, Any] = {}
    base = base if isinstance(base, dict) else {}
    for f in fields:
        name, old = f"{prefix}.{f.key}", base.get(f.key)
        value: Any
        if f.translated:
            value = translated(values, name, f, langs)
        elif f.widget == "group":
            value = _parse(f.children, values, name, langs, old) or None
        elif f.widget == "list":
            rows = old if isinstance(old, list) else []
            items = [
                _parse(f.children, values, f"{name}.{i}", langs, rows[i] if i < len(rows) else None)
                for i in indices(values, name)
            ]
            value = [item for item in items if item] or None  # blank rows are left out
        elif f.widget == "choices":
            picked = [c for c in values.get(name, []) if c in f.choices]
            kept = [c for c in (old or []) if c in picked]  # the edited campaign's order
            value = kept + [c for c in picked if c not in kept] or None
        elif f.widget == "lines":
            value = lines(one(values, name)) or None
        else:
            value = one(values, name).strip() or None
        if value is not None:
            out[f.key] = value
    return out


@dataclass
class ParsedForm:
    kind: str
    document: dict[str, Any]
    campaign: CampaignDefinition | None
    #: Form name -> problems that keep the campaign from being saved ("" = the whole form).
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: Form name -> what a language still lacks (saved anyway; approval waits for it).
    notes: dict[str, list[str]] = field(default_factory=dict)


def languages_of(values: Values, base: Mapping[str, Any]) -> list[str]:
    """Checked languages: the edited campaign's order first, new ones in the usual order."""
    checked = [x for x in values.get("languages", []) if x in LANGUAGES]
    old = [x for x in base.get("languages", []) if x in checked]
    return old + [x for x in LANGUAGES if x in checked and x not in old]


def parse_form(values: Values, base: Mapping[str, Any] | None = None) -> ParsedForm:
    """The campaign the form describes, on top of ``base`` (the campaign being edited, whose
    parts the form does not show are kept), validated as a campaign file would be."""
    base = dict(base or {})
    kind = one(values, "kind") or str(base.get("kind", ""))
    if kind not in CONTENT_MODELS:
        return ParsedForm(kind, {}, None, {"kind": [f"unknown kind {kind!r}"]})
    langs = languages_of(values, base)
    doc: dict[str, Any] = {k: v for k, v in base.items() if k not in OWNED}
    for key in ("slug", "title", "audience", "topic"):
        if one(values, key).strip():
            doc[key] = one(values, key).strip()
    doc.update(kind=kind, template=base.get("template") or TEMPLATES[kind], languages=langs)
    default = one(values, "default_language")
    doc["default_language"] = default if default in langs else (langs or ["en"])[0]
    for part in ("subject", "preheader"):
        table = translated(values, part, FormField(part, part, "text"), langs)
        if table:
            doc[part] = table
    copy = copy_block(values, copy_fields(kind), "copy", langs, base.get("copy") or {})
    if copy:
        doc["copy"] = copy
    doc["content"] = _parse(content_fields(kind), values, "content", langs, base.get("content"))
    where: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    milestones: dict[str, Any] = {}
    for i in indices(values, "milestones"):
        prefix = f"milestones.{i}"
        key = one(values, f"{prefix}.key").strip()
        rest = _parse(milestone_fields()[1:], values, prefix, langs)
        if not key and not rest:
            continue
        if not key or key in milestones:
            problem = "give the milestone a key" if not key else f"{key!r} is used twice"
            errors.setdefault(f"{prefix}.key", []).append(problem)
            continue
        milestones[key], where[key] = rest, i
    if milestones:
        doc["milestones"] = milestones
    rows = list(range(len(doc.get("reminders") or [])))  # kept as they were, unless posted
    if any(k.startswith("reminders.") for k in values):
        found = parse_reminders(values, langs, base.get("reminders") or [], milestones)
        errors.update(found.errors)
        doc.pop("reminders", None)
        if found.steps:
            doc["reminders"] = found.steps
        rows = found.rows
    parsed = ParsedForm(kind, doc, None, errors)
    try:
        campaign = CampaignDefinition.model_validate(doc)
    except ValidationError as exc:
        known = set(names(content_fields(kind), doc["content"], "content"))
        for err in exc.errors():
            name = form_name([str(p) for p in err["loc"]], where, known, rows)
            parsed.errors.setdefault(name, []).append(err["msg"].removeprefix("Value error, "))
        return parsed
    if not errors:
        parsed.campaign = campaign
    parsed.notes = copy_problems(kind, copy, langs)
    for i, step in zip(rows, doc.get("reminders") or [], strict=True):
        lacking = copy_problems(ReminderCopy, step.get("copy") or {}, langs)
        parsed.notes.update({f"reminders.{i}.{k}": v for k, v in lacking.items()})
    return parsed
