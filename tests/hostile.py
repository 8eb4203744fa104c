"""Hostile member files: the exact bytes of ``tests/fixtures/imports/``.

The committed files are what this module writes (a test keeps them in step), so every byte in
them is explained here. Regenerate with::

    .venv/bin/python -m tests.hostile tests/fixtures/imports

Bigger or binary cases (a 1 MB cell, an XLSX workbook) are built inside the tests instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"

# Excel in a Serbian locale: UTF-8 with BOM, ';' as list separator, CRLF, local header names.
UTF8_BOM = (
    "E-mail;Ime;Prezime;Organizacija;Država;Jezik;Tier;Teme;Izvor saglasnosti;"
    "Datum saglasnosti;Consent version\r\n"
    # 2: imported (IDN-free, mixed-case address kept as written, domain lower-cased)
    "Ana.Petrovic@Klaster-Nis.example;Ana;Petrović;Klaster Niš;rs;sr-latn;member;events,calls;"
    "membership-agreement;2015-03-02;v1\r\n"
    # 3: the same address in other capitals: rejected as a duplicate of row 2
    "ana.petrovic@KLASTER-NIS.example;Ana;Petrović;Klaster Niš;RS;sr-Latn;member;news;"
    "membership-agreement;2015-03-02;v1\r\n"
    # 4: IDN domain, stored as punycode; Cyrillic names
    "marko@пример.срб;Марко;Марковић;Кластер Ниш;RS;sr-Cyrl;friend;news;dofc-2014;2014-10-01;\r\n"
    # 5: invalid address
    "ana@@klaster.example;Ana;Dvostruka;;RS;;;;;;\r\n"
    # 6: Romanian cedillas become comma-below letters
    "stefan@cluster-iasi.example;Ştefan;Ţuţea;Cluster Iaşi;RO;ro;member;events;web-form;"
    "2015-01-10;\r\n"
    # 7: a formula in a name cell (quoted because it contains the delimiter)
    'eve@evil.example;"=HYPERLINK(""http://evil.example"";""click"")";X;;RS;;;;;;\r\n'
    # 8: CR/LF inside a quoted name
    'jelena@klaster.example;"Jelena\r\nMarija";Jovanović;Klaster Niš;RS;sr-Latn;friend;;;;\r\n'
    # 9: a surname mixing Latin and Cyrillic letters: imported with a warning
    "djordje@klaster.example;Đorđe;Рorрeviж;Klaster Niš;RS;sr-Latn;friend;;;;\r\n"
    # 10: topics without a consent source: consent is never invented
    "nikola@klaster.example;Nikola;Nikolić;;RS;;member;events;;;\r\n"
    # 11: a cell our own export guarded with a leading apostrophe
    "mila@klaster.example;Mila;Ilić;'+381 Klaster;RS;sr-Latn;friend;;;;\r\n"
    # 12: an empty row: skipped, no outcome
    ";;;;;;;;;;\r\n" + "a" * 65 + "@klaster.example;Long;Local;;RS;;;;;;\r\n"
    # 13: local part of 65 characters (RFC 5321 allows 64)
    # 14: Turkish dotted capital I before the @: needs SMTPUTF8, imported with a warning
    "ALİ@klaster.example;Ali;Yılmaz;;TR;tr;friend;;;;\r\n"
    # 15: display-name form is not an address
    '"""Ana"" <ana2@klaster.example>";Ana;Druga;;RS;;;;;;\r\n'
    # 16: zero-width space in the address, NUL and NBSP in the name
    "zero\u200bwidth@klaster.example;Ana\x00\u00a0Marija;Nula;;RS;;;;;;\r\n"
)

