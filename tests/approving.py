"""Approving in tests as an approver would: the version approved is the one shown."""

from __future__ import annotations

from typing import Any

from newsletter.authoring import approvals
from newsletter.staff.domain.users import StaffUser
from newsletter.staff.ports import Approval
from tests.services import Services


def approve_now(ctx: Services, ref: str, user: StaffUser, **kw: Any) -> Approval:
    """Approve the campaign as it is now (the service call the Approve button makes)."""
    return approvals.approve(ctx, ref, user, shown=approvals.standing(ctx, ref).fingerprint, **kw)
