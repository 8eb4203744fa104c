"""Generate the fictitious sample audiences ``audiences/members.csv`` and ``audiences/friends.csv``.

Every person, organisation and address in the output is invented. All email domains sit under
the reserved ``.example`` top-level domain (RFC 2606), so nothing can ever be delivered to them.

The generator is deterministic: it uses only the standard library and one
``random.Random(2015)``, so running it twice produces byte-identical files (UTF-8 without BOM,
``\\n`` line endings). Run it from the repository root::

    .venv/bin/python scripts/make_sample_audiences.py

or write somewhere else with ``--out-dir DIR``.

Columns: email, first_name, last_name, organization, role, country (ISO 3166-1 alpha-2),
language (BCP 47: sr-Cyrl, sr-Latn, bg, ro, mk, tr, en), tier (member/friend), topics
(``;``-separated subset of events, calls, news), timezone (IANA), consent_source, consent_date.
"""

import argparse
import csv
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

SEED = 2015
HEADER = (
    "email",
    "first_name",
    "last_name",
    "organization",
    "role",
    "country",
    "language",
    "tier",
    "topics",
    "timezone",
    "consent_source",
    "consent_date",
)
TOPICS = ("events", "calls", "news")

# --------------------------------------------------------------------------------------------
# How many people per country. Members lean on the Balkan core; friends spread over the
# 33 countries that attended Days of Clusters.
# --------------------------------------------------------------------------------------------

MEMBER_COUNTS: dict[str, int] = {
    "RS": 79, "BG": 47, "RO": 37, "MK": 26, "TR": 26, "GR": 8, "BA": 7, "HR": 6, "ME": 5,
    "AL": 4, "SI": 4, "HU": 4, "CZ": 3, "AT": 2, "IT": 2, "ES": 2, "DE": 1,
}  # fmt: skip
FRIEND_COUNTS: dict[str, int] = {
    "RO": 22, "RS": 12, "BG": 10, "TR": 8, "MK": 6, "GR": 5, "HR": 4, "BA": 4, "HU": 4,
    "CZ": 4, "IT": 4, "ES": 4, "RU": 4, "ME": 3, "AL": 3, "SI": 3, "AT": 3, "DE": 3, "FR": 3,
    "PL": 3, "GB": 3, "US": 3, "KR": 3, "BE": 2, "NL": 2, "DK": 2, "NO": 2, "CH": 2, "CY": 2,
    "AU": 2, "NZ": 2, "TN": 2, "MW": 1,
}  # fmt: skip
CLUSTER_HOUSE_STAFF = 3  # included in MEMBER_COUNTS["RS"]
MAX_PER_ORG = 6
ENGLISH_SHARE = {"RS": 0.05, "RO": 0.06}  # the few locals who prefer English

# --------------------------------------------------------------------------------------------
# Names. Entries are whitespace-separated; "_" stands for a space inside a name and "M/F" gives
# the masculine and feminine form of a surname. Real public figures' names are left out on
# purpose.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Culture:
    """A pool of given names and surnames written in one script."""

    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[tuple[str, str], ...]  # (masculine, feminine)


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.replace("_", " ") for w in text.split())


def _fem_slavic(surname: str) -> str:
    """Feminine surname for Bulgarian, Macedonian and Russian (Latin or Cyrillic)."""
    for masc, fem in (("ски", "ска"), ("цки", "цка"), ("ov", "ova"), ("ev", "eva"), ("in", "ina")):
        if surname.endswith(masc):
            return surname[: -len(masc)] + fem
    if surname.endswith(("ов", "ев", "ин")):
        return surname + "а"
    return surname


def _surnames(
    text: str, feminine: Callable[[str], str] | None = None
) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for entry in _words(text):
        if "/" in entry:
            masc, fem = entry.split("/")
            pairs.append((masc, fem))
        else:
            pairs.append((entry, feminine(entry) if feminine else entry))
    return tuple(pairs)


def _culture(
    male: str, female: str, surnames: str, feminine: Callable[[str], str] | None = None
) -> Culture:
    return Culture(_words(male), _words(female), _surnames(surnames, feminine))


