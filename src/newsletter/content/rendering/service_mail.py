"""The emails with fixed wording that go to one person at a time: the sign-up confirmation
(``confirmation.py``) and the fresh link (``renewal.py``).

Both are a few paragraphs and links on one white card, signed by the organisation, with no
template, no tracking and no merge fields: each recipient's email is built whole. What they
share is here - the wording per language from a catalog, the subject, the signature, the HTML
page around the card and the :class:`ComposedVariant` - so each module keeps only its own
paragraphs.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from newsletter.content.rendering.messages import ComposedVariant, Organisation
from newsletter.core.catalogs import in_language

esc = html.escape


@dataclass(frozen=True, slots=True)
class Wording:
    """The words of one email in one language, and the organisation as it is named there."""

    language: str
    words: Mapping[str, str]
    organisation: Organisation

    @property
    def subject(self) -> str:
        return self.words["subject"].format(org=self.organisation.name)

    @property
    def signature(self) -> list[str]:
        """The organisation's name and postal address, the lines it has."""
        return [line for line in (self.organisation.name, self.organisation.postal_address) if line]


def wording(
    texts: Mapping[str, Mapping[str, str]], language: str, organisation: Organisation
) -> Wording:
    """The catalog's words in ``language`` (English where it has none) and the organisation
    named in that language."""
    return Wording(language, in_language(texts, language), organisation.in_language(language))


def service_mail(
    label: str, step: str, wording: Wording, text: Sequence[str], card: str
) -> ComposedVariant:
    """The email: ``text`` lines above the signature for the plain-text part, the ``card``
    (HTML, escaped by the caller) above it in the HTML part. Styles are inline because many
    email clients ignore a ``<style>`` block."""
    subject, signature = wording.subject, wording.signature
    plain = "\n".join([*text, "", "-- ", *signature, ""])
    page = (
        f'<!doctype html><html lang="{esc(wording.language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(subject)}</title></head>"
        '<body style="margin:0;padding:24px;background:#f4f6f8;'
        'font-family:Arial,Helvetica,sans-serif;color:#1d2733;">'
        '<div style="max-width:560px;margin:0 auto;background:#ffffff;padding:24px;">'
        f"{card}"
        f'<p style="margin:0;font-size:12px;color:#5a6b7b;">'
        f"{'<br>'.join(esc(line) for line in signature)}</p>"
        "</div></body></html>"
    )
    return ComposedVariant(
        campaign=label,
        step=step,
        language=wording.language,
        topic="",
        subject=subject,
        preheader="",
        html=page,
        text=plain,
    )
