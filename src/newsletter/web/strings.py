"""The few words the public pages say, per language the network sends in.

Serbian Latin is the transliteration of Serbian Cyrillic (core/serbian.py), as in emails. The
topic names come from the templates' UI strings (``topic_<topic>``), so a page names a list the
way its emails do.
"""

from __future__ import annotations

from collections.abc import Mapping

from newsletter.core.serbian import to_latin

PAGES: dict[str, dict[str, str]] = {
    "en": {
        "title": "Unsubscribe",
        "question": "Do you want to stop receiving these emails?",
        "list": "List",
        "button": "Unsubscribe",
        "done": "You are unsubscribed",
        "done_text": "You will no longer receive these emails.",
        "not_subscribed": "You are not subscribed to these emails.",
        "changed": "Changed your mind?",
        "preferences": "Choose the emails you receive",
        "test_title": "This was a test email",
        "test_unsubscribe": (
            "In the real email, this link unsubscribes "
            "the reader from this list. Nothing was changed."
        ),
        "test_preferences": (
            "In the real email, this link opens "
            "the reader's own subscription settings. Nothing was changed."
        ),
        "not_found_title": "This link is not valid",
        "not_found_text": (
            "It may be incomplete. Please use the link exactly as it appears in the email."
        ),
    },
    "sr-Cyrl": {
        "title": "Одјава",
        "question": "Да ли желите да више не примате ове поруке?",
        "list": "Листа",
        "button": "Одјавите се",
        "done": "Одјављени сте",
        "done_text": "Више нећете примати ове поруке.",
        "not_subscribed": "Нисте претплаћени на ове поруке.",
        "changed": "Предомислили сте се?",
        "preferences": "Изаберите поруке које примате",
        "test_title": "Ово је била пробна порука",
        "test_unsubscribe": (
            "У правој поруци ова веза одјављује читаоца са ове листе. Ништа није промењено."
        ),
        "test_preferences": (
            "У правој поруци ова веза отвара подешавања претплате читаоца. Ништа није промењено."
        ),
        "not_found_title": "Ова веза не важи",
        "not_found_text": "Можда је непотпуна. Користите везу тачно онако како је у поруци.",
    },
    "bg": {
        "title": "Отписване",
        "question": "Искате ли да спрете да получавате тези имейли?",
        "list": "Списък",
        "button": "Отпишете се",
        "done": "Отписахте се",
        "done_text": "Повече няма да получавате тези имейли.",
        "not_subscribed": "Не сте абонирани за тези имейли.",
        "changed": "Размислихте ли?",
        "preferences": "Изберете имейлите, които получавате",
        "test_title": "Това беше тестов имейл",
        "test_unsubscribe": (
            "В истинския имейл тази връзка отписва читателя от този списък. Нищо не е променено."
        ),
        "test_preferences": (
            "В истинския имейл тази връзка отваря настройките "
            "за абонамент на читателя. Нищо не е променено."
        ),
        "not_found_title": "Тази връзка не е валидна",
        "not_found_text": "Може да е непълна. Използвайте връзката точно както е в имейла.",
    },
    "ro": {
        "title": "Dezabonare",
        "question": "Doriți să nu mai primiți aceste e-mailuri?",
        "list": "Listă",
        "button": "Dezabonați-vă",
        "done": "V-ați dezabonat",
        "done_text": "Nu veți mai primi aceste e-mailuri.",
        "not_subscribed": "Nu sunteți abonat la aceste e-mailuri.",
        "changed": "V-ați răzgândit?",
        "preferences": "Alegeți e-mailurile pe care le primiți",
        "test_title": "Acesta a fost un e-mail de test",
        "test_unsubscribe": (
            "În e-mailul real, acest link dezabonează cititorul "
            "de la această listă. Nu s-a schimbat nimic."
        ),
        "test_preferences": (
            "În e-mailul real, acest link deschide setările "
            "de abonare ale cititorului. Nu s-a schimbat nimic."
        ),
        "not_found_title": "Acest link nu este valid",
        "not_found_text": "Poate fi incomplet. Folosiți linkul exact așa cum apare în e-mail.",
    },
    "mk": {
        "title": "Одјава",
        "question": "Дали сакате повеќе да не ги добивате овие пораки?",
        "list": "Листа",
        "button": "Одјавете се",
        "done": "Се одјавивте",
        "done_text": "Повеќе нема да ги добивате овие пораки.",
        "not_subscribed": "Не сте претплатени на овие пораки.",
        "changed": "Се премисливте?",
        "preferences": "Изберете ги пораките што ги добивате",
        "test_title": "Ова беше пробна порака",
        "test_unsubscribe": (
            "Во вистинската порака оваа врска го одјавува "
            "читателот од оваа листа. Ништо не е променето."
        ),
        "test_preferences": (
            "Во вистинската порака оваа врска ги отвора поставките "
            "за претплата на читателот. Ништо не е променето."
        ),
        "not_found_title": "Оваа врска не важи",
        "not_found_text": "Можеби е нецелосна. Користете ја врската точно како што е во пораката.",
    },
    "tr": {
        "title": "Abonelikten çık",
        "question": "Bu e-postaları almayı bırakmak istiyor musunuz?",
        "list": "Liste",
        "button": "Abonelikten çık",
        "done": "Aboneliğiniz sonlandırıldı",
        "done_text": "Bu e-postaları artık almayacaksınız.",
        "not_subscribed": "Bu e-postalara abone değilsiniz.",
        "changed": "Fikrinizi mi değiştirdiniz?",
        "preferences": "Aldığınız e-postaları seçin",
        "test_title": "Bu bir deneme e-postasıydı",
        "test_unsubscribe": (
            "Gerçek e-postada bu bağlantı okuyucunun bu "
            "listeden aboneliğini sonlandırır. Hiçbir şey değiştirilmedi."
        ),
        "test_preferences": (
            "Gerçek e-postada bu bağlantı okuyucunun "
            "abonelik ayarlarını açar. Hiçbir şey değiştirilmedi."
        ),
        "not_found_title": "Bu bağlantı geçerli değil",
        "not_found_text": "Eksik olabilir. Lütfen bağlantıyı e-postadaki haliyle kullanın.",
    },
}
PAGES["sr-Latn"] = {k: to_latin(v) for k, v in PAGES["sr-Cyrl"].items()}


def page_strings(language: str) -> dict[str, str]:
    return {**PAGES["en"], **PAGES.get(language, {})}


def topic_name(ui: Mapping[str, Mapping[str, str]], language: str, topic: str) -> str:
    key = f"topic_{topic}"
    for lang in (language, "en"):
        found = ui.get(lang, {}).get(key)
        if found:
            return found
    return topic