CULTURES: dict[str, Culture] = {
    # Serbian, kept in Cyrillic and transliterated to Latin when the person prefers sr-Latn.
    "sr": _culture(
        "Марко Никола Стефан Милош Душан Александар Немања Лазар Вук Бојан Дејан Горан Зоран "
        "Иван Владимир Милан Ненад Предраг Срђан Жељко Дарко Урош Филип Небојша Младен "
        "Бранислав Драган Ђорђе Мирослав Слободан Новица Велимир",
        "Јелена Ана Марија Милица Јована Тамара Ивана Снежана Драгана Весна Биљана Маја Сања "
        "Катарина Тијана Наташа Гордана Светлана Бојана Љиљана Невена Марина Јасмина Зорица "
        "Мирјана Теодора Исидора Александра Данијела Ђурђина Ксенија",
        "Петровић Јовановић Николић Марковић Ђорђевић Стојановић Илић Станковић Павловић "
        "Стевановић Костић Митровић Ристић Живковић Радовановић Томић Ђокић Цветковић Пешић "
        "Антић Јанковић Лазић Благојевић Тошић Ћирић Денић Здравковић Миљковић Ранђеловић "
        "Станојевић Спасић Крстић Манић Јоцић Ђурић Савић Поповић Матић Миленковић Нешић "
        "Пејчић Стаменковић Јовић Вељковић Глигоријевић Милетић Трајковић Ђурђевић Николајевић",
    ),
    "bg": _culture(
        "Георги Иван Димитър Николай Петър Христо Стоян Тодор Васил Калоян Мартин Пламен "
        "Стефан Александър Красимир Венцислав Емил Любомир Борислав Йордан Цветан Огнян Ангел "
        "Румен Асен Радослав",
        "Мария Иванка Елена Десислава Гергана Цветелина Радостина Силвия Петя Надежда Яна "
        "Теодора Виктория Мила Росица Здравка Антоанета Галина Илиана Веселина Калина Боряна "
        "Николета Милена Ралица",
        "Иванов Георгиев Димитров Петров Николов Христов Стоянов Тодоров Илиев Василев "
        "Атанасов Ангелов Маринов Колев Йорданов Стефанов Костадинов Павлов Попов Михайлов "
        "Цветков Добрев Кирилов Панайотов Лазаров Велчев Методиев Стойчев Гешев Щерев Тончев",
        _fem_slavic,
    ),
    "mk": _culture(
        "Александар Горан Зоран Бојан Дејан Никола Марко Игор Трајче Ѓорѓи Стојан Кире Благоја "
        "Влатко Љупчо Томе Филип Јован Дарко Драган Методија Ѕвонко Васко Кочо",
        "Марија Ана Елена Билјана Снежана Весна Ивана Јасмина Катерина Маја Ирена Светлана "
        "Љубица Гордана Даниела Симона Ангела Јована Благица Соња Калина Наталија Вања Ѓурѓа",
        "Стојановски Николовски Трајковски Петровски Јовановски Димитриевски Ангеловски "
        "Ѓорѓиевски Костовски Митевски Илиевски Спасовски Најдовски Велјановски Стефановски "
        "Тошевски Бошковски Андоновски Пејчиновски Џамбазовски Ќосевски Ѕвездановски Наумов "
        "Јанев Стојчев Марковиќ Николиќ Коњановски",
        _fem_slavic,
    ),
    "ro": _culture(
        "Andrei Mihai Alexandru Ionuț Cristian Bogdan Radu Florin Sorin Adrian Gheorghe Ștefan "
        "Vlad Călin Tudor Dragoș Răzvan Ovidiu Costin Marius Cosmin Lucian Horia Silviu",
        "Ioana Maria Elena Andreea Alexandra Mihaela Cristina Raluca Alina Oana Simona Roxana "
        "Diana Irina Gabriela Laura Corina Ana-Maria Daniela Loredana Anca Bianca Ramona "
        "Smaranda Luminița",
        "Popescu Ionescu Popa Dumitrescu Stoica Stan Munteanu Constantinescu Gheorghiu "
        "Rădulescu Marinescu Nistor Lupu Dinu Moldovan Mureșan Câmpeanu Țurcanu Sârbu Neagu "
        "Bălan Oprea Căpraru Ștefănescu Pavel Toma Dobre Șerban Voicu Cozma Ardeleanu Bârsan "
        "Pătrașcu Iordache Tănase Florea",
    ),
    "tr": _culture(
        "Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim İsmail Osman Yusuf Murat Emre Burak "
        "Serkan Oğuz Kerem Çağlar Barış Uğur Tolga Gökhan Onur Ömer Selim Cem Doğan Erdem Levent",
        "Ayşe Fatma Zeynep Elif Emine Merve Esra Büşra Özlem Gülşen Şule Derya Pınar Aslı Ebru "
        "Sibel Gizem İrem Seda Dilek Nur Çiğdem Hülya Tuğba Sevgi",
        "Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan "
        "Kılıç Aslan Çetin Kara Koç Kurt Özkan Şimşek Polat Korkmaz Güneş Aktaş Karataş Bulut "
        "Uçar Tekin Ateş Güler Işık İnce Akgül Ekinci",
    ),
    "el": _culture(
        "Georgios Dimitrios Konstantinos Ioannis Nikolaos Panagiotis Christos Vasileios "
        "Athanasios Evangelos Stavros Michalis Andreas",
        "Maria Eleni Aikaterini Vasiliki Sofia Despina Anastasia Georgia Ioanna Dimitra Eirini "
        "Christina Theodora",
        "Papadopoulos/Papadopoulou Georgiou Nikolaidis/Nikolaidou Konstantinidis/Konstantinidou "
        "Papageorgiou Vlachos/Vlachou Karagiannis/Karagianni Oikonomou Dimitriou Makris/Makri "
        "Alexiou Antoniou Christodoulou Ioannou Kyriakou Charalambous",
    ),
    "hr": _culture(
        "Ivan Josip Marko Tomislav Luka Ante Krešimir Dario Hrvoje Mario Zvonimir Davor",
        "Ana Ivana Petra Marija Martina Maja Katarina Nikolina Lucija Mirjana Željka Vesna",
        "Horvat Kovačević Babić Marić Jurić Novak Kovačić Knežević Vuković Matić Grgić Šarić "
        "Perić Radić Blažević Lončar Lovrić Barišić",
    ),
    "bs": _culture(
        "Amir Emir Adnan Haris Nermin Mirza Kenan Jasmin Dženan Saša Nenad Mladen",
        "Amra Lejla Selma Emina Azra Aida Amela Sanela Jelena Ivana Dijana Melisa",
        "Hadžić Hodžić Delić Mehmedović Begić Omerović Halilović Husić Šehić Mujić Karić Zukić "
        "Jukić Savić Lukić Kovačević",
    ),
    "cnr": _culture(
        "Marko Nikola Vuk Luka Petar Miloš Balša Vladimir Stefan Igor",
        "Jelena Milena Ana Jovana Tijana Sanja Dragana Maja Ivana Danijela",
        "Vujović Radulović Vujačić Popović Šćekić Radović Perović Lalević Kaluđerović Vukčević "
        "Đurović Božović Raičević",
    ),
    "sq": _culture(
        "Arben Ardit Besnik Dritan Elton Gentian Ilir Klodian Fatos Ermal Erion Altin",
        "Ardita Blerina Elona Jonida Klea Mirela Ornela Anila Erjona Brunilda Entela Rovena",
        "Dervishi Leka Gjoni Krasniqi Çela Dushku Hysa Kola Mema Prifti Koçi Marku Lika Gjika "
        "Tafa Lleshi Dibra Muçaj Hasanaj Kastrati Gjergji",
    ),
    "sl": _culture(
        "Luka Matej Jure Rok Primož Boštjan Aleš Gregor Tomaž Janez Uroš Miha",
        "Maja Petra Nina Mojca Špela Urška Tjaša Barbara Katja Nataša Metka Andreja",
        "Novak Horvat Kranjc Zupančič Potočnik Kovačič Mlakar Vidmar Golob Kos Turk Božič "
        "Kralj Zupan Hribar Rozman Žagar",
    ),
    "hu": _culture(
        "László István Zoltán Gábor Péter Attila Tamás Balázs Csaba Gergely Ádám Levente",
        "Zsófia Katalin Eszter Anna Réka Judit Krisztina Ildikó Erzsébet Orsolya Nóra Tímea",
        "Nagy Kovács Tóth Szabó Horváth Varga Kiss Molnár Németh Farkas Balogh Papp Takács "
        "Juhász Mészáros Szűcs Fekete Pintér",
    ),
    "cs": _culture(
        "Jan Petr Tomáš Martin Jakub Lukáš Ondřej Jiří Pavel Michal Vojtěch Radek",
        "Jana Petra Lucie Kateřina Tereza Markéta Eva Barbora Veronika Hana Zuzana Lenka",
        "Novák/Nováková Svoboda/Svobodová Dvořák/Dvořáková Černý/Černá Procházka/Procházková "
        "Kučera/Kučerová Veselý/Veselá Horák/Horáková Němec/Němcová Pokorný/Pokorná "
        "Růžička/Růžičková Beneš/Benešová Fiala/Fialová Sedláček/Sedláčková",
    ),
    "pl": _culture(
        "Piotr Krzysztof Tomasz Paweł Marcin Michał Łukasz Grzegorz Wojciech Jakub",
        "Anna Katarzyna Małgorzata Agnieszka Magdalena Joanna Monika Ewa Aleksandra Justyna",
        "Nowak Kowalski/Kowalska Wiśniewski/Wiśniewska Wójcik Kamiński/Kamińska "
        "Lewandowski/Lewandowska Zieliński/Zielińska Szymański/Szymańska Woźniak "
        "Dąbrowski/Dąbrowska Kozłowski/Kozłowska Mazur",
    ),
    "de": _culture(
        "Thomas Michael Andreas Stefan Markus Christian Florian Lukas Matthias Jürgen Wolfgang "
        "Tobias Reto Urs",
        "Sabine Claudia Julia Katharina Andrea Birgit Anna Lena Sandra Petra Barbara Martina "
        "Ursula Annika",
        "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Hofmann Huber Gruber Bauer "
        "Pichler Steiner Moser Egger Brunner Keller Baumann Schäfer",
    ),
    "it": _culture(
        "Marco Luca Giuseppe Andrea Francesco Alessandro Matteo Stefano Paolo Davide Giovanni "
        "Roberto",
        "Giulia Francesca Chiara Sara Valentina Federica Elena Silvia Laura Alessandra Paola "
        "Martina",
        "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo "
        "Conti De_Luca Mancini Costa Giordano Rizzo Lombardi Moretti",
    ),
    "es": _culture(
        "José Javier Carlos David Jordi Pablo Manuel Sergio Álvaro Xavier Miguel Andrés",
        "María Laura Marta Cristina Núria Elena Lucía Carmen Montserrat Sílvia Ana Raquel",
        "García Martínez López Sánchez Fernández Rodríguez Pérez Gómez Puig Vidal Ferrer Soler "
        "Serra Navarro Ruiz Muñoz Ortega Castillo Font Roca",
    ),
    "fr": _culture(
        "Jean Pierre Nicolas Julien François Sébastien Mathieu Philippe Antoine Laurent "
        "Olivier Thierry",
        "Marie Sophie Camille Isabelle Nathalie Céline Claire Aurélie Julie Émilie Hélène Valérie",
        "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
        "Lefèvre Michel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau",
    ),
    "nl": _culture(
        "Jan Pieter Bram Joost Sander Maarten Thijs Ruben Wouter Koen Bart Jeroen",
        "Anouk Sanne Lotte Eva Femke Marieke Inge Sophie Lieke Esther Annelies Els",
        "de_Jong Jansen de_Vries van_den_Berg van_Dijk Bakker Visser Smit Meijer de_Boer Mulder "
        "Peeters Maes Janssens Willems Claes Hendrickx",
    ),
    "da": _culture(
        "Lars Søren Mads Rasmus Anders Henrik Jesper Mikkel Niels Thomas",
        "Mette Anne Camilla Louise Sofie Maja Line Signe Pernille Ida",
        "Jensen Nielsen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen "
        "Jørgensen Mølgaard Kjær",
    ),
    "no": _culture(
        "Ole Lars Knut Erik Håkon Bjørn Magnus Sindre Eirik Torbjørn",
        "Ingrid Kari Silje Hanne Marte Ragnhild Solveig Ida Tone Åse",
        "Hansen Johansen Olsen Larsen Andersen Berg Haugen Hagen Bakke Dahl Lie Strand Nygård "
        "Aas Moen",
    ),
    "en": _culture(
        "James John David Michael Robert Daniel Matthew Andrew Christopher Richard Thomas Paul "
        "Mark Ben Sam",
        "Sarah Emma Rebecca Laura Emily Jennifer Jessica Rachel Claire Hannah Kate Lucy Amanda "
        "Megan",
        "Smith Jones Williams Brown Taylor Wilson Davies Evans Thompson Walker Wright Robinson "
        "Clarke Hughes Mitchell Campbell Stewart Anderson Murphy O'Brien Kelly Harris Cooper "
        "Walsh",
    ),
    "en-nz": _culture(
        "James Daniel Matthew Sam Wiremu Tane Rāwiri Liam",
        "Sarah Emma Hannah Aroha Mere Kate Ngaio Olivia",
        "Smith Wilson Walker Ngata Parata Campbell Stewart Tipene Brown",
    ),
    "ko": _culture(
        "Min-jun Seo-jun Ji-hoon Hyun-woo Dong-hyun Jae-won Sung-min Young-ho Joon-ho Tae-yang",
        "Ji-yeon Seo-yeon Min-ji Eun-ji Hye-jin Soo-jin Ji-eun Yu-na Na-rae Hyun-jung",
        "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Shin",
    ),
    "ru": _culture(
        "Dmitry Sergey Alexey Andrey Mikhail Ivan Nikolay Pavel Artem Maxim",
        "Elena Olga Natalia Tatiana Anna Irina Ekaterina Svetlana Maria Yulia",
        "Ivanov Smirnov Kuznetsov Popov Sokolov Lebedev Kozlov Novikov Morozov Volkov Orlov",
        _fem_slavic,
    ),
    "ar-tn": _culture(
        "Mohamed Ahmed Sami Karim Hichem Walid Anis Slim Nabil Mehdi Youssef Amine",
        "Amira Leila Sana Ines Rim Nadia Salma Mariem Asma Yosra Olfa Hajer",
        "Ben_Salah Gharbi Jaziri Hammami Mejri Chaabane Ayari Khelifi Dridi Ben_Amor Mansouri "
        "Jlassi Belhadj Sassi Zouari",
    ),
    "ny": _culture(
        "Chimwemwe Kondwani Tiyamike Mphatso Limbani Thokozani Yamikani Chikondi Madalitso",
        "Chisomo Thandiwe Tadala Tamanda Chifundo Takondwa Tiwonge Wezi Mercy",
        "Phiri Mwale Chirwa Mbewe Nyirenda Kamanga Gondwe Msiska Mkandawire Kumwenda Ngwira",
    ),
}

