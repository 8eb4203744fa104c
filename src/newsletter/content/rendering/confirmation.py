"""The double opt-in confirmation email: fixed wording per language, and the link.

Nothing the subscriber typed goes into it - not the name, not the organisation - so the form
cannot be used to send our mail with someone else's words in it to a stranger's address. The
lists are named by our own UI strings (``topic_<topic>``, in the form that follows "subscribe
to", as in the footer's ``why_topic``).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from newsletter.content.rendering.messages import ComposedVariant, Organisation
from newsletter.core.serbian import to_latin

#: The outbox folder (``<outbox>/signup/confirm/``) and the transports' campaign label.
LABEL = "signup"
STEP = "confirm"
#: RFC 3834 §5: an automatic message; auto-responders must not answer it.
HEADERS: tuple[tuple[str, str], ...] = (("Auto-Submitted", "auto-generated"),)

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Confirm your subscription – {org}",
        "asked": "Someone – most likely you – asked to subscribe this address to:",
        "how": "To confirm, open this link and press the button on the page:",
        "button": "Confirm my subscription",
        "ignore": (
            "If it was not you, ignore this email: without a confirmation you will receive "
            "nothing from us, and the request is deleted after 7 days."
        ),
    },
    "sr-Cyrl": {
        "subject": "Потврдите претплату – {org}",
        "asked": "Неко – највероватније ви – затражио је да се ова адреса претплати на:",
        "how": "Да бисте потврдили, отворите ову везу и притисните дугме на страници:",
        "button": "Потврђујем претплату",
        "ignore": (
            "Ако то нисте били ви, занемарите ову поруку: без потврде од нас нећете добити "
            "ништа, а захтев се брише после 7 дана."
        ),
    },
    "bg": {
        "subject": "Потвърдете абонамента си – {org}",
        "asked": "Някой – най-вероятно вие – е поискал този адрес да бъде абониран за:",
        "how": "За да потвърдите, отворете тази връзка и натиснете бутона на страницата:",
        "button": "Потвърждавам абонамента",
        "ignore": (
            "Ако не сте били вие, не обръщайте внимание на този имейл: без потвърждение няма "
            "да получавате нищо от нас, а заявката се изтрива след 7 дни."
        ),
    },
    "ro": {
        "subject": "Confirmați abonarea – {org}",
        "asked": "Cineva – cel mai probabil dumneavoastră – a cerut ca această adresă să fie "
        "abonată la:",
        "how": "Pentru a confirma, deschideți acest link și apăsați butonul de pe pagină:",
        "button": "Confirm abonarea",
        "ignore": (
            "Dacă nu ați fost dumneavoastră, ignorați acest e-mail: fără confirmare nu veți "
            "primi nimic de la noi, iar cererea se șterge după 7 zile."
        ),
    },
    "mk": {
        "subject": "Потврдете ја претплатата – {org}",
        "asked": "Некој – најверојатно вие – побарал оваа адреса да се претплати на:",
        "how": "За да потврдите, отворете ја оваа врска и притиснете го копчето на страницата:",
        "button": "Ја потврдувам претплатата",
        "ignore": (
            "Ако тоа не сте биле вие, занемарете ја оваа порака: без потврда нема да добивате "
            "ништо од нас, а барањето се брише по 7 дена."
        ),
    },
    "tr": {
        "subject": "Aboneliğinizi onaylayın – {org}",
        "asked": "Birisi – büyük olasılıkla siz – bu adresin aşağıdakilere abone edilmesini "
        "istedi:",
        "how": "Onaylamak için bu bağlantıyı açın ve sayfadaki düğmeye basın:",
        "button": "Aboneliğimi onaylıyorum",
        "ignore": (
            "Bu isteği siz yapmadıysanız bu e-postayı dikkate almayın: onay olmadan bizden "
            "hiçbir şey almayacaksınız ve istek 7 gün sonra silinir."
        ),
    },
}
WORDS["sr-Latn"] = {k: to_latin(v) for k, v in WORDS["sr-Cyrl"].items()}


def words(language: str) -> dict[str, str]:
    return {**WORDS["en"], **WORDS.get(language, {})}


def topic_phrases(
    ui: Mapping[str, Mapping[str, str]], language: str, topics: Sequence[str]
) -> list[str]:
    """Each list as the footer names it, in ``language`` (English where it has no phrase)."""
    latin = {k: to_latin(v) for k, v in ui.get("sr-Cyrl", {}).items()}
    found = []
    for topic in topics:
        key = f"topic_{topic}"
        own = ui.get(language, {}).get(key) or (latin.get(key) if language == "sr-Latn" else None)
        found.append(own or ui.get("en", {}).get(key) or topic)
    return found


def confirmation(
    language: str, link: str, lists: Sequence[str], organisation: Organisation
) -> ComposedVariant:
    """The email, plain text and HTML, with no merge fields: every recipient's is its own."""
    w = words(language)
    organisation = organisation.in_language(language)
    subject = w["subject"].format(org=organisation.name)
    footer = [organisation.name, organisation.postal_address]
    text = "\n".join(
        [
            w["asked"],
            "",
            *(f"  - {name}" for name in lists),
            "",
            w["how"],
            link,
            "",
            w["ignore"],
            "",
            "-- ",
            *(line for line in footer if line),
            "",
        ]
    )
    esc = html.escape
    items = "".join(f"<li>{esc(name)}</li>" for name in lists)
    address = "<br>".join(esc(line) for line in footer if line)
    body = (
        f'<!doctype html><html lang="{esc(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(subject)}</title></head>"
        '<body style="margin:0;padding:24px;background:#f4f6f8;'
        'font-family:Arial,Helvetica,sans-serif;color:#1d2733;">'
        '<div style="max-width:560px;margin:0 auto;background:#ffffff;padding:24px;">'
        f'<p style="margin:0 0 12px;">{esc(w["asked"])}</p>'
        f'<ul style="margin:0 0 16px;">{items}</ul>'
        f'<p style="margin:0 0 16px;">{esc(w["how"])}</p>'
        f'<p style="margin:0 0 16px;"><a href="{esc(link, quote=True)}" '
        'style="display:inline-block;background:#1f5f99;color:#ffffff;padding:12px 20px;'
        f'border-radius:6px;text-decoration:none;font-weight:bold;">{esc(w["button"])}</a></p>'
        f'<p style="margin:0 0 16px;font-size:13px;word-break:break-all;">{esc(link)}</p>'
        f'<p style="margin:0 0 16px;font-size:13px;color:#5a6b7b;">{esc(w["ignore"])}</p>'
        f'<p style="margin:0;font-size:12px;color:#5a6b7b;">{address}</p>'
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