# Windows-1250 as Excel writes it for Serbian Latin and Croatian (comma separator here).
CP1250 = (
    "email,first_name,last_name,organization,country,language,tier,topics,consent_source\r\n"
    "zarko@klaster-nis.example,Žarko,Šćekić,Klaster Niš,RS,sr-Latn,member,events;calls,"
    "membership-agreement\r\n"
    "dorde@klaster.example,Đorđe,Đorđević,Klaster Niš,RS,sr-Latn,member,events,"
    "membership-agreement\r\n"
    "ivana@zagreb-cluster.example,Ivana,Čačić,Zagrebački klaster,HR,en,friend,news,web-form\r\n"
    "ion@cluster-iasi.example,Ion,Ţuţea,Cluster Iaşi,RO,ro,friend,events,web-form\r\n"
)

# Windows-1251: Serbian Cyrillic and Bulgarian, ';' separator, Cyrillic header names.
CP1251 = (
    "Е-пошта;Име;Презиме;Организација;Држава;Језик;Tier;Теме;Извор сагласности\r\n"
    "petar@klaster-nis.example;Петар;Петровић;Кластер Ниш;RS;sr-Cyrl;member;events,calls;"
    "membership-agreement\r\n"
    "ivan@sofia-cluster.example;Иван;Иванов;Клъстер София;BG;bg;member;calls;"
    "membership-agreement\r\n"
    "maria@plovdiv-cluster.example;Мария;Щерева;Клъстер Пловдив;BG;bg;friend;news;web-form\r\n"
    # 5: same address as row 2 in capitals
    "PETAR@klaster-nis.example;Петар;Петровић;Кластер Ниш;RS;sr-Cyrl;member;news;"
    "membership-agreement\r\n"
    # 6: Latin P in a Cyrillic name: imported with a warning
    "pera@klaster-nis.example;Pера;Перић;Кластер Ниш;RS;sr-Cyrl;friend;;\r\n"
)

# Only one-letter non-ASCII words: as cp1250 "š ž", as cp1251 "љ ћ"; nothing tells them apart.
AMBIGUOUS = "email,first_name,last_name\r\nx@klaster.example,š,ž\r\n"

BROKEN_QUOTES = (
    "email,first_name,last_name\n"
    "ana@klaster.example,Ana,Petrović\n"  # 2 imported
    'hana@klaster.example,"Hana,Kovač\n'  # 3 rejected: the quote swallows the next line
    'ivo@klaster.example,Ivo,Horvat",x\n'  # 4 rejected: four cells after the stray quote
    'eva@klaster.example,"Eva,Ilić\n'  # 5 rejected: the parser meets "Nikolić" below
    'fil@klaster.example,Fil,"Nikolić"\n'  # 6 imported
    'jan@klaster.example,"Jan\r\nMarek",Novák\n'  # 7 imported: a legit line break in a name
    'bob@klaster.example,"Bob,Marley\n'  # 8 rejected: unbalanced to the end of the file
    "cara@klaster.example,Cara,Dimitrova\n"  # 9 imported after re-reading
)

STRUCTURE = (
    "email,first_name,last_name\n"
    "ok@klaster.example,Ok,Row\n"  # 2 imported
    "short@klaster.example,Short\n"  # 3 rejected: 2 cells
    "long@klaster.example,Long,Row,extra\n"  # 4 rejected: 4 cells
    "trail@klaster.example,Trail,Row,,\n"  # 5 imported: trailing empty cells are harmless
    "cr@klaster.example,Ana\rMaria,Bare\n"  # 6 + 7 rejected: a bare CR splits the row
)

FILES: dict[str, tuple[str, str]] = {
    "utf8_bom_semicolon.csv": (UTF8_BOM, "utf-8-sig"),
    "cp1250_latin.csv": (CP1250, "cp1250"),
    "cp1251_cyrillic.csv": (CP1251, "cp1251"),
    "ambiguous.csv": (AMBIGUOUS, "cp1250"),
    "broken_quotes.csv": (BROKEN_QUOTES, "utf-8"),
    "structure.csv": (STRUCTURE, "utf-8"),
}


def file_bytes(name: str) -> bytes:
    text, encoding = FILES[name]
    return text.encode(encoding)


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (folder / name).write_bytes(file_bytes(name))


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES)