# Names that must never appear (real people named in the sample campaigns' sources).
FORBIDDEN_NAME_PARTS = ("danka", "milojkovi", "милојкови")

# --------------------------------------------------------------------------------------------
# Countries: default language, name culture(s), time zone, cities, and invented company stems.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    language: str
    cultures: tuple[str, ...]
    timezone: str
    cities: tuple[str, ...]
    companies: tuple[str, ...]  # "Stem|legal suffix"
    city_timezones: dict[str, str] = field(default_factory=dict)


def _country(
    language: str,
    cultures: str,
    timezone: str,
    cities: str,
    companies: str,
    city_timezones: dict[str, str] | None = None,
) -> Country:
    return Country(
        language=language,
        cultures=tuple(cultures.split()),
        timezone=timezone,
        cities=tuple(c.strip() for c in cities.split(",")),
        companies=tuple(c.strip() for c in companies.split(",")),
        city_timezones=city_timezones or {},
    )


COUNTRIES: dict[str, Country] = {
    "RS": _country(
        "sr", "sr", "Europe/Belgrade",
        "Niš, Beograd, Novi Sad, Kragujevac, Subotica, Leskovac, Vranje, Pirot, Zaječar, Čačak, "
        "Kraljevo, Knjaževac, Prokuplje, Smederevo",
        "Nišava Soft|d.o.o., Moravatek|d.o.o., Južni Vetar Dizajn|d.o.o., Sićevo Foods|d.o.o., "
        "Suva Planina Tours|d.o.o., Timok Wood|d.o.o., Vlasina Energy|d.o.o., "
        "Medijana Dental|d.o.o., Kopaonik Agro|d.o.o., Stara Planina Organic|d.o.o., "
        "Zelena Dolina Bio|d.o.o., Brzi Kod|d.o.o., Bakar i Kamen|d.o.o., "
        "Ćilim Dizajn Studio|d.o.o., Topola Mehatronika|d.o.o., Resava Plast|d.o.o., "
        "Golija Med|d.o.o., Ozren Metal|d.o.o., Jastrebac Vino|d.o.o., Rtanj Herbs|d.o.o.",
    ),
    "BG": _country(
        "bg", "bg", "Europe/Sofia",
        "Sofia, Plovdiv, Varna, Burgas, Ruse, Vidin, Montana, Pernik, Kyustendil, Stara Zagora, "
        "Gabrovo, Vratsa, Blagoevgrad, Veliko Tarnovo",
        "Vitosha Labs|EOOD, Rila Dental|OOD, Balkan Smile Clinic|EOOD, Iskar Soft|AD, "
        "Tundzha Agro|OOD, Strandzha Honey|EOOD, Pirin Wood|OOD, Dunav Logistics|AD, "
        "Trakia Mechatronics|OOD, Rodopi Herbs|EOOD, Sredets Code|EOOD, Ogosta Energy|OOD, "
        "Yantra Textile|OOD, Belasitsa Wine|EOOD, Osogovo Travel|EOOD, Lom Plastics|AD",
    ),
    "RO": _country(
        "ro", "ro", "Europe/Bucharest",
        "Brașov, București, Cluj-Napoca, Timișoara, Iași, Sibiu, Craiova, Constanța, Oradea, "
        "Târgu Mureș, Galați, Ploiești",
        "Carpatica Soft|SRL, Tâmpa Digital|SRL, Bârsa Agro|SRL, Postăvarul Design|SRL, "
        "Olt Mecatronic|SRL, Someș Creative|SRL, Transilvania Wood Works|SRL, "
        "Ciucaș Foods|SRL, Bucegi Robotics|SRL, Dunărea Smart Energy|SA, "
        "Piatra Craiului Tours|SRL, Mureș Textile|SRL, Făgăraș Aero Parts|SA, Retezat Bio|SRL",
    ),
    "MK": _country(
        "mk", "mk", "Europe/Skopje",
        "Skopje, Bitola, Ohrid, Štip, Tetovo, Kumanovo, Prilep, Veles, Strumica, Kočani",
        "Vardar Soft|DOOEL, Pelister Tech|DOO, Ohridski Biser Tours|DOOEL, Šar Agro|DOO, "
        "Babuna Wood|DOOEL, Kozjak Energy|DOO, Treska Digital|DOOEL, Galičica Foods|DOO, "
        "Bregalnica Textile|DOOEL, Tikveš Vinarija|DOO",
    ),
    "TR": _country(
        "tr", "tr", "Europe/Istanbul",
        "İstanbul, Ankara, İzmir, Bursa, Tekirdağ, Edirne, Kocaeli, Konya, Gaziantep, Eskişehir, "
        "Kayseri, Denizli",
        "Marmara Yazılım|A.Ş., Trakya Tekstil|Ltd. Şti., Ergene Makine|A.Ş., "
        "Ganos Gıda|Ltd. Şti., Uludağ Otomotiv|A.Ş., Ege Enerji|Ltd. Şti., "
        "Boğaz Dijital|A.Ş., Kapadokya Turizm|Ltd. Şti., Meriç Tarım|A.Ş., "
        "Çorlu Plastik|Ltd. Şti., Sakarya Mobilya|A.Ş.",
    ),
    "GR": _country(
        "en", "el", "Europe/Athens",
        "Thessaloniki, Athens, Patras, Larissa, Ioannina, Kavala, Heraklion",
        "Olympos Digital|S.A., Thermaikos Foods|S.A., Halkidiki Agro|S.A., "
        "Pindos Software|I.K.E., Aegean Smart Tourism|S.A.",
    ),
    "HR": _country(
        "en", "hr", "Europe/Zagreb",
        "Zagreb, Split, Rijeka, Osijek, Varaždin",
        "Velebit Soft|d.o.o., Drava Wood|d.o.o., Kvarner Tours|d.o.o., Slavonija Agro|d.o.o.",
    ),
    "BA": _country(
        "en", "bs", "Europe/Sarajevo",
        "Sarajevo, Banja Luka, Tuzla, Mostar, Zenica, Bihać",
        "Una Wood|d.o.o., Bjelašnica Tours|d.o.o., Neretva Soft|d.o.o., Vrbas Metal|d.o.o.",
    ),
    "ME": _country(
        "en", "cnr", "Europe/Podgorica",
        "Podgorica, Nikšić, Bar, Kotor, Bijelo Polje",
        "Lovćen Digital|d.o.o., Tara Agro|d.o.o., Bokeška Tours|d.o.o.",
    ),
    "AL": _country(
        "en", "sq", "Europe/Tirane",
        "Tirana, Durrës, Shkodër, Elbasan, Korçë, Vlorë",
        "Dajti Soft|sh.p.k., Shkumbini Agro|sh.p.k., Butrint Tours|sh.p.k.",
    ),
    "SI": _country(
        "en", "sl", "Europe/Ljubljana",
        "Ljubljana, Maribor, Celje, Kranj, Nova Gorica",
        "Triglav Labs|d.o.o., Pohorje Wood|d.o.o., Soča Digital|d.o.o.",
    ),
    "HU": _country(
        "en", "hu", "Europe/Budapest",
        "Budapest, Szeged, Pécs, Debrecen, Győr",
        "Balaton Digital|Kft., Tisza Agro|Kft., Mátra Mechatronika|Kft.",
    ),
    "CZ": _country(
        "en", "cs", "Europe/Prague",
        "Praha, Brno, Ostrava, Plzeň, Zlín",
        "Vltava Software|s.r.o., Šumava Wood|s.r.o., Morava Tech|s.r.o.",
    ),
    "AT": _country(
        "en", "de", "Europe/Vienna",
        "Wien, Graz, Linz, Salzburg",
        "Alpenwerk Innovation|GmbH, Donau Mechatronik|GmbH, Wachau Food Lab|GmbH",
    ),
    "DE": _country(
        "en", "de", "Europe/Berlin",
        "München, Stuttgart, Dresden, Leipzig, Hamburg",
        "Rheintal Sensorik|GmbH, Elbe Digital|GmbH, Schwarzwald Präzision|GmbH",
    ),
    "IT": _country(
        "en", "it", "Europe/Rome",
        "Milano, Torino, Bologna, Trieste, Bari, Padova",
        "Dolomiti Design|S.r.l., Adriatica Food Tech|S.r.l., Murgia Agritech|S.r.l.",
    ),
    "ES": _country(
        "en", "es", "Europe/Madrid",
        "Barcelona, Madrid, Valencia, Bilbao, Sevilla, Zaragoza",
        "Montseny Innova|S.L., Ebro Agrotech|S.L., Sierra Nevada Digital|S.L.",
    ),
    "FR": _country(
        "en", "fr", "Europe/Paris",
        "Lyon, Grenoble, Toulouse, Nantes, Lille, Strasbourg",
        "Loire Innovation|SAS, Vercors Numérique|SAS, Garonne Aéro Conseil|SAS",
    ),
    "BE": _country(
        "en", "nl fr", "Europe/Brussels",
        "Brussels, Antwerp, Ghent, Liège",
        "Schelde Logistics|BV, Ardennes Digital|SRL",
    ),
    "NL": _country(
        "en", "nl", "Europe/Amsterdam",
        "Eindhoven, Utrecht, Rotterdam, Delft, Groningen",
        "Polder Robotics|B.V., Waddenzee Food Tech|B.V.",
    ),
    "DK": _country(
        "en", "da", "Europe/Copenhagen",
        "Aarhus, Copenhagen, Odense, Aalborg",
        "Limfjord Wind|ApS, Fyn Food Innovation|ApS",
    ),
    "NO": _country(
        "en", "no", "Europe/Oslo",
        "Oslo, Bergen, Trondheim, Stavanger",
        "Nordkyst Marine Tech|AS, Hardanger Digital|AS",
    ),
    "PL": _country(
        "en", "pl", "Europe/Warsaw",
        "Kraków, Wrocław, Poznań, Gdańsk, Łódź",
        "Wisła Tech|sp. z o.o., Tatry Design|sp. z o.o.",
    ),
    "CH": _country(
        "en", "de", "Europe/Zurich",
        "Zürich, Basel, Bern, Lausanne",
        "Jura Precision|AG, Limmat Innovation|GmbH",
    ),
    "CY": _country(
        "en", "el", "Asia/Nicosia",
        "Nicosia, Limassol, Larnaca",
        "Troodos Digital|Ltd, Lefkara Crafts|Ltd",
    ),
    "GB": _country(
        "en", "en", "Europe/London",
        "Manchester, Birmingham, Leeds, Glasgow, Bristol, Cardiff",
        "Pennine Innovation|Ltd, Severn Cluster Advisory|Ltd",
    ),
    "US": _country(
        "en", "en", "America/New_York",
        "Boston, Pittsburgh, Chicago, Austin, Portland",
        "Blue Ridge Innovation Partners|LLC, Great Lakes Cluster Consulting|LLC",
        {"Chicago": "America/Chicago", "Austin": "America/Chicago",
         "Portland": "America/Los_Angeles"},
    ),
    "AU": _country(
        "en", "en", "Australia/Sydney",
        "Sydney, Melbourne, Adelaide, Brisbane",
        "Southern Cross Innovation|Pty Ltd, Hunter Valley Agritech|Pty Ltd",
        {"Melbourne": "Australia/Melbourne", "Adelaide": "Australia/Adelaide",
         "Brisbane": "Australia/Brisbane"},
    ),
    "NZ": _country(
        "en", "en-nz", "Pacific/Auckland",
        "Auckland, Christchurch, Wellington, Hamilton",
        "Kauri Coast Innovation|Ltd, Canterbury Agritech|Ltd",
    ),
    "KR": _country(
        "en", "ko", "Asia/Seoul",
        "Daegu, Seoul, Busan, Daejeon, Gwangju",
        "Dalgubeol Smart Textiles|Co. Ltd., Palgongsan Mobility|Co. Ltd.",
    ),
    "RU": _country(
        "en", "ru", "Europe/Moscow",
        "Moscow, Kazan, Saint Petersburg, Yekaterinburg, Novosibirsk",
        "Volga Innovations|LLC, Ural Composite Technologies|LLC",
        {"Yekaterinburg": "Asia/Yekaterinburg", "Novosibirsk": "Asia/Novosibirsk"},
    ),
    "TN": _country(
        "en", "ar-tn", "Africa/Tunis",
        "Tunis, Sfax, Sousse, Monastir",
        "Medjerda Agro|SARL, Sfax Olive Tech|SARL, Carthage Digital|SARL",
    ),
    "MW": _country(
        "en", "ny", "Africa/Blantyre",
        "Lilongwe, Blantyre, Mzuzu, Zomba",
        "Shire Valley Agro|Ltd, Nyika Agri-Innovation|Ltd",
    ),
}  # fmt: skip

