"""Reminder chains: when each step of a campaign is due, and what a deadline move changes.

"N days before at HH:MM" is decided as **wall-clock** time in the milestone's official zone
(as RFC 5545 §3.3.6 reads a duration in days): "7 days before" a 10:00 deadline is 10:00 local seven
calendar days earlier, even across a DST change, so a reminder keeps its local hour. A ``before``
that is not a whole number of days ("PT36H") is elapsed time instead (``PT24H`` *is* one day to a
``timedelta``, so it is wall-clock too). Either way a step never fires at or after its
milestone.

When a milestone moves, its version goes up (it is the SEQUENCE of the updated ``.ics``, same
UID, RFC 5545 §3.8.7.4). Steps not yet sent move with it; steps already sent stay in the
ledger, and if still meaningful go out once more under a versioned step key
(``early-bird-3d@v1``) — the ledger key includes the milestone version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from newsletter.content.domain.campaigns import CampaignDefinition, Milestone, ReminderStep
from newsletter.scheduling.domain.calendar_rules import SendingRules
from newsletter.scheduling.domain.rules import (
    UTC,
    ScheduleEntry,
    ScheduleKind,
    ScheduleState,
    resolve_local,
    wall_clock,
)

MOVED = "deadline moved"
_VERSION = "@v"
_NOTICE = "-extended"
_DEFAULT_UI = {
    "deadline_extended": "Deadline extended",
    "deadline_extended_body": "The deadline has been extended. The new date and time are below.",
}


@dataclass(frozen=True)
class MilestonePoint:
    """A milestone as the schedule knows it: a UTC instant, its zone, and its version."""

    name: str
    at: dt.datetime
    zone: str
    version: int = 0

    @classmethod
    def of(cls, name: str, milestone: Milestone, version: int = 0) -> MilestonePoint:
        return cls(name, milestone.aware.astimezone(UTC), milestone.timezone, version)

    @property
    def local(self) -> dt.datetime:
        return wall_clock(self.at, self.zone)


def versioned(key: str, version: int) -> str:
    return key if version == 0 else f"{key}{_VERSION}{version}"


def notice_key(milestone: str, version: int) -> str:
    return f"{milestone}{_NOTICE}{_VERSION}{version}"


def base_key(step: str) -> str:
    return step.split(_VERSION, 1)[0]


def step_due(
    point: MilestonePoint, before: dt.timedelta, at_time: dt.time, rules: SendingRules
) -> dt.datetime:
    if before % dt.timedelta(days=1) == dt.timedelta(0):  # whole days: wall-clock
        day = point.local.date() - dt.timedelta(days=before.days)
        local = dt.datetime.combine(day, at_time)
    else:  # hours: elapsed time, at_time does not apply
        local = wall_clock(point.at - before, point.zone)
    return resolve_local(rules.earlier_allowed(local), point.zone)


def _verdict(due: dt.datetime, point: MilestonePoint, now: dt.datetime) -> str:
    if due >= point.at:
        return f"would fire at or after its milestone {point.name}"
    if due <= now:
        return "its time had already passed"
    return ""


def plan_campaign(
    campaign: CampaignDefinition,
    *,
    main_at: dt.datetime | None,
    zone: str,
    per_member_zone: bool,
    member_zones: Collection[str],
    milestones: Mapping[str, MilestonePoint],
    rules: SendingRules,
    now: dt.datetime,
) -> list[ScheduleEntry]:
    """The announcement (``main_at`` is naive wall-clock in ``zone``, or in each member's zone
    when ``per_member_zone``) and every reminder step declared in the campaign file."""
    entries: list[ScheduleEntry] = []
    if main_at is not None:
        local = rules.later_allowed(main_at)
        groups = sorted(set(member_zones) - {"", zone}) if per_member_zone else []
        for group in ["", *groups]:
            due = resolve_local(local, group or zone)
            entries.append(
                ScheduleEntry(campaign.slug, "main", ScheduleKind.SEND, due, zone, group)
            )
    first_send = min((e.due_at for e in entries), default=None)
    for step in campaign.reminders:
        point = milestones[step.milestone]
        due = step_due(point, step.before, step.at_time, rules)
        why = _verdict(due, point, now)
        if not why and first_send is not None and due < first_send:
            why = "due before the announcement itself goes out"
        entries.append(_reminder(campaign.slug, step.key, due, point, why))
    return entries


def _reminder(
    slug: str, key: str, due: dt.datetime, point: MilestonePoint, why: str
) -> ScheduleEntry:
    return ScheduleEntry(
        slug,
        key,
        ScheduleKind.REMINDER,
        due,
        point.zone,
        milestone=point.name,
        milestone_version=point.version,
        expires_at=point.at,
        state=ScheduleState.SKIPPED if why else ScheduleState.SCHEDULED,
        reason=why,
    )


def replan_milestone(
    campaign: CampaignDefinition,
    old: MilestonePoint,
    new: MilestonePoint,
    rows: Sequence[ScheduleEntry],
    *,
    rules: SendingRules,
    now: dt.datetime,
    notify: bool,
) -> list[ScheduleEntry]:
    """Entries to write after ``old`` moved to ``new``: pending steps moved or cancelled,
    already-sent steps planned again under a versioned key if still meaningful, and (when
    the deadline moved later) a "deadline extended" notice to everyone already reminded."""
    out: list[ScheduleEntry] = []
    chain = [r for r in rows if r.kind is ScheduleKind.REMINDER and r.milestone == new.name]
    reminded = any(r.state in (ScheduleState.SENT, ScheduleState.SENDING) for r in chain)
    for step in (s for s in campaign.reminders if s.milestone == new.name):
        due = step_due(new, step.before, step.at_time, rules)
        why = _verdict(due, new, now)
        mine = [r for r in chain if base_key(r.step) == step.key]
        latest = max(mine, key=lambda r: (r.milestone_version or 0, r.id or 0), default=None)
        if latest is None:
            out.append(_reminder(campaign.slug, step.key, due, new, why))
        elif latest.state in (ScheduleState.SENT, ScheduleState.SENDING):
            if not why:
                out.append(_reminder(campaign.slug, versioned(step.key, new.version), due, new, ""))
        elif latest.state is not ScheduleState.CANCELLED or latest.reason.startswith(MOVED):
            waiting = (ScheduleState.PAUSED, ScheduleState.HELD)
            keep = latest.state if latest.state in waiting else None
            state = ScheduleState.CANCELLED if why else keep or ScheduleState.SCHEDULED
            out.append(
                replace(
                    latest,
                    due_at=due,
                    expires_at=new.at,
                    milestone_version=new.version,
                    attempt_at=None,
                    state=state,
                    # A held step stays held for the same reason (an approval is still due).
                    reason=f"{MOVED}: {why}" if why else (latest.reason if keep else ""),
                )
            )
    if notify and reminded and new.at > old.at:
        due = resolve_local(rules.later_allowed(wall_clock(now, new.zone)), new.zone)
        if due < new.at:
            out.append(
                ScheduleEntry(
                    campaign.slug,
                    notice_key(new.name, new.version),
                    ScheduleKind.NOTICE,
                    due,
                    new.zone,
                    milestone=new.name,
                    milestone_version=new.version,
                    expires_at=new.at,
                )
            )
    return out


def notice_step(
    campaign: CampaignDefinition, milestone: str, version: int, ui: Mapping[str, Mapping[str, str]]
) -> ReminderStep:
    """The "deadline extended" message, written from the UI strings in every language of the
    campaign, with the template (and button) of the milestone's own reminder steps."""
    chain = [s for s in campaign.reminders if s.milestone == milestone]
    template = chain[0].template if chain else "deadline_reminder.mjml.j2"
    label = campaign.milestones[milestone].label

    def text(lang: str, key: str) -> str:
        return ui.get(lang, {}).get(key) or ui.get("en", {}).get(key) or _DEFAULT_UI[key]

    copy: dict[str, dict[str, Any]] = {}
    for lang in campaign.languages:
        button = chain[0].copy_for(lang).get("button") if chain else None
        copy[lang] = {"headline": text(lang, "deadline_extended")}
        copy[lang]["body"] = [text(lang, "deadline_extended_body")]
        if button:
            copy[lang]["button"] = button
    return ReminderStep.model_validate(
        {
            "key": notice_key(milestone, version),
            "milestone": milestone,
            "before": dt.timedelta(0),
            "template": template,
            "subject": {
                lang: f"{text(lang, 'deadline_extended')}: {label.get(lang) or campaign.title}"
                for lang in campaign.languages
            },
            "preheader": {
                lang: text(lang, "deadline_extended_body") for lang in campaign.languages
            },
            "copy": copy,
        }
    )


