"""The "here is a fresh link" email, sent when a member asks from an expired link's page.

Fixed wording per language and two fresh links (unsubscribe from the list, choose the emails);
nothing typed by anyone goes into it. Serbian Latin is the transliteration of the Cyrillic;
a language without its own words reads English.
"""

from __future__ import annotations

import html

from newsletter.content.rendering.messages import ComposedVariant, Organisation
from newsletter.core.serbian import to_latin

#: The outbox folder (``<outbox>/renewal/link/``) and the transports' campaign label.
LABEL = "renewal"
STEP = "link"

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Your new link – {org}",
        "asked": "You asked for a fresh link because the one in our email had expired.",
        "unsubscribe": "Unsubscribe from this list",
        "preferences": "Choose the emails you receive",
        "lifetime": "These links work for {days} days.",
        "ignore": "If it was not you, ignore this email: nothing has changed.",
    },
    "sr-Cyrl": {
        "subject": "Ваша нова веза – {org}",
        "asked": "Затражили сте нову везу јер је веза из наше поруке истекла.",
        "unsubscribe": "Одјавите се са ове листе",
        "preferences": "Изаберите поруке које примате",
        "lifetime": "Ове везе важе {days} дана.",
        "ignore": "Ако то нисте били ви, занемарите ову поруку: ништа се није променило.",
    },
    "bg": {
        "subject": "Вашата нова връзка – {org}",
        "asked": "Поискахте нова връзка, защото тази от нашия имейл беше изтекла.",
        "unsubscribe": "Отпишете се от този списък",
        "preferences": "Изберете имейлите, които получавате",
        "lifetime": "Тези връзки са валидни {days} дни.",
        "ignore": "Ако не сте били вие, не обръщайте внимание на този имейл: нищо не е променено.",
    },
    "ro": {
        "subject": "Noul dumneavoastră link – {org}",
        "asked": "Ați cerut un link nou, deoarece cel din e-mailul nostru expirase.",
        "unsubscribe": "Dezabonați-vă de la această listă",
        "preferences": "Alegeți e-mailurile pe care le primiți",
        "lifetime": "Aceste linkuri sunt valabile {days} de zile.",
        "ignore": "Dacă nu ați fost dumneavoastră, ignorați acest e-mail: nimic nu s-a schimbat.",
    },
    "mk": {
        "subject": "Вашата нова врска – {org}",
        "asked": "Побаравте нова врска бидејќи врската од нашата порака истече.",
        "unsubscribe": "Одјавете се од оваа листа",
        "preferences": "Изберете ги пораките што ги добивате",
        "lifetime": "Овие врски важат {days} дена.",
        "ignore": "Ако тоа не сте биле вие, занемарете ја оваа порака: ништо не е променето.",
    },
    "tr": {
        "subject": "Yeni bağlantınız – {org}",
        "asked": "E-postamızdaki bağlantının süresi dolduğu için yeni bir bağlantı istediniz.",
        "unsubscribe": "Bu listeden çıkın",
        "preferences": "Aldığınız e-postaları seçin",
        "lifetime": "Bu bağlantılar {days} gün geçerlidir.",
        "ignore": "Bu isteği siz yapmadıysanız bu e-postayı dikkate almayın: hiçbir şey değişmedi.",
    },
}
WORDS["sr-Latn"] = {k: to_latin(v) for k, v in WORDS["sr-Cyrl"].items()}


def words(language: str) -> dict[str, str]:
    return {**WORDS["en"], **WORDS.get(language, {})}


def renewal(
    language: str,
    unsubscribe_url: str,
    preferences_url: str,
    organisation: Organisation,
    *,
    days: int,
) -> ComposedVariant:
    """The email, plain text and HTML, with no merge fields (one recipient)."""
    w = words(language)
    organisation = organisation.in_language(language)
    subject = w["subject"].format(org=organisation.name)
    lifetime = w["lifetime"].format(days=days)
    footer = [line for line in (organisation.name, organisation.postal_address) if line]
    text = "\n".join(
        [
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
            "",
            "-- ",
            *footer,
            "",
        ]
    )
    esc = html.escape

    def link(url: str, label: str) -> str:
        return (
            f'<p style="margin:0 0 16px;"><a href="{esc(url, quote=True)}" '
            'style="color:#1f5f99;font-weight:bold;">'
            f"{esc(label)}</a></p>"
        )

    body = (
        f'<!doctype html><html lang="{esc(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(subject)}</title></head>"
        '<body style="margin:0;padding:24px;background:#f4f6f8;'
        'font-family:Arial,Helvetica,sans-serif;color:#1d2733;">'
        '<div style="max-width:560px;margin:0 auto;background:#ffffff;padding:24px;">'
        f'<p style="margin:0 0 16px;">{esc(w["asked"])}</p>'
        f"{link(unsubscribe_url, w['unsubscribe'])}{link(preferences_url, w['preferences'])}"
        f'<p style="margin:0 0 16px;font-size:13px;color:#5a6b7b;">{esc(lifetime)} '
        f"{esc(w['ignore'])}</p>"
        f'<p style="margin:0;font-size:12px;color:#5a6b7b;">'
        f"{'<br>'.join(esc(line) for line in footer)}</p>"
        "</div></body></html>"
    )
    return ComposedVariant(
        campaign=LABEL,
        step=STEP,
        language=language,
        topic="",
        subject=subject,
        preheader="",
        html=body,
        text=text,
    )


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
