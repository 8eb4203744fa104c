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
        "unavailable_title": "Temporarily unavailable",
        "unavailable_text": (
            "We could not complete your request just now. Please try again in a few minutes."
        ),
        "expired_title": "This link has expired",
        "expired_text": (
            "Links in our emails work for {days} days. We can email you a fresh one, to the "
            "address this email was sent to."
        ),
        "expired_button": "Email me a fresh link",
        "renewed_title": "Check your inbox",
        "renewed_text": (
            "If this address is still on our list, a fresh link is on its way to it. "
            "The new links work for {days} days."
        ),
        "too_many": "Too many requests from your network. Please try again tomorrow.",
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
        "expired_title": "Ова веза је истекла",
        "expired_text": (
            "Везе у нашим порукама важе {days} дана. Можемо вам послати нову, на адресу на "
            "коју је стигла ова порука."
        ),
        "expired_button": "Пошаљите ми нову везу",
        "renewed_title": "Проверите пријемно сандуче",
        "renewed_text": (
            "Ако је ова адреса још на нашој листи, нова веза је на путу до ње. "
            "Нове везе важе {days} дана."
        ),
        "too_many": "Превише захтева са ваше мреже. Покушајте поново сутра.",
        "not_found_text": "Можда је непотпуна. Користите везу тачно онако како је у поруци.",
        "unavailable_title": "Привремено недоступно",
        "unavailable_text": (
            "Ваш захтев тренутно није могуће извршити. Покушајте поново за неколико минута."
        ),
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
        "unavailable_title": "Временно недостъпно",
        "unavailable_text": (
            "В момента не можахме да изпълним заявката ви. "
            "Моля, опитайте отново след няколко минути."
        ),
        "expired_title": "Тази връзка е изтекла",
        "expired_text": (
            "Връзките в нашите имейли са валидни {days} дни. Можем да ви изпратим нова на "
            "адреса, на който е изпратен този имейл."
        ),
        "expired_button": "Изпратете ми нова връзка",
        "renewed_title": "Проверете входящата си поща",
        "renewed_text": (
            "Ако този адрес все още е в нашия списък, нова връзка е на път към него. Новите "
            "връзки са валидни {days} дни."
        ),
        "too_many": "Твърде много заявки от вашата мрежа. Моля, опитайте отново утре.",
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
        "unavailable_title": "Temporar indisponibil",
        "unavailable_text": (
            "Nu am putut finaliza cererea dumneavoastră acum. "
            "Vă rugăm să încercați din nou în câteva minute."
        ),
        "expired_title": "Acest link a expirat",
        "expired_text": (
            "Linkurile din e-mailurile noastre sunt valabile {days} de zile. Vă putem trimite "
            "unul nou, la adresa la care a fost trimis acest e-mail."
        ),
        "expired_button": "Trimiteți-mi un link nou",
        "renewed_title": "Verificați-vă căsuța de e-mail",
        "renewed_text": (
            "Dacă această adresă este încă pe lista noastră, un link nou este pe drum. Noile "
            "linkuri sunt valabile {days} de zile."
        ),
        "too_many": (
            "Prea multe cereri din rețeaua dumneavoastră. Vă rugăm să încercați din nou mâine."
        ),
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
        "unavailable_title": "Привремено недостапно",
        "unavailable_text": (
            "Во моментов не можевме да го извршиме вашето барање. "
            "Обидете се повторно за неколку минути."
        ),
        "expired_title": "Оваа врска е истечена",
        "expired_text": (
            "Врските во нашите пораки важат {days} дена. Можеме да ви испратиме нова, на "
            "адресата на која е испратена оваа порака."
        ),
        "expired_button": "Испратете ми нова врска",
        "renewed_title": "Проверете го вашето сандаче",
        "renewed_text": (
            "Ако оваа адреса е сè уште на нашата листа, нова врска е на пат до неа. Новите "
            "врски важат {days} дена."
        ),
        "too_many": "Премногу барања од вашата мрежа. Обидете се повторно утре.",
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
        "unavailable_title": "Geçici olarak kullanılamıyor",
        "unavailable_text": (
            "İsteğinizi şu anda tamamlayamadık. Lütfen birkaç dakika sonra tekrar deneyin."
        ),
        "expired_title": "Bu bağlantının süresi doldu",
        "expired_text": (
            "E-postalarımızdaki bağlantılar {days} gün geçerlidir. Bu e-postanın gönderildiği "
            "adrese yeni bir bağlantı gönderebiliriz."
        ),
        "expired_button": "Bana yeni bir bağlantı gönder",
        "renewed_title": "Gelen kutunuzu kontrol edin",
        "renewed_text": (
            "Bu adres hâlâ listemizdeyse yeni bir bağlantı yolda. Yeni bağlantılar {days} gün "
            "geçerlidir."
        ),
        "too_many": "Ağınızdan çok fazla istek geldi. Lütfen yarın tekrar deneyin.",
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