def with_schedule(
    campaign: CampaignDefinition,
    milestones: Mapping[str, MilestonePoint],
    steps: Collection[str],
    ui: Mapping[str, Mapping[str, str]],
) -> CampaignDefinition:
    """The campaign as the schedule sees it: moved milestones (so every template shows the
    new date) and the steps a move added (versioned reminders, deadline notices)."""
    moved = {
        name: Milestone(at=p.local, timezone=p.zone, label=campaign.milestones[name].label)
        for name, p in milestones.items()
        if name in campaign.milestones and p.version > 0
    }
    merged = campaign.model_copy(update={"milestones": {**campaign.milestones, **moved}})
    known = set(merged.step_keys())
    extra: list[ReminderStep] = []
    for key in sorted(set(steps) - known):
        base = base_key(key)
        version = int(key.rsplit(_VERSION, 1)[1]) if _VERSION in key else 0
        if base.endswith(_NOTICE) and base.removesuffix(_NOTICE) in merged.milestones:
            extra.append(notice_step(merged, base.removesuffix(_NOTICE), version, ui))
        elif base in known and isinstance(original := merged.step(base), ReminderStep):
            extra.append(original.model_copy(update={"key": key}))
    if not moved and not extra:
        return campaign
    return merged.model_copy(update={"reminders": [*merged.reminders, *extra]})