# --------------------------------------------------------------------------------------------
# Organisation name patterns.
# --------------------------------------------------------------------------------------------

SECTORS = (
    "ICT", "Agro-Food", "Wood and Furniture", "Creative Industries", "Health Tourism",
    "Dental Tourism", "Renewable Energy", "Energy Efficiency", "Textile and Fashion", "Automotive",
    "Mechatronics", "Green Building", "Tourism", "Logistics", "Medical Devices", "Wine",
    "Organic Food", "Metalworking", "Plastics", "Aerospace", "Printing and Packaging",
)  # fmt: skip
SECTORS_LOCAL: dict[str, dict[str, str]] = {
    "RS": {
        "ICT": "IT", "Agro-Food": "Agrobiznis", "Wood and Furniture": "Drvo i nameštaj",
        "Creative Industries": "Kreativne industrije", "Health Tourism": "Zdravstveni turizam",
        "Renewable Energy": "Obnovljiva energija", "Textile and Fashion": "Tekstil i moda",
        "Automotive": "Auto-industrija", "Mechatronics": "Mehatronika",
        "Green Building": "Zelena gradnja", "Tourism": "Turizam", "Organic Food": "Organska hrana",
        "Metalworking": "Metaloprerada", "Printing and Packaging": "Štampa i ambalaža",
        "Wine": "Vino",
    },
    "RO": {
        "ICT": "IT&C", "Agro-Food": "Agroalimentar", "Wood and Furniture": "Lemn și Mobilă",
        "Creative Industries": "Industrii Creative", "Health Tourism": "Turism Medical",
        "Renewable Energy": "Energie Regenerabilă", "Textile and Fashion": "Textile",
        "Automotive": "Auto", "Mechatronics": "Mecatronică", "Green Building": "Construcții Verzi",
        "Tourism": "Turism", "Aerospace": "Aeronautic", "Metalworking": "Prelucrarea Metalelor",
        "Wine": "Vitivinicol",
    },
    "TR": {
        "ICT": "Bilişim", "Agro-Food": "Gıda", "Wood and Furniture": "Mobilya",
        "Creative Industries": "Yaratıcı Endüstriler", "Health Tourism": "Sağlık Turizmi",
        "Renewable Energy": "Yenilenebilir Enerji", "Textile and Fashion": "Tekstil ve Hazır Giyim",
        "Automotive": "Otomotiv", "Mechatronics": "Mekatronik", "Green Building": "Yeşil Bina",
        "Tourism": "Turizm", "Metalworking": "Makine ve Metal", "Plastics": "Plastik",
        "Aerospace": "Havacılık", "Logistics": "Lojistik",
    },
}  # fmt: skip
RESEARCH_FIELDS = (
    "Applied Mechatronics", "Smart Materials", "Food Technology", "Information Technologies",
    "Renewable Energy", "Regional Economics", "Innovation Management", "Creative Economy",
    "Wood Technology", "Textile Engineering", "Biotechnology", "Industrial Design",
)  # fmt: skip

