"""What the campaign form shows: a stored campaign or a campaign file as form values (the
names newsletter.services.campaign_form_data reads back), and the Serbian Latin generated from
each Cyrillic input, offered greyed in the Latin column."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from newsletter.domain.serbian import to_latin
from newsletter.services.campaign_form import (
    FormField,
    content_fields,
    copy_fields,
    milestone_fields,
)
from newsletter.services.campaign_form_problems import TOP_LEVEL
from newsletter.services.campaign_form_reminders import reminder_values

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
    for part in ("subject", "preheader"):
        for lang, text in (document.get(part) or {}).items():
            out[f"{part}.{lang}"] = [str(text)]
    for f in copy_fields(kind):
        for lang, block in (document.get("copy") or {}).items():
            if f.key in block:
                out[f"copy.{f.key}.{lang}"] = [_text(block[f.key])]
    _flatten(content_fields(kind), document.get("content") or {}, "content", langs, out)
    for i, (key, m) in enumerate((document.get("milestones") or {}).items()):
        _flatten(milestone_fields(), {"key": key, **m}, f"milestones.{i}", langs, out)

    def row(fields: Sequence[FormField], data: Mapping[str, Any], prefix: str, o: Any) -> None:
        _flatten(fields, data, prefix, langs, o)

    reminder_values(document, row, out)
    return out


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
