"""What every use case gets: the ports and the few settings they need, built by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from newsletter.domain import tokens
from newsletter.rendering.compose import Organisation, Sender
from newsletter.services.ports import Catalog, Clock, Ledger, Mailer, MemberStore

UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"


@dataclass(frozen=True)
class Links:
    """Builds the signed per-recipient links that go into every message."""

    base_url: str
    secret: bytes

    def token(self, purpose: str, member_id: int, topic: str, issued_at: int) -> str:
        return tokens.sign(self.secret, tokens.TokenClaims(purpose, member_id, topic, issued_at))

    def unsubscribe(self, member_id: int, topic: str, issued_at: int) -> str:
        return f"{self.base_url}/u/{self.token(UNSUBSCRIBE, member_id, topic, issued_at)}"

    def preferences(self, member_id: int, topic: str, issued_at: int) -> str:
        return f"{self.base_url}/p/{self.token(PREFERENCES, member_id, topic, issued_at)}"


@dataclass(frozen=True)
class Context:
    catalog: Catalog
    members: MemberStore
    ledger: Ledger
    clock: Clock
    links: Links
    sender: Sender
    organisation: Organisation
    #: Builds the configured transport; called only when something is really sent.
    mailer: Callable[[], Mailer]
    transport: str
    batch_size: int
    max_in_flight: int
    list_domain: str
    #: Releases pooled connections; call when done (the CLI and tests do).
    close: Callable[[], None] = lambda: None
