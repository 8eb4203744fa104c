"""The approval gate: nothing reaches members that an approver did not see.

An approval binds one exact version of a campaign (:mod:`newsletter.authoring.domain.approvals`).
The gate is checked where members could be reached, against the version that is about to be
composed: every send of every step (:func:`newsletter.delivery.sending.send_campaign`, which
the scheduler, ``campaigns send`` and a resumed send all go through) and each due schedule row
(:mod:`newsletter.scheduling.dispatch`), where a step of a campaign that is not approved as it
is now is *held*, not sent. Approving the current version releases the held rows; the
dispatcher's usual lateness rules then decide what is still on time.

Which campaigns need an approval (:func:`required`):

- every campaign stored in the database (written in the browser or with ``campaigns import``);
- every campaign that was ever approved, file campaigns included: once an approver has seen a
  version, only that version goes out;
- file campaigns too when ``approval.files`` is true in config.yaml. Otherwise a file campaign
  that was never approved is the operator's: its review is the review of the repository.

The operator's CLI never sends such a campaign silently: ``campaigns send --without-approval``
records an approval of the current version in the operator's name, with a note saying so.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsletter.authoring.domain import approvals as rules
from newsletter.authoring.ports import ApprovalSources, AuthoringServices
from newsletter.content.composing import check_images
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.library import DB_PREFIX
from newsletter.content.ports.catalog import Catalog
from newsletter.content.rendering.compose import Organisation, Sender, text_template_name
from newsletter.content.rendering.environment import templates_used
from newsletter.errors import InputError, NewsletterError, NotApprovedError, StateError
from newsletter.scheduling.domain.rules import ScheduleState
from newsletter.scheduling.ports import ScheduleStore
from newsletter.staff.domain.users import StaffUser
from newsletter.staff.ports import Approval, StaffStore

S = ScheduleState


@dataclass(frozen=True)
class Standing:
    """A campaign as it is now, against its latest approval."""

    slug: str
    fingerprint: str
    version: dict[str, Any]
    #: The latest approval, of whichever version (None: never approved).
    latest: Approval | None
    required: bool
    changes: list[rules.Change] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        """Approved exactly as it is now."""
        return self.latest is not None and self.latest.fingerprint == self.fingerprint

    @property
    def approval(self) -> Approval | None:
        """The approval of the current version, if there is one."""
        return self.latest if self.approved else None

    @property
    def hold_reason(self) -> str | None:
        """Why a send of this version must wait, or None when it may go out."""
        if self.approved or not self.required:
            return None
        return rules.HELD_CHANGED if self.latest is not None else rules.HELD_UNAPPROVED


def version_for(ctx: ApprovalSources, campaign: CampaignDefinition) -> dict[str, Any]:
    try:
        segment: dict[str, Any] | None = ctx.catalog.segment(campaign.audience).model_dump(
            mode="json"
        )
    except NewsletterError:
        segment = None  # an unknown segment: validation refuses the campaign anyway
    sender = {"email": ctx.sender.email, "name": ctx.sender.name, "reply_to": ctx.sender.reply_to}
    names = {m.template for m in (campaign, *campaign.reminders)}
    names |= {text_template_name(n) for n in names}
    ui = ctx.catalog.ui_strings()
    return rules.version_of(
        campaign.model_dump(mode="json"),
        segment,
        sender,
        templates=templates_used(ctx.catalog.template, sorted(names)),
        ui_strings={lang: ui.get(lang, {}) for lang in campaign.languages},
        organisation=_organisation(ctx),
    )


def _organisation(ctx: ApprovalSources) -> dict[str, Any]:
    org = ctx.organisation
    if org is None:  # a context without one composes no email either
        return {}
    return {
        "name": org.name,
        "postal_address": org.postal_address,
        "website": org.website,
        "translations": [list(t) for t in org.translations],
    }


def required(ctx: ApprovalSources, where: Path, latest: Approval | None) -> bool:
    return latest is not None or str(where).startswith(DB_PREFIX) or ctx.approve_files


def standing_of(ctx: ApprovalSources, campaign: CampaignDefinition, where: Path) -> Standing:
    version = version_for(ctx, campaign)
    latest = ctx.staff.approval(campaign.slug) if ctx.staff is not None else None
    fingerprint = rules.fingerprint(version)
    changes: list[rules.Change] = []
    if latest is not None and latest.fingerprint != fingerprint and latest.version is not None:
        changes = rules.changes(latest.version, version)
    return Standing(
        campaign.slug, fingerprint, version, latest, required(ctx, where, latest), changes
    )


def standing(ctx: ApprovalSources, ref: str) -> Standing:
    campaign, where = ctx.catalog.campaign(ref)
    return standing_of(ctx, campaign, where)


def approval_of(ctx: ApprovalSources, ref: str) -> Approval | None:
    """The approval of the campaign as it is now (None if never approved or changed since)."""
    return standing(ctx, ref).approval


def require_approval(ctx: ApprovalSources, ref: str) -> Approval:
    """For the web schedule path: nothing is scheduled there unapproved."""
    found = approval_of(ctx, ref)
    if found is None:
        raise NotApprovedError(f"{ref} is not approved (or was changed since it was approved)")
    return found


def check_send(ctx: ApprovalSources, campaign: CampaignDefinition, where: Path) -> None:
    """Refuse to send ``campaign`` (the very object about to be composed) unless it may go."""
    reason = standing_of(ctx, campaign, where).hold_reason
    if reason is not None:
        raise NotApprovedError(
            f"{campaign.slug}: {reason} (or, as the operator, `newsletter campaigns send "
            f"{campaign.slug} --without-approval` records that you approve it)"
        )


def approve(
    ctx: AuthoringServices,
    ref: str,
    user: StaffUser,
    *,
    shown: str | None,
    schedule: ScheduleStore | None = None,
) -> Approval:
    """Approve the version the approver was shown (``shown``: its fingerprint, from the page).
    Refused when the campaign changed since the page was rendered. Held steps are released."""
    if not user.can_approve:
        raise InputError("only an approver can approve a campaign")
    if ctx.staff is None:
        raise NewsletterError("this installation has no staff store")
    # An image from a host outside content.image_hosts is refused here too, not only at send.
    check_images(ctx, ctx.catalog.campaign(ref)[0])
    now = standing(ctx, ref)
    if not shown or shown != now.fingerprint:
        raise StateError(
            f"{now.slug} changed since this page was shown: review the version below "
            "and approve it again"
        )
    approval = Approval(now.slug, now.fingerprint, user.email, ctx.clock.now(), now.version)
    return _record(ctx, approval, schedule)


def changed_since_shown(
    ctx: AuthoringServices, ref: str, shown: str, shown_version: str
) -> list[rules.Change]:
    """What changed between the version a page showed (posted back with its fingerprint) and
    the campaign as it is now; empty when the posted copy does not match its fingerprint."""
    try:
        version = json.loads(shown_version)
    except ValueError:
        return []
    if not isinstance(version, dict) or rules.fingerprint(version) != shown:
        return []  # not the page's own copy: show nothing rather than something made up
    return rules.changes(version, standing(ctx, ref).version)


def approve_as_operator(
    ctx: AuthoringServices,
    ref: str,
    *,
    schedule: ScheduleStore | None = None,
    by: str | None = None,
) -> Approval:
    """``campaigns send --without-approval``: the operator takes responsibility for the current
    version, recorded with who and when (and shown as such in the staff app)."""
    if ctx.staff is None:
        raise NewsletterError("this installation has no staff store")
    now = standing(ctx, ref)
    who = by or f"{_login()}@{socket.gethostname()}"
    note = f"operator override: newsletter campaigns send --without-approval, by {who}"
    approval = Approval(
        now.slug, now.fingerprint, f"operator {who}"[:320], ctx.clock.now(), now.version, note
    )
    return _record(ctx, approval, schedule)


def _record(ctx: AuthoringServices, approval: Approval, schedule: ScheduleStore | None) -> Approval:
    assert ctx.staff is not None  # checked by both callers before they built the approval
    ctx.staff.approve(approval)
    if schedule is not None:
        release_held(schedule, approval.slug, now=approval.approved_at)
    return approval


@dataclass(frozen=True, kw_only=True)
class StaffApprovals:
    """The approval gate of ``delivery/ports.py`` (:class:`~newsletter.delivery.ports.ApprovalGate`)
    over the approvals in the staff store: what ``send_campaign``, the dispatcher and the
    timeline ask. ``bootstrap.py`` builds it from the same catalog and staff store the
    authoring bundle holds, so the gate judges what the approver was shown."""

    catalog: Catalog
    sender: Sender
    organisation: Organisation
    staff: StaffStore | None
    approve_files: bool

    def hold_reason(self, campaign: CampaignDefinition, where: Path) -> str | None:
        return standing_of(self, campaign, where).hold_reason

    def check_send(self, campaign: CampaignDefinition, where: Path) -> None:
        check_send(self, campaign, where)

    def require_approved(self, ref: str) -> None:
        require_approval(self, ref)


def release_held(schedule: ScheduleStore, slug: str, *, now: dt.datetime) -> int:
    """Held rows of an approved campaign go back to scheduled; the dispatcher then applies the
    usual lateness rules, so a step whose time has long passed is skipped, never sent late."""
    return schedule.change_state(slug, from_states=[S.HELD], to=S.SCHEDULED, reason="", now=now)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): say so rather than fail
        return "unknown-user"
