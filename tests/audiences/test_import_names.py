"""Real names in every language the network writes in, through the member import, as typed and
in the forms legacy exports produce: decomposed accents (macOS), cedilla for comma
below and back (Windows-1250 keyboards, Romanian-locale systems), tilde and circumflex for the
Hungarian double acute (Latin-1). Each language keeps its own letters: a rule belongs to one
language and applies only where that language does (core/texts.py)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from newsletter.audiences.files.member_files import read_member_file
from newsletter.audiences.imports import import_members
from newsletter.config import Settings
from newsletter.core.texts import fix_letters, letters_language, normalize_text
from newsletter.db.engine import make_engine
from newsletter.db.tables import members
from tests.services import Services


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


#: (what the file holds, country, language, what must be stored). First and last name.
NAMES: list[tuple[str, str, str, str, str]] = [
    # Serbian, both scripts: as typed and decomposed.
    ("Ђорђе Јовановић", "RS", "sr-Cyrl", "Ђорђе Јовановић", "sr-cyrl"),
    ("Ljiljana Šljivić", "RS", "sr-Latn", "Ljiljana Šljivić", "sr-latn-typed"),
    (nfd("Ljiljana Šljivić"), "RS", "sr-Latn", "Ljiljana Šljivić", "sr-latn-nfd"),
    ("Đorđe Ćirić", "RS", "sr-Latn", "Đorđe Ćirić", "sr-latn"),
    # Bulgarian: й and ѝ decomposed by macOS; ъ and щ as typed.
    (nfd("Йорданка Фандъкова"), "BG", "bg", "Йорданка Фандъкова", "bg-nfd"),
    ("Щерьо Ѝлиев", "BG", "bg", "Щерьо Ѝлиев", "bg"),
    # Bulgarian Turks write Turkish names: in Bulgaria no Romanian rule touches them.
    ("Şükrü Ahmedov", "BG", "bg", "Şükrü Ahmedov", "bg-turkish-name"),
    # Macedonian: ѓ and ќ decomposed, ѕ and џ as typed.
    (nfd("Ѓорѓи Ќосев"), "MK", "mk", "Ѓорѓи Ќосев", "mk-nfd"),
    ("Ѕвонко Џафероски", "MK", "mk", "Ѕвонко Џафероски", "mk"),
    # Romanian: comma below as typed, and the legacy cedilla (also decomposed) fixed.
    ("Ștefan Țuțea", "RO", "ro", "Ștefan Țuțea", "ro"),
    ("Ştefan Ţuţea", "RO", "ro", "Ștefan Țuțea", "ro-cedilla"),
    (nfd("Ştefan Ţuţea"), "RO", "en", "Ștefan Țuțea", "ro-cedilla-nfd-en"),
    ("Ion Şerban", "MD", "en", "Ion Șerban", "moldova-cedilla"),
    # Turkish: the cedilla is the letter; a comma-below one (Romanian locale) is fixed back.
    ("Şahin Kılıç", "TR", "tr", "Şahin Kılıç", "tr"),
    ("Ayşe Gülşen", "TR", "en", "Ayşe Gülşen", "tr-en"),
    ("Șahin Öztürk", "TR", "tr", "Şahin Öztürk", "tr-comma-below"),
    (nfd("İsmail Çağlar"), "TR", "tr", "İsmail Çağlar", "tr-nfd"),
    # Greek: tonos decomposed; the oxia form NFC maps to tonos.
    (nfd("Γιώργος Παπαδόπουλος"), "GR", "en", "Γιώργος Παπαδόπουλος", "el-nfd"),
    ("Ευαγγελία Χατζηδάκη", "GR", "en", "Ευαγγελία Χατζηδάκη", "el"),
    # Albanian: ç and ë, as typed and decomposed.
    ("Ëndrit Çela", "AL", "en", "Ëndrit Çela", "sq"),
    (nfd("Ëndrit Çela"), "AL", "en", "Ëndrit Çela", "sq-nfd"),
    # Croatian, Bosnian, Slovenian.
    ("Željko Ćosić", "HR", "en", "Željko Ćosić", "hr"),
    (nfd("Đurđica Žagar"), "HR", "en", "Đurđica Žagar", "hr-nfd"),
    ("Emina Hadžić", "BA", "en", "Emina Hadžić", "bs"),
    ("Špela Čebašek", "SI", "en", "Špela Čebašek", "sl"),
    # Hungarian: double acute as typed and decomposed, and the Latin-1 substitutes fixed.
    ("Győző Szűcs", "HU", "en", "Győző Szűcs", "hu"),
    (nfd("Győző Szűcs"), "HU", "en", "Győző Szűcs", "hu-nfd"),
    ("Gyõzõ Szûcs", "HU", "en", "Győző Szűcs", "hu-latin1"),
    # English; and õ stays a Portuguese or Estonian letter outside Hungary.
    ("Jane Smith", "GB", "en", "Jane Smith", "en"),
    ("João Simões", "GB", "en", "João Simões", "pt-name-en"),
    # A Turkish name where no language or country says which: left exactly as written.
    ("Şahin Kılıç", "", "en", "Şahin Kılıç", "tr-name-unknown-country"),
]


@pytest.fixture
def engine(settings: Settings, ctx: Services) -> Iterator[Engine]:
    built = make_engine(settings.database_url)
    yield built
    built.dispose()


def test_every_languages_letters_survive_the_import(
    ctx: Services, engine: Engine, tmp_path: Path
) -> None:
    lines = ["email,first_name,last_name,country,language"]
    for given, country, language, _, key in NAMES:
        first, last = given.split(" ", 1)
        lines.append(f"{key}@names.example,{first},{last},{country},{language}")
    path = tmp_path / "names.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_members(ctx, read_member_file(path).rows, source=str(path))
    assert not report.rejected, report.rows
    with engine.connect() as conn:
        rows = conn.execute(select(members.c.email, members.c.first_name, members.c.last_name))
        found = {r.email.split("@")[0]: f"{r.first_name} {r.last_name}" for r in rows}
    wrong = {key: (found.get(key), want) for *_, want, key in NAMES if found.get(key) != want}
    assert not wrong, wrong
    for name in found.values():
        assert unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize(
    ("language", "country", "rule"),
    [
        ("ro", "", "ro"),
        ("en", "RO", "ro"),
        ("en", "MD", "ro"),
        ("tr", "RO", "tr"),  # the member's own language wins over where they live
        ("en", "TR", "tr"),
        ("en", "HU", "hu"),
        ("bg", "BG", ""),
        ("sr-Latn", "RS", ""),
        ("en", "GR", ""),
        ("en", "", ""),
    ],
)
def test_whose_rule_applies(language: str, country: str, rule: str) -> None:
    assert letters_language(language, country) == rule


def test_no_rule_touches_another_languages_letters() -> None:
    every = "şŞţŢșȘțȚõÕûÛőŐűŰ"
    assert fix_letters(every, "") == every
    assert fix_letters(every, "ro") == "șȘțȚșȘțȚõÕûÛőŐűŰ"
    assert fix_letters(every, "tr") == "şŞţŢşŞțȚõÕûÛőŐűŰ"
    assert fix_letters(every, "hu") == "şŞţŢșȘțȚőŐűŰőŐűŰ"
    assert normalize_text("Şahin  Kılıç") == "Şahin Kılıç"  # no language: letters as written
