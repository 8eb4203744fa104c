"""What an approval binds: one exact version of a campaign, and what changed since.

A *version* is everything that decides what members get: the campaign document (every
language's subject, preheader and texts, the kind's content, template, audience name and
topic, milestones and the reminder chain, archive opt-in), the audience's segment rule as it
is now (widening a segment widens who gets it), the sender and organisation identity, the
source of every template the campaign's steps use (layout and partials included) and the
interface strings of its languages. Its fingerprint is the
SHA-256 of the version in canonical JSON, so two equal versions have equal fingerprints
whichever order their keys were written in.

An approval stores the fingerprint *and* the version, so a later reviewer sees a per-field,
per-language list of what changed since the last approval (:func:`changes`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: Why a scheduled step does not go out: shown in the timeline, calendar, status and page.
CHANGED = "changed after approval"
NEVER_APPROVED = "not approved"
#: The full reasons, as the timeline and the campaign page show them.
HELD_CHANGED = f"{CHANGED}: not sent until an approver approves the new version"
HELD_UNAPPROVED = f"{NEVER_APPROVED}: not sent until an approver approves it"
#: Longest value a change list shows in full; longer ones are cut with an ellipsis.
SHOWN = 160


def canonical(version: Mapping[str, Any]) -> str:
    """The version as JSON with sorted keys and no spacing: the bytes the fingerprint hashes."""
    return json.dumps(version, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(version: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(version).encode()).hexdigest()


def version_of(
    campaign: Mapping[str, Any],
    segment: Mapping[str, Any] | None,
    sender: Mapping[str, Any],
    *,
    templates: Mapping[str, str],
    ui_strings: Mapping[str, Any],
    organisation: Mapping[str, Any],
) -> dict[str, Any]:
    """The approvable version from its parts, each already as plain JSON values. Template
    sources enter as their SHA-256 (the diff then says which file changed, not its text)."""
    return {
        "campaign": dict(campaign),
        "segment": segment,
        "sender": dict(sender),
        "organisation": dict(organisation),
        "templates": {
            name: hashlib.sha256(source.encode()).hexdigest()
            for name, source in sorted(templates.items())
        },
        "ui_strings": dict(ui_strings),
    }


@dataclass(frozen=True, slots=True)
class Change:
    """One field that differs, by its path: ``("campaign", "subject", "sr-Cyrl")``."""

    parts: tuple[str, ...]
    before: str | None  # None: the field is new
    after: str | None  # None: the field was removed

    @property
    def path(self) -> str:
        return ".".join(self.parts)

    @property
    def label(self) -> str:
        """The path as staff read it, without the ``campaign`` prefix: ``subject › sr-Cyrl``;
        a template by its file name: ``templates › partials/footer.mjml.j2``."""
        parts = self.parts[1:] if self.parts[:1] == ("campaign",) else self.parts
        return " › ".join(parts) or self.path


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """Every leaf that differs between two versions, in path order."""
    old, new = dict(_leaves(before)), dict(_leaves(after))
    found = []
    for parts in sorted(old.keys() | new.keys()):
        a, b = old.get(parts), new.get(parts)
        if a != b:
            found.append(Change(parts, _shown(a), _shown(b)))
    return found


def _leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, Mapping):
        if not value and path:
            yield path, "{}"
        for key, item in value.items():
            yield from _leaves(item, (*path, str(key)))
    elif isinstance(value, list) and value and any(isinstance(v, Mapping) for v in value):
        for i, item in enumerate(value):
            # Reminder steps are known by their key, so a removed step is not "every later
            # step changed".
            name = item.get("key", i) if isinstance(item, Mapping) else i
            yield from _leaves(item, (*path, str(name)))
    else:
        yield path, value


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"
