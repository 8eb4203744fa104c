"""The "here is a fresh link" email, sent when a member asks from an expired link's page.

Fixed wording per language and two fresh links (unsubscribe from the list, choose the emails);
nothing typed by anyone goes into it. The wording is the catalog
``newsletter/locales/renewal.yaml`` (Serbian Latin derived from the Cyrillic, English for a
language without its own words); the page around it is ``service_mail.py``'s.
"""

from __future__ import annotations

import html

from newsletter.content.rendering.messages import ComposedVariant, Organisation
from newsletter.content.rendering.service_mail import esc, service_mail, wording
from newsletter.core.catalogs import in_language
from newsletter.locales import load

#: The outbox folder (``<outbox>/renewal/link/``) and the transports' campaign label.
LABEL = "renewal"
STEP = "link"

#: Language -> key -> phrase, from ``newsletter/locales/renewal.yaml``.
WORDS: dict[str, dict[str, str]] = load("renewal")


def words(language: str) -> dict[str, str]:
    return in_language(WORDS, language)


def renewal(
    language: str,
    unsubscribe_url: str,
    preferences_url: str,
    organisation: Organisation,
    *,
    days: int,
) -> ComposedVariant:
    """The email, plain text and HTML, with no merge fields (one recipient)."""
    said = wording(WORDS, language, organisation)
    w = said.words
    lifetime = w["lifetime"].format(days=days)
    text = [
        w["asked"],
        "",
        f"{w['unsubscribe']}:",
        unsubscribe_url,
        "",
        f"{w['preferences']}:",
        preferences_url,
        "",
        lifetime,
        w["ignore"],
    ]

    def link(url: str, label: str) -> str:
        return (
            f'<p style="margin:0 0 16px;"><a href="{esc(url, quote=True)}" '
            'style="color:#1f5f99;font-weight:bold;">'
            f"{esc(label)}</a></p>"
        )

    card = (
        f'<p style="margin:0 0 16px;">{esc(w["asked"])}</p>'
        f"{link(unsubscribe_url, w['unsubscribe'])}{link(preferences_url, w['preferences'])}"
        f'<p style="margin:0 0 16px;font-size:13px;color:#5a6b7b;">{esc(lifetime)} '
        f"{esc(w['ignore'])}</p>"
    )
    return service_mail(LABEL, STEP, said, text, card)


def password_reset(link: str, organisation: Organisation, *, minutes: int) -> ComposedVariant:
    """The staff "forgot my password" email (staff pages are in English)."""
    subject = f"Set a new password – {organisation.name} staff"
    lines = [
        "Someone – most likely you – asked to set a new password for this staff account.",
        f"This link works once, for {minutes} minutes:",
    ]
    ignore = "If it was not you, ignore this email: your password stays as it is."
    text = "\n".join([*lines, link, "", ignore, "", "-- ", organisation.name, ""])
    esc = html.escape
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(subject)}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;color:#1d2733;">'
        + "".join(f"<p>{esc(line)}</p>" for line in lines)
        + f'<p><a href="{esc(link, quote=True)}">{esc(link)}</a></p>'
        f"<p>{esc(ignore)}</p><p>{esc(organisation.name)}</p></body></html>"
    )
    return ComposedVariant(
        campaign="staff",
        step="password-reset",
        language="en",
        topic="",
        subject=subject,
        preheader="",
        html=body,
        text=text,
    )
