"""What the campaign form shows: a stored campaign or a campaign file as form values (the
names newsletter.authoring.form.parse reads back), and the Serbian Latin generated from
each Cyrillic input, offered greyed in the Latin column."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from newsletter.authoring.form.fields import (
    FormField,
    content_fields,
    copy_fields,
    milestone_fields,
    reminder_copy_fields,
)
from newsletter.authoring.form.problems import TOP_LEVEL
from newsletter.authoring.form.reminders import reminder_fields, show_before
from newsletter.core.serbian import to_latin

Values = Mapping[str, Sequence[str]]


def _text(value: Any) -> str:
    return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)


def values_of(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """The form values that show ``document`` (a stored campaign or a campaign file)."""
    kind = str(document.get("kind", "letter"))
    langs = [str(x) for x in document.get("languages", ["en"])]
    out: dict[str, list[str]] = {"languages": langs}
    out.update({k: [str(document[k])] for k in TOP_LEVEL[:-2] if k in document})
    out["default_language"] = [str(document.get("default_language", langs[0]))]
    _message(document, "", copy_fields(kind), out)
    _flatten(content_fields(kind), document.get("content") or {}, "content", langs, out)
    for i, (key, m) in enumerate((document.get("milestones") or {}).items()):
        _flatten(milestone_fields(), {"key": key, **m}, f"milestones.{i}", langs, out)

    for i, step in enumerate(document.get("reminders") or []):
        row = f"reminders.{i}"
        facts = {k: v for k, v in step.items() if k in ("key", "milestone", "skip_segment")}
        facts["before"] = show_before(step.get("before", "P3D"))
        if "at_time" in step:
            facts["at_time"] = str(step["at_time"])[:5]  # HH:MM, what <input type=time> shows
        _flatten(reminder_fields(), facts, row, langs, out)
        _message(step, f"{row}.", reminder_copy_fields(), out)
    return out


def _message(
    message: Mapping[str, Any],
    prefix: str,
    copy: Sequence[FormField],
    out: dict[str, list[str]],
) -> None:
    """What one mailing says (the announcement, or a reminder step under ``reminders.<i>.``):
    subject, preheader and the template's prose, per language."""
    for part in ("subject", "preheader"):
        for lang, text in (message.get(part) or {}).items():
            out[f"{prefix}{part}.{lang}"] = [str(text)]
    for f in copy:
        for lang, block in (message.get("copy") or {}).items():
            if f.key in block:
                out[f"{prefix}copy.{f.key}.{lang}"] = [_text(block[f.key])]


def _flatten(
    fields: Sequence[FormField],
    data: Mapping[str, Any],
    prefix: str,
    langs: list[str],
    out: dict[str, list[str]],
) -> None:
    for f in fields:
        if f.key not in data:
            continue
        value, name = data[f.key], f"{prefix}.{f.key}"
        if f.translated:
            table = value if isinstance(value, dict) else dict.fromkeys(langs, value)
            out.update({f"{name}.{lang}": [_text(text)] for lang, text in table.items()})
        elif f.widget == "group":
            _flatten(f.children, value, name, langs, out)
        elif f.widget == "list":
            for i, item in enumerate(value):
                _flatten(f.children, item, f"{name}.{i}", langs, out)
        elif f.widget == "choices":
            out[name] = [str(x) for x in value]
        else:
            out[name] = [_text(value)]


def latin_placeholders(values: Values) -> dict[str, str]:
    """``<name>.sr-Latn`` -> the Latin generated from ``<name>.sr-Cyrl``, for every Cyrillic
    input that has text: shown in the empty Latin input, which an editor may overwrite."""
    langs = values.get("languages", [])
    if "sr-Cyrl" not in langs or "sr-Latn" not in langs:
        return {}
    return {
        k.removesuffix("sr-Cyrl") + "sr-Latn": to_latin(v[0])
        for k, v in values.items()
        if k.endswith(".sr-Cyrl") and v and isinstance(v[0], str) and v[0].strip()
    }
