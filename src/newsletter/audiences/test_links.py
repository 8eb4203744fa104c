"""Links in a test send or a preview: recognised, so the page can say it was a test.

A test send's unsubscribe and preference links are signed for a purpose of their own
(``test-unsubscribe:<language>``, context.py ``test_purpose``); a preview's for
``preview-<purpose>``. Neither verifies as a member's link, so following one can never
unsubscribe or change anybody; the public pages look here only after the real purpose failed,
and answer "this was a test" in the language of the test email instead of "not valid".
"""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.audiences.domain.members import LANGUAGES
from newsletter.audiences.ports.services import AudienceServices
from newsletter.core.links import preview_purpose, test_purpose
from newsletter.errors import TokenError


@dataclass(frozen=True, slots=True)
class TestLink:
    purpose: str
    topic: str
    #: The language of the test email; None for a preview's link (the browser's is used).
    language: str | None


def look_up(ctx: AudienceServices, token: str, purpose: str) -> TestLink | None:
    """The test or preview link ``token`` is (for ``purpose``), or None if it is not one."""
    now = int(ctx.clock.now().timestamp())
    candidates: list[tuple[str, str | None]] = [(preview_purpose(purpose), None)]
    candidates += [(test_purpose(purpose, lang), lang) for lang in LANGUAGES]
    for signed_for, language in candidates:
        try:
            claims = ctx.links.verify(token, purpose=signed_for, now=now)
        except TokenError:
            continue
        return TestLink(purpose, claims.topic, language)
    return None
