"""Signed member links: the unsubscribe and preference links that go into every message,
and the token purposes of previews and test sends. Pure over :mod:`newsletter.core.tokens`;
bootstrap builds one :class:`Links` with the installation's keys and hands it to every
capability's bundle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from newsletter.core import tokens

UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"


def preview_purpose(purpose: str) -> str:
    """The token purpose of a link in a preview: verifies only as a preview."""
    return f"preview-{purpose}"


def test_purpose(purpose: str, language: str) -> str:
    """The token purpose of a link in a test send (in ``language``): verifies only as a test,
    so the public pages can say it was one instead of acting on anybody's subscription."""
    return f"test-{purpose}:{language}"


@dataclass(frozen=True)
class Links:
    """Builds the signed per-recipient links that go into every message."""

    base_url: str
    #: Signs every new link (NEWSLETTER_SECRET_KEY).
    secret: bytes
    #: Keys that signed links before the last rotations: those links still verify.
    previous: tuple[bytes, ...] = ()
    #: Keys the suppression and sign-up hashes (NEWSLETTER_HASH_KEY). Never rotated: a new one
    #: would unlink every stored hash. Empty: ``secret`` keys them (no rotation yet).
    hash_key: bytes = b""

    @property
    def hashing(self) -> bytes:
        return self.hash_key or self.secret

    def verify(
        self, token: str, *, purpose: str, now: int, max_age: int = tokens.DEFAULT_MAX_AGE
    ) -> tokens.TokenClaims:
        """The claims of a link signed with the current or a previous key (TokenError)."""
        keys = (self.secret, *self.previous)
        return tokens.verify_any(keys, token, purpose=purpose, now=now, max_age=max_age)

    def token(self, purpose: str, member_id: int, topic: str, issued_at: int) -> str:
        return tokens.sign(self.secret, tokens.TokenClaims(purpose, member_id, topic, issued_at))

    def unsubscribe(self, member_id: int, topic: str, issued_at: int) -> str:
        return f"{self.base_url}/u/{self.token(UNSUBSCRIBE, member_id, topic, issued_at)}"

    def builder(
        self,
        purpose: str,
        topic: str,
        issued_at: int,
        *,
        preview: bool = False,
        test_language: str | None = None,
    ) -> Callable[[int], str]:
        """member id -> the link :meth:`unsubscribe` / :meth:`preferences` would give, for a
        whole batch: the signing key and the shared part of the token are prepared once.
        ``preview``: a link of the same shape signed for :func:`preview_purpose`, which the
        public routes refuse, so a preview shown to staff holds no working member link.
        ``test_language``: signed for :func:`test_purpose` (a test send in that language)."""
        path = {UNSUBSCRIBE: "u", PREFERENCES: "p"}[purpose]
        signed_for = preview_purpose(purpose) if preview else purpose
        if test_language is not None:
            signed_for = test_purpose(purpose, test_language)
        sign = tokens.Signer(self.secret, signed_for, topic, issued_at)
        prefix = f"{self.base_url}/{path}/"
        return lambda member_id: prefix + sign(member_id)

    def preferences(self, member_id: int, topic: str, issued_at: int) -> str:
        return f"{self.base_url}/p/{self.token(PREFERENCES, member_id, topic, issued_at)}"