ORG_KIND_WEIGHTS: dict[str, dict[str, float]] = {
    "member": {"cluster": 0.45, "company": 0.30, "research": 0.12, "public": 0.13},
    "friend": {"cluster": 0.30, "company": 0.25, "research": 0.25, "public": 0.20},
}

ROLES: dict[str, tuple[tuple[str, float], ...]] = {
    "cluster": (
        ("cluster manager", 5), ("project manager", 3), ("cluster coordinator", 1.5),
        ("communications officer", 1.5), ("board member", 1), ("internationalisation officer", 1),
        ("event coordinator", 0.7),
    ),
    "company": (
        ("CEO", 4), ("managing director", 2), ("business development manager", 2),
        ("export manager", 1), ("marketing manager", 1), ("R&D engineer", 1),
        ("project manager", 1),
    ),
    "research": (
        ("researcher", 4), ("senior researcher", 2), ("professor", 1.5),
        ("technology transfer officer", 1.5), ("project manager", 1.5), ("head of innovation", 1),
    ),
    "public": (
        ("policy officer", 3), ("programme officer", 2), ("senior advisor", 1.5),
        ("head of international cooperation", 1), ("project manager", 1.5),
        ("local economic development officer", 1), ("communications officer", 0.5),
    ),
}  # fmt: skip
CALLS_FANS = {"cluster manager", "project manager", "policy officer", "programme officer"}

