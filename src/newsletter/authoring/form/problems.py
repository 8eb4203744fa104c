"""Where a problem with a campaign form is shown: pydantic's error locations turned into the
form field they belong to, and what each language's template text still lacks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from newsletter.authoring.form.fields import COPY_MODELS, FormField, TemplateCopy

#: Campaign fields the form shows as one input each (their errors go beside it).
TOP_LEVEL = ("slug", "title", "kind", "audience", "topic", "languages", "default_language")


def copy_problems(
    kind: str | type[TemplateCopy], copy: Mapping[str, Any], langs: list[str]
) -> dict[str, list[str]]:
    """What each language's copy lacks for its template (a kind's, or a copy model such as a
    reminder's): ``copy.intro -> ["ro: Field required"]``. Serbian Latin generated from
    Cyrillic lacks what the Cyrillic lacks."""
    model = COPY_MODELS[kind] if isinstance(kind, str) else kind
    notes: dict[str, list[str]] = {}
    for lang in langs:
        if lang == "sr-Latn" and "sr-Cyrl" in langs and "sr-Latn" not in copy:
            continue
        try:
            model.model_validate(copy.get(lang) or {})
        except ValidationError as exc:
            for err in exc.errors():
                name = f"copy.{err['loc'][0]}" if err["loc"] else ""
                notes.setdefault(name, []).append(f"{lang}: {err['msg']}")
    return notes


def names(fields: Sequence[FormField], data: Any, prefix: str) -> Iterator[str]:
    """Every form name a content error can be shown beside (list items by their number)."""
    for f in fields:
        name = f"{prefix}.{f.key}"
        yield name
        value = data.get(f.key) if isinstance(data, dict) else None
        if f.widget == "group":
            yield from names(f.children, value or {}, name)
        elif f.widget == "list" and isinstance(value, list):
            for i, item in enumerate(value):
                yield f"{name}.{i}"
                yield from names(f.children, item, f"{name}.{i}")


def form_name(
    loc: list[str],
    milestones: Mapping[str, int],
    known: set[str],
    reminders: Sequence[int] = (),
) -> str:
    """The form field a pydantic error location belongs to ("" = the form as a whole).
    ``reminders``: the form row of each reminder step, in the document's order."""
    if not loc:
        return ""
    head = loc[0]
    if head in TOP_LEVEL or head in ("subject", "preheader"):
        return head
    if head == "copy":
        return f"copy.{loc[2]}" if len(loc) > 2 else "copy"
    if head == "milestones" and len(loc) > 1 and loc[1] in milestones:
        rest = loc[2:3]  # at / timezone / label
        return ".".join(["milestones", str(milestones[loc[1]]), *rest])
    if head == "reminders" and len(loc) > 1 and loc[1].isdigit() and int(loc[1]) < len(reminders):
        return ".".join(["reminders", str(reminders[int(loc[1])]), *loc[2:3]])
    if head == "content":
        # Union tags ('str', 'dict[str,str]') and languages trail the field's own path.
        for end in range(len(loc), 0, -1):
            name = ".".join(loc[:end])
            if name in known:
                return name
        return "content"
    return ""
