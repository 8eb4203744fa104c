"""The double opt-in confirmation email: fixed wording per language, and the link.

Nothing the subscriber typed goes into it - not the name, not the organisation - so the form
cannot be used to send our mail with someone else's words in it to a stranger's address. The
lists are named by our own UI strings (``topic_<topic>``, in the form that follows "subscribe
to", as in the footer's ``why_topic``). The wording is the catalog
``newsletter/locales/confirmation.yaml``; the page around it is ``service_mail.py``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from newsletter.content.rendering.messages import ComposedVariant, Organisation
from newsletter.content.rendering.service_mail import esc, service_mail, wording
from newsletter.core.catalogs import in_language, phrase
from newsletter.locales import load

#: The outbox folder (``<outbox>/signup/confirm/``) and the transports' campaign label.
LABEL = "signup"
STEP = "confirm"
#: RFC 3834 §5: an automatic message; auto-responders must not answer it.
HEADERS: tuple[tuple[str, str], ...] = (("Auto-Submitted", "auto-generated"),)

#: Language -> key -> phrase, from ``newsletter/locales/confirmation.yaml``.
WORDS: dict[str, dict[str, str]] = load("confirmation")


def words(language: str) -> dict[str, str]:
    return in_language(WORDS, language)


def topic_phrases(
    ui: Mapping[str, Mapping[str, str]], language: str, topics: Sequence[str]
) -> list[str]:
    """Each list as the footer names it, in ``language`` (English where it has no phrase)."""
    return [phrase(ui, language, f"topic_{topic}") or topic for topic in topics]


def confirmation(
    language: str, link: str, lists: Sequence[str], organisation: Organisation
) -> ComposedVariant:
    """The email, plain text and HTML, with no merge fields: every recipient's is its own."""
    said = wording(WORDS, language, organisation)
    w = said.words
    text = [w["asked"], "", *(f"  - {name}" for name in lists), "", w["how"], link, "", w["ignore"]]
    items = "".join(f"<li>{esc(name)}</li>" for name in lists)
    card = (
        f'<p style="margin:0 0 12px;">{esc(w["asked"])}</p>'
        f'<ul style="margin:0 0 16px;">{items}</ul>'
        f'<p style="margin:0 0 16px;">{esc(w["how"])}</p>'
        f'<p style="margin:0 0 16px;"><a href="{esc(link, quote=True)}" '
        'style="display:inline-block;background:#1f5f99;color:#ffffff;padding:12px 20px;'
        f'border-radius:6px;text-decoration:none;font-weight:bold;">{esc(w["button"])}</a></p>'
        f'<p style="margin:0 0 16px;font-size:13px;word-break:break-all;">{esc(link)}</p>'
        f'<p style="margin:0 0 16px;font-size:13px;color:#5a6b7b;">{esc(w["ignore"])}</p>'
    )
    return service_mail(LABEL, STEP, said, text, card)