CONSENT_WINDOWS: dict[str, tuple[date, date]] = {
    "membership-agreement": (date(2012, 1, 1), date(2015, 8, 31)),
    "days-of-clusters-2013-registration": (date(2013, 5, 15), date(2013, 10, 31)),
    "days-of-clusters-2014-registration": (date(2014, 5, 15), date(2014, 10, 31)),
    "website-signup": (date(2012, 1, 1), date(2015, 8, 31)),
    # The Balkan Cluster project (Bulgaria-Serbia IPA CBC) started in late April 2015.
    "balkan-cluster-project-event": (date(2015, 5, 4), date(2015, 8, 31)),
}
CONSENT_WEIGHTS: dict[str, dict[str, float]] = {
    "member": {
        "membership-agreement": 0.66, "days-of-clusters-2014-registration": 0.10,
        "days-of-clusters-2013-registration": 0.07, "website-signup": 0.07,
        "balkan-cluster-project-event": 0.10,
    },
    "friend": {
        "membership-agreement": 0.0, "days-of-clusters-2014-registration": 0.36,
        "days-of-clusters-2013-registration": 0.24, "website-signup": 0.28,
        "balkan-cluster-project-event": 0.12,
    },
}  # fmt: skip
CROSS_BORDER = {"RS", "BG"}  # only they take part in Balkan Cluster project events

# --------------------------------------------------------------------------------------------
# Transliteration.
# --------------------------------------------------------------------------------------------


def _table(letters: str, spellings: str) -> dict[str, str]:
    """Map each letter to the whitespace-separated spelling at the same position."""
    return dict(zip(letters, spellings.split(), strict=True))


