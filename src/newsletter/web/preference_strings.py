"""The words of the member preference centre, in every language the network sends in.

Serbian Latin is transliterated from Serbian Cyrillic (core/serbian.py), as in emails. Topic
names come from the templates' UI strings, as on the unsubscribe page (web/strings.py).
"""

from __future__ import annotations

from newsletter.core.serbian import to_latin

#: Each language named in itself, so a reader finds their own in the list.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "sr-Cyrl": "Српски (ћирилица)",
    "sr-Latn": "Srpski (latinica)",
    "bg": "Български",
    "ro": "Română",
    "mk": "Македонски",
    "tr": "Türkçe",
}

PREFERENCES: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your email preferences",
        "topics": "Emails you receive",
        "language": "Language and script",
        "save": "Save preferences",
        "leave": "Unsubscribe from everything",
        "saved": "Your preferences are saved.",
        "left": "You are unsubscribed from all our emails.",
        "invalid": "Please choose one of the offered options.",
        "leave_confirm": "You will receive none of our emails, on any list.",
        "leave_yes": "Yes, unsubscribe from everything",
    },
    "sr-Cyrl": {
        "title": "Подешавања порука",
        "topics": "Поруке које примате",
        "language": "Језик и писмо",
        "save": "Сачувајте подешавања",
        "leave": "Одјавите се са свих порука",
        "saved": "Ваша подешавања су сачувана.",
        "left": "Одјављени сте са свих наших порука.",
        "invalid": "Изаберите једну од понуђених могућности.",
        "leave_confirm": "Нећете примати ниједну нашу поруку, ни са једне листе.",
        "leave_yes": "Да, одјавите ме са свих порука",
    },
    "bg": {
        "title": "Настройки на имейлите",
        "topics": "Имейли, които получавате",
        "language": "Език и писменост",
        "save": "Запазете настройките",
        "leave": "Отпишете се от всичко",
        "saved": "Настройките ви са запазени.",
        "left": "Отписахте се от всички наши имейли.",
        "invalid": "Моля, изберете една от предложените възможности.",
        "leave_confirm": "Няма да получавате нито един наш имейл от никой списък.",
        "leave_yes": "Да, отпишете ме от всичко",
    },
    "ro": {
        "title": "Preferințele dvs. de e-mail",
        "topics": "E-mailuri pe care le primiți",
        "language": "Limbă și alfabet",
        "save": "Salvați preferințele",
        "leave": "Dezabonați-vă de la tot",
        "saved": "Preferințele dvs. au fost salvate.",
        "left": "V-ați dezabonat de la toate e-mailurile noastre.",
        "invalid": "Vă rugăm să alegeți una dintre opțiunile oferite.",
        "leave_confirm": "Nu veți mai primi niciun e-mail de la noi, de pe nicio listă.",
        "leave_yes": "Da, dezabonați-mă de la tot",
    },
    "mk": {
        "title": "Поставки за пораките",
        "topics": "Пораки што ги добивате",
        "language": "Јазик и писмо",
        "save": "Зачувајте ги поставките",
        "leave": "Одјавете се од сите пораки",
        "saved": "Вашите поставки се зачувани.",
        "left": "Се одјавивте од сите наши пораки.",
        "invalid": "Изберете една од понудените можности.",
        "leave_confirm": "Нема да добивате ниту една наша порака, од ниту една листа.",
        "leave_yes": "Да, одјавете ме од сите пораки",
    },
    "tr": {
        "title": "E-posta tercihleriniz",
        "topics": "Aldığınız e-postalar",
        "language": "Dil ve alfabe",
        "save": "Tercihleri kaydet",
        "leave": "Tüm e-postalardan çık",
        "saved": "Tercihleriniz kaydedildi.",
        "left": "Tüm e-postalarımızdan çıktınız.",
        "invalid": "Lütfen sunulan seçeneklerden birini seçin.",
        "leave_confirm": "Hiçbir listeden e-postamızı almayacaksınız.",
        "leave_yes": "Evet, tüm e-postalardan çık",
    },
}
PREFERENCES["sr-Latn"] = {k: to_latin(v) for k, v in PREFERENCES["sr-Cyrl"].items()}


def preference_strings(language: str) -> dict[str, str]:
    return {**PREFERENCES["en"], **PREFERENCES.get(language, {})}
