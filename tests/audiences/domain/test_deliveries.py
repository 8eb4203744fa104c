"""The delivery ledger's state machine and counts."""

from __future__ import annotations

import pytest

from newsletter.audiences.domain.deliveries import (
    TRANSITIONS,
    DeliveryCounts,
    DeliveryStatus,
    Recipient,
    can_move,
)

S = DeliveryStatus


def test_every_status_has_a_transition_entry() -> None:
    assert set(TRANSITIONS) == set(DeliveryStatus)
    for targets in TRANSITIONS.values():
        assert targets <= set(DeliveryStatus)


def test_sent_is_terminal() -> None:
    assert TRANSITIONS[S.SENT] == frozenset()
    assert not any(can_move(S.SENT, dst) for dst in DeliveryStatus)


def test_no_status_moves_to_itself() -> None:
    assert not any(can_move(s, s) for s in DeliveryStatus)


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (S.PENDING, S.SENDING),
        (S.PENDING, S.SUPPRESSED),
        (S.SENDING, S.SENT),
        (S.SENDING, S.FAILED),
        (S.SENDING, S.UNKNOWN),
        (S.UNKNOWN, S.SENT),
        (S.UNKNOWN, S.FAILED),
        (S.UNKNOWN, S.PENDING),
        (S.FAILED, S.PENDING),
    ],
)
def test_allowed_moves(src: DeliveryStatus, dst: DeliveryStatus) -> None:
    assert can_move(src, dst)


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (S.PENDING, S.SENT),  # nothing is sent without first being marked sending
        (S.PENDING, S.FAILED),
        (S.PENDING, S.UNKNOWN),
        (S.SENT, S.PENDING),
        (S.SENT, S.FAILED),
        (S.FAILED, S.SENT),
        (S.SUPPRESSED, S.SENT),
        (S.SUPPRESSED, S.SENDING),
    ],
)
def test_forbidden_moves(src: DeliveryStatus, dst: DeliveryStatus) -> None:
    assert not can_move(src, dst)


def test_status_values_are_the_stored_strings() -> None:
    assert [s.value for s in DeliveryStatus] == [
        "pending",
        "sending",
        "sent",
        "failed",
        "suppressed",
        "unknown",
    ]
    assert S("sent") is S.SENT


def test_counts_total_and_as_dict() -> None:
    counts = DeliveryCounts(pending=1, sending=2, sent=30, failed=4, suppressed=5, unknown=6)
    assert counts.total == 48
    assert counts.as_dict() == {
        "pending": 1,
        "sending": 2,
        "sent": 30,
        "failed": 4,
        "suppressed": 5,
        "unknown": 6,
        "total": 48,
    }


def test_empty_counts() -> None:
    counts = DeliveryCounts()
    assert counts.total == 0
    assert set(counts.as_dict()) == {s.value for s in DeliveryStatus} | {"total"}
    assert all(v == 0 for v in counts.as_dict().values())


@pytest.mark.parametrize(
    ("first", "last", "full"),
    [
        ("Ana", "Petrović", "Ana Petrović"),
        ("Ana", "", "Ana"),
        ("", "Petrović", "Petrović"),
        ("", "", ""),
    ],
)
def test_recipient_full_name(first: str, last: str, full: str) -> None:
    assert Recipient(1, 2, "a@example.org", first, last, "", "en").full_name == full
