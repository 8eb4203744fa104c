"""The composition root: each capability gets its own bundle, and every bundle that can send
carries the real approval gate (unapproved text never reaches members)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.audiences.ports.services import AudienceServices
from newsletter.authoring import documents as authoring
from newsletter.authoring.approvals import StaffApprovals
from newsletter.authoring.ports import AuthoringServices
from newsletter.bootstrap import App, build_app
from newsletter.config import Settings
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.ports.services import ContentServices
from newsletter.delivery.ports import DeliveryServices
from newsletter.delivery.sending import send_campaign
from newsletter.errors import ConfigError, NotApprovedError
from newsletter.staff.ports import StaffServices
from newsletter.staff.sql.store import SqlStaffStore
from tests.conftest import FrozenClock

SAMPLE = "days-of-clusters-2015"


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Iterator[App]:
    built = build_app(settings, clock=clock)
    yield built
    built.close()


class OpenGate:
    """A stand-in that lets everything through: what must never be wired."""

    def hold_reason(self, campaign: CampaignDefinition, where: Path) -> str | None:
        return None

    def check_send(self, campaign: CampaignDefinition, where: Path) -> None:
        return None

    def require_approved(self, ref: str) -> None:
        return None


def test_each_capability_gets_a_bundle_of_its_own_fields_over_the_same_ports(app: App) -> None:
    assert type(app.staff) is StaffServices
    assert type(app.audiences) is AudienceServices
    assert type(app.content) is ContentServices
    assert type(app.delivery) is DeliveryServices
    assert type(app.authoring) is AuthoringServices
    # Narrow: the audience bundle holds no ledger, the content bundle no transport.
    assert not hasattr(app.audiences, "ledger") and not hasattr(app.audiences, "sender")
    assert not hasattr(app.content, "mailer") and not hasattr(app.content, "approvals")
    assert not hasattr(app.delivery, "approve_files")
    # Shared values built once: one clock, one link builder, one member store for all.
    bundles = (app.staff, app.audiences, app.content, app.delivery, app.authoring)
    assert len({id(b.clock) for b in bundles}) == 1
    assert len({id(b.links) for b in bundles}) == 1
    assert app.audiences.members is app.authoring.members
    assert app.delivery.ledger is app.authoring.ledger


def test_the_delivery_bundle_carries_the_gate_over_the_staff_stores_approvals(app: App) -> None:
    gate = app.delivery.approvals
    assert isinstance(gate, StaffApprovals)
    assert gate is app.authoring.approvals
    assert gate.staff is app.staff.staff and gate.catalog is app.content.catalog
    assert gate.sender is app.content.sender
    assert gate.approve_files is app.authoring.approve_files


def test_a_database_campaign_never_approved_is_refused_by_the_wired_gate(app: App) -> None:
    written, _ = authoring.as_written(app.authoring).campaign(SAMPLE)
    copy = written.model_copy(update={"slug": "never-approved"})
    authoring.import_campaign(app.authoring, copy, by="cli")
    with pytest.raises(NotApprovedError, match="never-approved"):
        send_campaign(app.delivery, "never-approved")
    assert app.delivery.ledger.campaign_id("never-approved") is None  # nothing was planned


def test_a_delivery_bundle_cannot_be_made_without_a_gate(app: App) -> None:
    ports = {f.name: getattr(app.delivery, f.name) for f in dataclasses.fields(DeliveryServices)}
    del ports["approvals"]
    with pytest.raises(TypeError, match="approvals"):
        DeliveryServices(**ports)


def test_an_app_with_a_stand_in_gate_is_refused(app: App) -> None:
    with pytest.raises(ConfigError, match="approval gate"):
        dataclasses.replace(app, delivery=dataclasses.replace(app.delivery, approvals=OpenGate()))
    with pytest.raises(ConfigError, match="approval gate"):
        dataclasses.replace(app, authoring=dataclasses.replace(app.authoring, approvals=OpenGate()))


def test_an_app_whose_gate_reads_another_staff_store_is_refused(app: App) -> None:
    gate = app.delivery.approvals
    assert isinstance(gate, StaffApprovals)
    other = dataclasses.replace(gate, staff=SqlStaffStore(app.staff.staff.engine))  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="approval gate"):
        dataclasses.replace(app, delivery=dataclasses.replace(app.delivery, approvals=other))


def test_an_app_whose_gate_judges_other_campaigns_or_settings_is_refused(app: App) -> None:
    gate = app.delivery.approvals
    assert isinstance(gate, StaffApprovals)
    # A gate over another catalog (even a copy) could hash other text than the bundle sends.
    other = dataclasses.replace(gate, catalog=copy.copy(gate.catalog))
    with pytest.raises(ConfigError, match="approval gate"):
        dataclasses.replace(app, delivery=dataclasses.replace(app.delivery, approvals=other))
    lenient = dataclasses.replace(gate, approve_files=not gate.approve_files)
    with pytest.raises(ConfigError, match="approval gate"):
        dataclasses.replace(app, authoring=dataclasses.replace(app.authoring, approvals=lenient))