_SR_CYR_TO_LAT = _table(
    "АБВГДЂЕЖЗИЈКЛЉМНЊОПРСТЋУФХЦЧЏШ",
    "A B V G D Đ E Ž Z I J K L Lj M N Nj O P R S T Ć U F H C Č Dž Š",
)
_SR_CYR_TO_LAT |= {k.lower(): v.lower() for k, v in _SR_CYR_TO_LAT.items()}
_BG_ASCII = _table(
    "абвгдежзийклмнопрстуфхцчшщъьюя",
    "a b v g d e zh z i y k l m n o p r s t u f h ts ch sh sht a y yu ya",
)
_MK_ASCII = _table(
    "абвгдѓежзѕијклљмнњопрстќуфхцчџш",
    "a b v g d gj e zh z dz i j k l lj m n nj o p r s t kj u f h c ch dz sh",
)
_LATIN_SPECIAL = {"đ": "dj", "ł": "l", "ø": "o", "æ": "ae", "ß": "ss", "ı": "i", "œ": "oe"}


def serbian_latin(text: str) -> str:
    """Serbian Cyrillic to Serbian Latin (Gaj's alphabet)."""
    return "".join(_SR_CYR_TO_LAT.get(ch, ch) for ch in text)


def ascii_slug(text: str, culture: str = "") -> str:
    """Lower-case ASCII letters and digits only, transliterating Cyrillic by culture."""
    table = {"bg": _BG_ASCII, "mk": _MK_ASCII}.get(culture)
    lowered = text.lower()
    if table is not None:
        lowered = "".join(table.get(ch, ch) for ch in lowered)
    else:
        lowered = serbian_latin(lowered)
    lowered = "".join(_LATIN_SPECIAL.get(ch, ch) for ch in lowered)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum())


def _label_words(text: str) -> list[str]:
    stop = {"and", "of", "for", "the", "i", "si", "ve", "za", "de", "und", "pentru"}
    words = [ascii_slug(w) for w in text.replace("-", " ").replace("&", " ").split()]
    return [w for w in words if w and w not in stop]


def domain_label(name: str, city: str) -> str:
    """A DNS label made from an organisation name.

    'Klaster Niš IT' -> 'klaster-nis-it'; names too long for a comfortable address become an
    acronym plus the city: 'Research Centre for Applied Mechatronics Aalborg' -> 'rcam-aalborg'.
    """
    label = "-".join(_label_words(name))
    if len(label) <= 36:
        return label
    rest = name.replace(city, " ") if city in name else name
    acronym = "".join(w[0] for w in _label_words(rest))
    city_part = "-".join(_label_words(city)) if city in name else ""
    return f"{acronym}-{city_part}" if city_part else acronym


# --------------------------------------------------------------------------------------------
# Generation.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Org:
    name: str
    domain: str
    kind: str
    city: str
    country: str


@dataclass
class Registry:
    """Everything that must stay unique across both files."""

    org_names: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    used_companies: set[str] = field(default_factory=set)


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _org_name(rng: random.Random, code: str, kind: str, reg: Registry) -> tuple[str, str, str, str]:
    """Return (display name, name used for the domain, city, kind)."""
    country = COUNTRIES[code]
    city = rng.choice(country.cities)
    if kind == "company":
        free = [c for c in country.companies if c not in reg.used_companies]
        if free:
            choice = rng.choice(free)
            reg.used_companies.add(choice)
            stem, suffix = choice.split("|")
            return f"{stem} {suffix}", stem, city, kind
        kind = "cluster"
    if kind == "cluster":
        sector = rng.choice(SECTORS)
        local = SECTORS_LOCAL.get(code, {}).get(sector)
        roll = rng.random()
        if code == "RS" and local and roll < 0.55:
            name = f"Klaster {city} {local}"
        elif code == "RO" and local and roll < 0.45:
            name = f"Clusterul {local} {city}"
        elif code == "TR" and local and roll < 0.6:
            name = f"{city} {local} Kümelenmesi"
        elif roll < 0.78:
            name = f"{sector} Cluster {city}"
        elif roll < 0.95:
            name = f"{city} {sector} Cluster"
        else:
            name = f"Innovation and Technology Cluster {city}"
        return name, name, city, kind
    if kind == "research":
        fld = rng.choice(RESEARCH_FIELDS)
        pattern = rng.choice(
            (
                "Institute for {f} {c}",
                "{c} Centre for {f}",
                "Research Centre for {f} {c}",
                "{c} Technology Transfer Centre",
                "{c} Innovation Hub",
            )
        )
        name = pattern.format(f=fld, c=city)
        return name, name, city, kind
    local_public = {
        "RS": ("Kancelarija za LER {c}", "Regionalni inovacioni savet {c}"),
        "RO": ("Agenția Locală pentru Dezvoltare {c}", "Camera Meșteșugarilor {c}"),
        "TR": ("{c} Kalkınma Ofisi", "{c} KOBİ Destek Merkezi"),
    }.get(code, ())
    pattern = rng.choice(
        (
            *local_public,
            "{c} Local Economic Development Office",
            "{c} SME Support Office",
            "{c} Crafts and SME Chamber",
            "{c} Investment and Export Desk",
            "{c} Startup Incubator",
        )
    )
    name = pattern.format(c=city)
    return name, name, city, kind


def make_orgs(rng: random.Random, code: str, tier: str, count: int, reg: Registry) -> list[Org]:
    orgs: list[Org] = []
    attempts = 0
    while len(orgs) < count:
        attempts += 1
        if attempts > 1000:
            raise RuntimeError(f"cannot invent {count} distinct organisations for {code}")
        kind = _weighted(rng, ORG_KIND_WEIGHTS[tier])
        name, domain_source, city, kind = _org_name(rng, code, kind, reg)
        if name in reg.org_names:
            continue
        label = domain_label(domain_source, city)
        domain = f"{label}.example"
        if domain in reg.domains:
            domain = f"{label}-{ascii_slug(code)}.example"
        if domain in reg.domains:
            continue
        reg.org_names.add(name)
        reg.domains.add(domain)
        orgs.append(Org(name, domain, kind, city, code))
    return orgs


def _person_name(rng: random.Random, code: str, language: str) -> tuple[str, str, str]:
    """Return (first name, last name, culture key) in the script matching the language."""
    culture_key = rng.choice(COUNTRIES[code].cultures)
    culture = CULTURES[culture_key]
    female = rng.random() < 0.48
    first = rng.choice(culture.female if female else culture.male)
    masc, fem = rng.choice(culture.surnames)
    last = fem if female else masc
    if culture_key == "sr" and language != "sr-Cyrl":
        first, last = serbian_latin(first), serbian_latin(last)
    return first, last, culture_key


