"""The next batch claimed ahead: used only when it is exactly the next claim, otherwise (and
when the run ends) released unsent with the attempt not counted; a run that stops leaves
every row it did not send pending, as it was planned."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from newsletter.audiences.domain.deliveries import DeliveryStatus, Recipient
from newsletter.delivery.claim_ahead import ClaimAhead, Claimed
from newsletter.delivery.sending import send_campaign
from tests.delivery.test_sending_fast import DAYS, _with_members


def _batch(start: int, n: int) -> list[Recipient]:
    return [
        Recipient(
            delivery_id=i,
            member_id=i,
            email=f"m{i}@x.example",
            first_name="",
            last_name="",
            organization="",
            language="en",
            timezone="",
        )
        for i in range(start, start + n)
    ]


class Ledger:
    """Claims in id order from a cursor; what was put back."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls: list[tuple[str, int, int]] = []
        self.threads: list[str] = []
        self.put_back: list[list[int]] = []
        self.fail_after = fail_after

    def claim(self, lang: str, limit: int, after: int) -> Claimed:
        self.calls.append((lang, limit, after))
        self.threads.append(threading.current_thread().name)
        if self.fail_after is not None and after >= self.fail_after:
            raise RuntimeError("database gone")
        return _batch(after + 1, limit), 0

    def release(self, claimed: Claimed) -> None:
        self.put_back.append([r.delivery_id for r in claimed[0]])


def _ahead(ledger: Ledger) -> ClaimAhead:
    return ClaimAhead(ledger.claim, ledger.release)


def test_the_batch_claimed_ahead_is_the_next_claim_made_on_another_thread() -> None:
    ledger = Ledger()
    claims = _ahead(ledger)
    first, _ = claims.claim("en", 3, 0)
    claims.claim_next("en", 3, first[-1].delivery_id)
    second, _ = claims.claim("en", 3, 3)
    claims.close()
    assert [r.delivery_id for r in second] == [4, 5, 6]
    assert ledger.calls == [("en", 3, 0), ("en", 3, 3)]  # claimed once, ahead
    assert ledger.threads[0] == threading.current_thread().name
    assert ledger.threads[1].startswith("claim-ahead")
    assert ledger.put_back == []


@pytest.mark.parametrize(
    "next_claim",
    [("sr-Cyrl", 3, 0), ("en", 1, 3), ("en", 3, 0)],
    ids=["another language", "a probe of one", "rows behind the cursor"],
)
def test_a_batch_claimed_ahead_for_another_claim_goes_back_unsent(
    next_claim: tuple[str, int, int],
) -> None:
    ledger = Ledger()
    claims = _ahead(ledger)
    claims.claim_next("en", 3, 3)
    claims.claim(*next_claim)
    claims.close()
    assert ledger.put_back == [[4, 5, 6]]
    assert ledger.calls == [("en", 3, 3), next_claim]


def test_closing_puts_back_what_waits_and_its_rows_are_renewed_meanwhile() -> None:
    ledger = Ledger()
    claims = _ahead(ledger)
    claims.claim_next("en", 2, 10)
    ids = _wait_for(claims.held)
    assert ids == [11, 12]
    claims.close()
    assert ledger.put_back == [[11, 12]] and claims.held() == []


def test_a_claim_ahead_that_failed_claimed_nothing_and_its_error_surfaces_when_used() -> None:
    ledger = Ledger(fail_after=3)
    claims = _ahead(ledger)
    claims.claim_next("en", 3, 3)
    with pytest.raises(RuntimeError, match="database gone"):
        claims.claim("en", 3, 3)
    claims.claim_next("en", 3, 6)
    claims.close()  # nothing to put back, no error on the way out
    assert ledger.put_back == []


def _wait_for(held: Callable[[], list[int]]) -> list[int]:
    for _ in range(500):
        if ids := held():
            return ids
        threading.Event().wait(0.01)
    raise AssertionError("the claim ahead never finished")


def test_a_run_stopped_after_its_first_batch_leaves_the_rest_pending_as_planned() -> None:
    fakes = _with_members(batch_size=40)
    asked = iter([False, False, True])  # before the first claim, before the second: stop
    report = send_campaign(fakes.ctx, DAYS, should_stop=lambda: next(asked, True))
    assert report.stopped and report.sent == 40
    rows = list(fakes.ledger.rows.values())
    statuses = {s: sum(r.status is s for r in rows) for s in DeliveryStatus}
    assert statuses[DeliveryStatus.SENT] == 40
    assert statuses[DeliveryStatus.SENDING] == 0
    assert statuses[DeliveryStatus.PENDING] == len(rows) - 40 - statuses[DeliveryStatus.SUPPRESSED]
    assert {r.attempts for r in rows if r.status is DeliveryStatus.PENDING} == {0}
