"""The words of the public subscription form and the archive, in every language the network
sends in, and how a visitor's language is chosen.

The consent sentence is what a subscriber agrees to; its version id, :data:`WORDING_VERSION`, is
stored with every consent the form records (GDPR Art. 7(1): being able to show what was agreed
to). Change the sentence in any language and the version must change with it.

Lists are named by the templates' ``topic_<topic>`` phrases, which are in the form that follows
"subscribe to" in each language (accusative in Serbian, dative in Turkish): every sentence here
that names lists ends in that verb.
"""

from __future__ import annotations

from newsletter.audiences.domain.members import LANGUAGES
from newsletter.core.serbian import to_latin

WORDING_VERSION = "subscribe-form/v1"

SUBSCRIBE: dict[str, dict[str, str]] = {
    "en": {
        "title": "Subscribe",
        "intro": "Get the network's announcements by email and choose which ones.",
        "email": "Email address",
        "first_name": "First name",
        "last_name": "Last name",
        "organization": "Organisation",
        "optional": "optional",
        "topics": "Subscribe me to:",
        "language": "Language and script of the emails",
        "consent": (
            "I agree that {org} sends me the emails I chose, in the language I chose, and keeps "
            "my address and name for that purpose. I can unsubscribe at any time with the link "
            "in every email."
        ),
        "button": "Subscribe",
        "check_title": "Check your inbox",
        "check_text": (
            "If the address can receive our emails, a message with a confirmation link is on "
            "its way. Open it and press the button to confirm; nothing is sent to you before "
            "that. The link works for 7 days."
        ),
        "too_many": (
            "Too many subscription requests came from your network. Please try again in an hour."
        ),
        "failed": "We could not send the confirmation email just now. Please try again later.",
        "invalid": "Please correct the fields marked below.",
        "err_email": "Enter a valid email address.",
        "err_topics": "Choose at least one list.",
        "err_name": "Please check this field.",
        "err_language": "Choose one of the offered languages.",
        "expired": "The form expired; please send it again.",
        "confirm_title": "Confirm your subscription",
        "confirm_text": "Press the button to subscribe to:",
        "confirm_button": "Confirm my subscription",
        "done_title": "You are subscribed",
        "done_text": "Thank you. You are subscribed to:",
        "change": "Every email has a link to change your choices or to unsubscribe.",
        "already": "This subscription was confirmed already.",
        "archive_title": "Archive",
        "archive_intro": "Announcements the network has sent.",
        "archive_empty": "Nothing here yet.",
        "sent_on": "Sent",
        "read_in": "Language",
        "back": "All announcements",
        "subscribe_link": "Subscribe to our emails",
        "trap": "Leave this field empty",
        "home_intro": (
            "Announcements, calls and events from the network, by email, in your language."
        ),
        "home_archive": "Read past announcements",
        "shown_in": "Not written in {wanted}: shown in {shown}.",
    },
    "sr-Cyrl": {
        "title": "Претплата",
        "intro": "Примајте обавештења мреже е-поштом и изаберите која.",
        "email": "Адреса е-поште",
        "first_name": "Име",
        "last_name": "Презиме",
        "organization": "Организација",
        "optional": "није обавезно",
        "topics": "Претплатите ме на:",
        "language": "Језик и писмо порука",
        "consent": (
            "Слажем се да ми {org} шаље поруке које сам изабрао/ла, на језику који сам изабрао/ла, "
            "и да у ту сврху чува моју адресу и име. Могу да се одјавим у сваком тренутку преко "
            "везе у свакој поруци."
        ),
        "button": "Претплатите се",
        "check_title": "Проверите пријемно сандуче",
        "check_text": (
            "Ако адреса може да прима наше поруке, на њу стиже порука са везом за потврду. "
            "Отворите је и притисните дугме да потврдите; пре тога вам ништа не шаљемо. Веза "
            "важи 7 дана."
        ),
        "too_many": (
            "Са ваше мреже је стигло превише захтева за претплату. Покушајте поново за сат времена."
        ),
        "failed": "Тренутно не можемо да пошаљемо поруку за потврду. Покушајте поново касније.",
        "invalid": "Исправите означена поља.",
        "err_email": "Унесите исправну адресу е-поште.",
        "err_topics": "Изаберите бар једну листу.",
        "err_name": "Проверите ово поље.",
        "err_language": "Изаберите један од понуђених језика.",
        "expired": "Образац је истекао; пошаљите га поново.",
        "confirm_title": "Потврдите претплату",
        "confirm_text": "Притисните дугме да бисте се претплатили на:",
        "confirm_button": "Потврђујем претплату",
        "done_title": "Претплатили сте се",
        "done_text": "Хвала. Претплаћени сте на:",
        "change": "Свака порука има везу за промену избора или за одјаву.",
        "already": "Ова претплата је већ потврђена.",
        "archive_title": "Архива",
        "archive_intro": "Обавештења која је мрежа послала.",
        "archive_empty": "Овде још нема ничега.",
        "sent_on": "Послато",
        "read_in": "Језик",
        "back": "Сва обавештења",
        "subscribe_link": "Претплатите се на наше поруке",
        "trap": "Оставите ово поље празно",
        "home_intro": "Обавештења, позиви и догађаји мреже, е-поштом, на вашем језику.",
        "home_archive": "Прочитајте ранија обавештења",
        "shown_in": "Није написано на језику {wanted}: приказано на језику {shown}.",
    },
    "bg": {
        "title": "Абонамент",
        "intro": "Получавайте съобщенията на мрежата по имейл и изберете кои.",
        "email": "Имейл адрес",
        "first_name": "Име",
        "last_name": "Фамилия",
        "organization": "Организация",
        "optional": "по избор",
        "topics": "Абонирайте ме за:",
        "language": "Език и писменост на имейлите",
        "consent": (
            "Съгласен/на съм {org} да ми изпраща избраните от мен имейли на избрания от мен език "
            "и да съхранява адреса и името ми за тази цел. Мога да се отпиша по всяко време чрез "
            "връзката във всеки имейл."
        ),
        "button": "Абонирайте се",
        "check_title": "Проверете пощенската си кутия",
        "check_text": (
            "Ако адресът може да получава нашите имейли, към него пътува съобщение с връзка за "
            "потвърждение. Отворете го и натиснете бутона, за да потвърдите; дотогава не ви "
            "изпращаме нищо. Връзката е валидна 7 дни."
        ),
        "too_many": (
            "От вашата мрежа дойдоха твърде много заявки за абонамент. Опитайте отново след час."
        ),
        "failed": "В момента не можем да изпратим имейла за потвърждение. Опитайте по-късно.",
        "invalid": "Поправете отбелязаните полета.",
        "err_email": "Въведете валиден имейл адрес.",
        "err_topics": "Изберете поне един списък.",
        "err_name": "Проверете това поле.",
        "err_language": "Изберете един от предложените езици.",
        "expired": "Формулярът изтече; изпратете го отново.",
        "confirm_title": "Потвърдете абонамента",
        "confirm_text": "Натиснете бутона, за да се абонирате за:",
        "confirm_button": "Потвърждавам абонамента",
        "done_title": "Абонирахте се",
        "done_text": "Благодарим ви. Абонирани сте за:",
        "change": "Всеки имейл съдържа връзка за промяна на избора или за отписване.",
        "already": "Този абонамент вече е потвърден.",
        "archive_title": "Архив",
        "archive_intro": "Съобщения, изпратени от мрежата.",
        "archive_empty": "Тук още няма нищо.",
        "sent_on": "Изпратено",
        "read_in": "Език",
        "back": "Всички съобщения",
        "subscribe_link": "Абонирайте се за нашите имейли",
        "trap": "Оставете това поле празно",
        "home_intro": "Съобщения, покани и събития на мрежата по имейл, на вашия език.",
        "home_archive": "Прочетете предишни съобщения",
        "shown_in": "Не е написано на {wanted}: показано е на {shown}.",
    },
    "ro": {
        "title": "Abonare",
        "intro": "Primiți anunțurile rețelei prin e-mail și alegeți care.",
        "email": "Adresa de e-mail",
        "first_name": "Prenume",
        "last_name": "Nume",
        "organization": "Organizație",
        "optional": "opțional",
        "topics": "Abonați-mă la:",
        "language": "Limba și alfabetul e-mailurilor",
        "consent": (
            "Sunt de acord ca {org} să îmi trimită e-mailurile alese, în limba aleasă, și să îmi "
            "păstreze adresa și numele în acest scop. Mă pot dezabona oricând prin linkul din "
            "fiecare e-mail."
        ),
        "button": "Abonați-vă",
        "check_title": "Verificați-vă căsuța de e-mail",
        "check_text": (
            "Dacă adresa poate primi e-mailurile noastre, un mesaj cu un link de confirmare este "
            "pe drum. Deschideți-l și apăsați butonul pentru a confirma; până atunci nu vă "
            "trimitem nimic. Linkul este valabil 7 zile."
        ),
        "too_many": (
            "Din rețeaua dumneavoastră au venit prea multe cereri de abonare. Încercați din nou "
            "peste o oră."
        ),
        "failed": "Nu putem trimite acum e-mailul de confirmare. Încercați din nou mai târziu.",
        "invalid": "Corectați câmpurile marcate.",
        "err_email": "Introduceți o adresă de e-mail validă.",
        "err_topics": "Alegeți cel puțin o listă.",
        "err_name": "Verificați acest câmp.",
        "err_language": "Alegeți una dintre limbile oferite.",
        "expired": "Formularul a expirat; trimiteți-l din nou.",
        "confirm_title": "Confirmați abonarea",
        "confirm_text": "Apăsați butonul pentru a vă abona la:",
        "confirm_button": "Confirm abonarea",
        "done_title": "V-ați abonat",
        "done_text": "Vă mulțumim. V-ați abonat la:",
        "change": "Fiecare e-mail are un link pentru a vă schimba opțiunile sau a vă dezabona.",
        "already": "Această abonare a fost deja confirmată.",
        "archive_title": "Arhivă",
        "archive_intro": "Anunțuri trimise de rețea.",
        "archive_empty": "Încă nu este nimic aici.",
        "sent_on": "Trimis",
        "read_in": "Limba",
        "back": "Toate anunțurile",
        "subscribe_link": "Abonați-vă la e-mailurile noastre",
        "trap": "Lăsați acest câmp gol",
        "home_intro": "Anunțuri, apeluri și evenimente ale rețelei, prin e-mail, în limba dvs.",
        "home_archive": "Citiți anunțurile anterioare",
        "shown_in": "Nu este scris în {wanted}: afișat în {shown}.",
    },
    "mk": {
        "title": "Претплата",
        "intro": "Добивајте ги известувањата на мрежата по е-пошта и изберете кои.",
        "email": "Адреса на е-пошта",
        "first_name": "Име",
        "last_name": "Презиме",
        "organization": "Организација",
        "optional": "не е задолжително",
        "topics": "Претплатете ме на:",
        "language": "Јазик и писмо на пораките",
        "consent": (
            "Се согласувам {org} да ми ги испраќа пораките што ги избрав, на јазикот што го "
            "избрав, и за таа цел да ги чува мојата адреса и моето име. Можам да се одјавам во "
            "секое време преку врската во секоја порака."
        ),
        "button": "Претплатете се",
        "check_title": "Проверете го вашето сандаче",
        "check_text": (
            "Ако адресата може да ги прима нашите пораки, до неа патува порака со врска за "
            "потврда. Отворете ја и притиснете го копчето за да потврдите; дотогаш не ви "
            "испраќаме ништо. Врската важи 7 дена."
        ),
        "too_many": (
            "Од вашата мрежа пристигнаа премногу барања за претплата. Обидете се повторно за еден "
            "час."
        ),
        "failed": "Моментално не можеме да ја испратиме пораката за потврда. Обидете се подоцна.",
        "invalid": "Поправете ги означените полиња.",
        "err_email": "Внесете исправна адреса на е-пошта.",
        "err_topics": "Изберете барем една листа.",
        "err_name": "Проверете го ова поле.",
        "err_language": "Изберете еден од понудените јазици.",
        "expired": "Образецот истече; испратете го повторно.",
        "confirm_title": "Потврдете ја претплатата",
        "confirm_text": "Притиснете го копчето за да се претплатите на:",
        "confirm_button": "Ја потврдувам претплатата",
        "done_title": "Се претплативте",
        "done_text": "Ви благодариме. Претплатени сте на:",
        "change": "Секоја порака има врска за промена на изборот или за одјава.",
        "already": "Оваа претплата е веќе потврдена.",
        "archive_title": "Архива",
        "archive_intro": "Известувања што ги испрати мрежата.",
        "archive_empty": "Тука сè уште нема ништо.",
        "sent_on": "Испратено",
        "read_in": "Јазик",
        "back": "Сите известувања",
        "subscribe_link": "Претплатете се на нашите пораки",
        "trap": "Оставете го ова поле празно",
        "home_intro": "Известувања, повици и настани на мрежата, по е-пошта, на вашиот јазик.",
        "home_archive": "Прочитајте ги претходните известувања",
        "shown_in": "Не е напишано на {wanted}: прикажано на {shown}.",
    },
    "tr": {
        "title": "Abone ol",
        "intro": "Ağın duyurularını e-postayla alın ve hangilerini alacağınızı seçin.",
        "email": "E-posta adresi",
        "first_name": "Ad",
        "last_name": "Soyad",
        "organization": "Kuruluş",
        "optional": "isteğe bağlı",
        "topics": "Beni şunlara abone edin:",
        "language": "E-postaların dili ve alfabesi",
        "consent": (
            "{org} kuruluşunun seçtiğim e-postaları seçtiğim dilde bana göndermesini ve bu amaçla "
            "adresimi ve adımı saklamasını kabul ediyorum. Her e-postadaki bağlantıyla istediğim "
            "zaman abonelikten çıkabilirim."
        ),
        "button": "Abone ol",
        "check_title": "Gelen kutunuzu kontrol edin",
        "check_text": (
            "Adres e-postalarımızı alabiliyorsa, onay bağlantısı içeren bir ileti yolda. İletiyi "
            "açın ve onaylamak için düğmeye basın; o zamana kadar size hiçbir şey göndermiyoruz. "
            "Bağlantı 7 gün geçerlidir."
        ),
        "too_many": "Ağınızdan çok fazla abonelik isteği geldi. Lütfen bir saat sonra deneyin.",
        "failed": "Onay e-postasını şu anda gönderemiyoruz. Lütfen daha sonra yeniden deneyin.",
        "invalid": "Lütfen işaretli alanları düzeltin.",
        "err_email": "Geçerli bir e-posta adresi girin.",
        "err_topics": "En az bir liste seçin.",
        "err_name": "Bu alanı kontrol edin.",
        "err_language": "Sunulan dillerden birini seçin.",
        "expired": "Formun süresi doldu; lütfen yeniden gönderin.",
        "confirm_title": "Aboneliğinizi onaylayın",
        "confirm_text": "Şunlara abone olmak için düğmeye basın:",
        "confirm_button": "Aboneliğimi onaylıyorum",
        "done_title": "Abone oldunuz",
        "done_text": "Teşekkürler. Şunlara abone oldunuz:",
        "change": "Her e-postada seçimlerinizi değiştirmek veya abonelikten çıkmak için bir "
        "bağlantı vardır.",
        "already": "Bu abonelik zaten onaylanmış.",
        "archive_title": "Arşiv",
        "archive_intro": "Ağın gönderdiği duyurular.",
        "archive_empty": "Burada henüz bir şey yok.",
        "sent_on": "Gönderildi",
        "read_in": "Dil",
        "back": "Tüm duyurular",
        "subscribe_link": "E-postalarımıza abone olun",
        "trap": "Bu alanı boş bırakın",
        "home_intro": "Ağın duyuruları, çağrıları ve etkinlikleri, e-postayla, kendi dilinizde.",
        "home_archive": "Önceki duyuruları okuyun",
        "shown_in": "{wanted} dilinde yazılmadı: {shown} dilinde gösteriliyor.",
    },
}
SUBSCRIBE["sr-Latn"] = {k: to_latin(v) for k, v in SUBSCRIBE["sr-Cyrl"].items()}

#: Primary language subtags a browser may send, to the variant we write (RFC 4647 lookup).
_PRIMARY = {"en": "en", "sr": "sr-Cyrl", "bg": "bg", "ro": "ro", "mo": "ro", "mk": "mk", "tr": "tr"}


def subscribe_strings(language: str) -> dict[str, str]:
    return {**SUBSCRIBE["en"], **SUBSCRIBE.get(language, {})}


def negotiate(explicit: str | None, accept_language: str) -> str:
    """The page language: ``?lang=`` when it is one of ours, else the browser's first
    acceptable one (RFC 9110 §12.5.4 ``Accept-Language`` with q-values), else English.
    ``sr-Latn``/``sr-Latn-RS`` choose Latin; any other Serbian tag Cyrillic."""
    if explicit in LANGUAGES:
        return str(explicit)
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        if q > 0 and tag:
            ranked.append((-q, index, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        subtags = tag.split("-")
        if subtags[0] == "sr" and "latn" in subtags:
            return "sr-Latn"
        if subtags[0] in _PRIMARY:
            return _PRIMARY[subtags[0]]
    return "en"