def _languages(rng: random.Random, code: str, people: int) -> list[str]:
    """Preferred languages for everyone in one country, by quota so small groups keep the mix.

    Serbians split about 60/40 between Cyrillic and Latin script, and a few Serbians and
    Romanians prefer English; everyone else gets the country's language.
    """
    default = COUNTRIES[code].language
    english = round(people * ENGLISH_SHARE.get(code, 0.0))
    if code == "RS":
        cyrillic = round((people - english) * 0.6)
        langs = ["en"] * english + ["sr-Cyrl"] * cyrillic
        langs += ["sr-Latn"] * (people - len(langs))
    else:
        langs = ["en"] * english + [default] * (people - english)
    rng.shuffle(langs)
    return langs


def _email(
    first: str, last: str, culture: str, domain: str, rng: random.Random, reg: Registry
) -> str:
    f = ascii_slug(first, culture)
    last_ascii = ascii_slug(last, culture)
    local_parts = [f"{f}.{last_ascii}", f"{f[0]}.{last_ascii}", f"{f}{last_ascii}"]
    if rng.random() < 0.15:
        local_parts.insert(0, f"{f[0]}.{last_ascii}")
    local_parts += [f"{f}.{last_ascii}{n}" for n in range(2, 10)]
    for local in local_parts:
        email = f"{local}@{domain}"
        if email.casefold() not in reg.emails:
            reg.emails.add(email.casefold())
            return email
    raise RuntimeError(f"no free address for {first} {last} at {domain}")


def _role(rng: random.Random, org: Org, managers: set[str]) -> str:
    options = [
        (r, w) for r, w in ROLES[org.kind] if r != "cluster manager" or org.name not in managers
    ]
    role = rng.choices([r for r, _ in options], weights=[w for _, w in options])[0]
    if role == "cluster manager":
        managers.add(org.name)
    return role


def _topics(rng: random.Random, tier: str, code: str, role: str) -> str:
    if tier == "member":
        p_calls = 0.55 if code in CROSS_BORDER else 0.36
    else:
        p_calls = 0.30 if code in CROSS_BORDER else 0.22
    if role in CALLS_FANS:
        p_calls = min(0.92, p_calls + 0.22)
    if tier == "member" and role == "cluster manager" and code in CROSS_BORDER:
        p_calls = 0.92
    chosen = {
        "events": rng.random() < 0.86,
        "calls": rng.random() < p_calls,
        "news": rng.random() < 0.84,
    }
    if not any(chosen.values()):
        chosen["news"] = True
    return ";".join(t for t in TOPICS if chosen[t])


def _consent(rng: random.Random, tier: str, code: str) -> tuple[str, str]:
    weights = dict(CONSENT_WEIGHTS[tier])
    if code not in CROSS_BORDER:
        weights["balkan-cluster-project-event"] = 0.0
    source = _weighted(rng, weights)
    start, end = CONSENT_WINDOWS[source]
    day = date.fromordinal(rng.randint(start.toordinal(), end.toordinal()))
    return source, day.isoformat()


def _timezone(org: Org) -> str:
    country = COUNTRIES[org.country]
    return country.city_timezones.get(org.city, country.timezone)


def _assign_orgs(rng: random.Random, orgs: Sequence[Org], people: int) -> list[Org]:
    """Every organisation gets someone; the rest go to busier ones, at most MAX_PER_ORG each."""
    chosen = list(orgs[:people])
    seats = dict.fromkeys(orgs, 1)
    weights = [1.0 / (i + 1) ** 0.4 for i in range(len(orgs))]
    while len(chosen) < people:
        org = rng.choices(list(orgs), weights=weights)[0]
        if seats[org] < MAX_PER_ORG:
            seats[org] += 1
            chosen.append(org)
    rng.shuffle(chosen)
    return chosen


def make_row(
    rng: random.Random,
    org: Org,
    tier: str,
    language: str,
    reg: Registry,
    managers: set[str],
    *,
    role: str = "",
) -> dict[str, str]:
    code = org.country
    first, last, culture = _person_name(rng, code, language)
    while any(p in f"{first} {last}".lower() for p in FORBIDDEN_NAME_PARTS):
        first, last, culture = _person_name(rng, code, language)
    role = role or _role(rng, org, managers)
    source, consent_date = _consent(rng, tier, code)
    if org.name == "Cluster House":
        source = "membership-agreement"
    return {
        "email": _email(first, last, culture, org.domain, rng, reg),
        "first_name": first,
        "last_name": last,
        "organization": org.name,
        "role": role,
        "country": code,
        "language": language,
        "tier": tier,
        "topics": _topics(rng, tier, code, role),
        "timezone": _timezone(org),
        "consent_source": source,
        "consent_date": consent_date,
    }


def make_audience(
    rng: random.Random, tier: str, counts: dict[str, int], reg: Registry
) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    managers: set[str] = set()
    for code, people in counts.items():
        languages = _languages(rng, code, people)
        if tier == "member" and code == "RS":
            house = Org("Cluster House", "clusterhouse.example", "cluster", "Niš", "RS")
            reg.org_names.add(house.name)
            reg.domains.add(house.domain)
            for role in ("project manager", "communications officer", "event coordinator"):
                rows.append(make_row(rng, house, tier, languages.pop(), reg, managers, role=role))
            people -= CLUSTER_HOUSE_STAFF
        orgs = make_orgs(rng, code, tier, max(1, round(people / 2.3)), reg)
        for org in _assign_orgs(rng, orgs, people):
            rows.append(make_row(rng, org, tier, languages.pop(), reg, managers))
    rows.sort(key=lambda r: r["email"])
    return rows


def write_csv(path: Path, rows: Sequence[dict[str, str]]) -> None:
    for row in rows:
        for value in row.values():
            if any(ch in value for ch in ',"\r\n'):
                raise ValueError(f"value needs quoting, keep the sample simple: {value!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    default_out = Path(__file__).resolve().parent.parent / "audiences"
    parser.add_argument("--out-dir", type=Path, default=default_out)
    args = parser.parse_args(argv)
    out_dir: Path = args.out_dir

    rng = random.Random(SEED)
    reg = Registry()
    members = make_audience(rng, "member", MEMBER_COUNTS, reg)
    friends = make_audience(rng, "friend", FRIEND_COUNTS, reg)
    write_csv(out_dir / "members.csv", members)
    write_csv(out_dir / "friends.csv", friends)
    print(f"wrote {len(members)} members and {len(friends)} friends to {out_dir}")


if __name__ == "__main__":
    main()
