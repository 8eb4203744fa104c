"""The next batch, claimed on another thread while the sender prepares the current one.

A sender's own thread claims a batch, then signs and writes its request (CPU) before it hands
the request to a worker. On PostgreSQL the claim is as long as the preparing (about 40 ms per
1000 rows of waiting on the server), and the two used to follow each other. Claiming the next
batch of the same language as soon as one is in hand lets the wait and the work overlap.

The batch claimed ahead is used only when the sender's next claim asks for exactly it (the same
language, size and cursor). Otherwise - rows of another language come first, a 429 put rows
back behind the cursor, the circuit breaker wants a one-recipient probe, the run stops - it is
released unsent, the attempt not counted: the same rows a direct claim would have left pending.
Its rows are claimed in the sender's name with a lease like any other, renewed while they wait,
and a request starts only for rows still ours (``Ledger.start_request``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from newsletter.audiences.domain.deliveries import Recipient

#: A claim: (language, limit, cursor) -> (the recipients claimed, how many were suppressed).
Claim = Callable[[str, int, int], tuple[list[Recipient], int]]
Claimed = tuple[list[Recipient], int]


class ClaimAhead:
    """Claims through ``claim``; ``put_back`` releases a batch claimed ahead and not used."""

    def __init__(self, claim: Claim, put_back: Callable[[Claimed], None]) -> None:
        self._claim, self._put_back = claim, put_back
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="claim-ahead")
        self._next: tuple[tuple[str, int, int], Future[Claimed]] | None = None

    def claim(self, lang: str, limit: int, after: int) -> Claimed:
        """The next batch: the one claimed ahead when it is exactly this one, else now."""
        ahead, self._next = self._next, None
        if ahead is not None:
            key, future = ahead
            if key == (lang, limit, after):
                return future.result()
            self._release(future)
        return self._claim(lang, limit, after)

    def claim_next(self, lang: str, limit: int, after: int) -> None:
        """Start claiming the batch that follows (``after`` is the last id in hand)."""
        self.drop()
        self._next = ((lang, limit, after), self._pool.submit(self._claim, lang, limit, after))

    def held(self) -> list[int]:
        """Delivery ids of a batch claimed ahead and waiting (their leases need renewing)."""
        if self._next is None:
            return []
        future = self._next[1]
        if not future.done() or future.exception() is not None:
            return []  # still being claimed (a fresh lease), or nothing was claimed
        return [r.delivery_id for r in future.result()[0]]

    def drop(self) -> None:
        """Release the batch claimed ahead, if any."""
        ahead, self._next = self._next, None
        if ahead is not None:
            self._release(ahead[1])

    def _release(self, future: Future[Claimed]) -> None:
        if future.exception() is None:  # a claim that failed claimed nothing (rolled back)
            self._put_back(future.result())

    def close(self) -> None:
        try:
            self.drop()
        finally:
            self._pool.shutdown(wait=True)
