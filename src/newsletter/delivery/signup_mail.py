"""The sign-up confirmation email (the audiences' ``ConfirmationMail`` port): the wording from
content/rendering/confirmation.py, sent through the configured transport under its rate limit.
It carries nothing the subscriber typed but the address itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from newsletter.content.ports.catalog import Catalog
from newsletter.content.rendering.compose import Batch, Organisation, Personalization, Sender
from newsletter.content.rendering.confirmation import HEADERS, confirmation, topic_phrases
from newsletter.core.clock import Clock
from newsletter.delivery.ports import Mailer, RateLimiter
from newsletter.errors import PermanentDeliveryError


@dataclass(frozen=True, kw_only=True)
class SignupMail:
    catalog: Catalog
    organisation: Organisation
    sender: Sender
    clock: Clock
    limiter: RateLimiter
    #: Builds the configured transport; called only when an email is really sent.
    mailer: Callable[[], Mailer]

    def __call__(
        self,
        email: str,
        language: str,
        link: str,
        topics: Sequence[str],
        sleep: Callable[[float], None],
    ) -> None:
        lists = topic_phrases(self.catalog.ui_strings(), language, topics)
        variant = confirmation(language, link, lists, self.organisation)
        # No name with the address either: "To: Ana <...>" would put typed text in the email.
        person = Personalization(None, email, "", {}, HEADERS)
        self._send(Batch(variant, self.sender, (person,)), sleep)

    def _send(self, batch: Batch, sleep: Callable[[float], None]) -> None:
        # The transport's rate limit holds for confirmations too (delivery/sql/ratelimit.py).
        while (delay := self.limiter.reserve(1, now=self.clock.now())) > 0:
            sleep(delay)
        mailer = self.mailer()
        try:
            result = mailer.send(batch)
        finally:
            mailer.close()
        trouble = [*result.rejected.values(), *result.deferred.values(), *result.unknown.values()]
        if trouble:
            raise PermanentDeliveryError(f"the confirmation email was refused: {trouble[0]}")
