"""Reading what a campaign form posts (``name -> [values]``, as an HTML form sends them):
one value, a text of lines, the row numbers of a list, a text per language (Serbian Latin left
out where it is only the generated one) and a template's prose per language. Shared by
campaign_form_data (the campaign) and campaign_form_reminders (its reminder rows)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from newsletter.authoring.form.fields import FormField
from newsletter.core.serbian import to_latin_deep

Values = Mapping[str, Sequence[str]]
MAX_ITEMS = 100  # list items one form may post: a form, not a bulk import


def one(values: Values, name: str) -> str:
    found = values.get(name) or [""]
    return found[0] if isinstance(found[0], str) else ""


def lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


def indices(values: Values, name: str) -> list[int]:
    """The item numbers posted for the list ``name`` (``name.<i>.<...>``), in order."""
    pattern = re.compile(rf"^{re.escape(name)}\.(\d{{1,3}})(?:\.|$)")
    found = {int(m.group(1)) for k in values if (m := pattern.match(k))}
    return sorted(found)[:MAX_ITEMS]


def translated(values: Values, name: str, f: FormField, langs: list[str]) -> Any:
    written: dict[str, Any] = {}
    for lang in langs:
        raw = one(values, f"{name}.{lang}")
        value = lines(raw) if f.widget == "lines" else raw.strip()
        if value:
            written[lang] = value
    if "sr-Cyrl" in written and written.get("sr-Latn") == to_latin_deep(written["sr-Cyrl"]):
        del written["sr-Latn"]  # the generated Latin, not an override
    if not written:
        return None
    first = next(iter(written.values()))
    generated = "sr-Latn" in langs and "sr-Latn" not in written and "sr-Cyrl" in written
    needed = [lang for lang in langs if not (lang == "sr-Latn" and generated)]
    same = all(written.get(lang) == first for lang in needed)
    if f.single_ok and same and (not generated or to_latin_deep(first) == first):
        return first  # one value for every language, as a file writes a proper name
    return written


def copy_block(
    values: Values,
    fields: Sequence[FormField],
    prefix: str,
    langs: list[str],
    base: Mapping[str, Any],
) -> dict[str, dict[str, Any]]:
    """A template's prose per language (``<prefix>.<part>.<lang>``) on top of ``base``, whose
    parts the form does not show are kept."""
    keys = {f.key for f in fields}
    copy: dict[str, dict[str, Any]] = {}
    for lang in langs:
        block = {k: v for k, v in (base.get(lang) or {}).items() if k not in keys}
        for f in fields:
            raw = one(values, f"{prefix}.{f.key}.{lang}")
            value = lines(raw) if f.widget == "lines" else raw.strip()
            if value:
                block[f.key] = value
        if block:
            copy[lang] = block
    if "sr-Latn" in copy and "sr-Cyrl" in copy:
        # Copy is read per language as a whole: an override of one part needs the rest of
        # the generated Latin beside it.
        generated: dict[str, Any] = to_latin_deep(copy["sr-Cyrl"])
        own = {k: v for k, v in copy["sr-Latn"].items() if generated.get(k) != v}
        if own:
            copy["sr-Latn"] = {**generated, **own}
        else:
            del copy["sr-Latn"]
    return copy
