"""Encoding detection never settles for mojibake; mixed-script and mojibake flags."""

from __future__ import annotations

import pytest

from newsletter.core.scripts import (
    CP1250,
    CP1251,
    UTF8,
    UTF8_BOM,
    detect_encoding,
    looks_like_mojibake,
    mixed_script_words,
    read_as,
)

LATIN = "email,ime,prezime\nd@x.rs,Đorđe,Đorđević\ns@x.rs,Žarko,Šćekić\nr@x.ro,Ștefan,Țuțea\n"
CROATIAN = "e,ime\na@x.hr,Čačić Zagrebački\n"
SERBIAN_CYRILLIC = "e,име,презиме\nd@x.rs,Ђорђе,Ђорђевић\np@x.rs,Петар,Петровић\n"
BULGARIAN = "e,име,фамилия\nb@x.bg,Иван,Иванов\nm@x.bg,Мария,Щерева\n"


def test_reference_mojibake_pairs_are_what_the_checks_catch() -> None:
    # Checked: each legacy page decodes the other's bytes without error.
    assert "Đorđević, Šćekić, Žarko".encode(CP1250).decode(CP1251) == "Рorрeviж, Љжekiж, Ћarko"
    assert mixed_script_words("Рorрeviж, Љжekiж, Ћarko") == ["Рorрeviж", "Љжekiж", "Ћarko"]
    petrovic = "Петровић".encode(CP1251).decode(CP1250)
    assert petrovic.startswith("Ďĺňđîâč")
    assert read_as("Петровић".encode(CP1251), CP1250).foreign == 1


@pytest.mark.parametrize(
    ("text", "encoding"),
    [(LATIN, CP1250), (CROATIAN, CP1250), (SERBIAN_CYRILLIC, CP1251), (BULGARIAN, CP1251)],
)
def test_legacy_pages_are_detected_when_the_text_says_so(text: str, encoding: str) -> None:
    # Romanian comma-below letters are not in cp1250: Excel writes the cedilla forms.
    data = text.replace("Ș", "Ş").replace("ț", "ţ").replace("Ț", "Ţ").encode(encoding)
    found = detect_encoding(data)
    assert (found.encoding, found.detected, found.problem) == (encoding, True, "")


def test_utf8_with_and_without_bom_and_utf16() -> None:
    assert detect_encoding(LATIN.encode("utf-8")).encoding == UTF8
    assert detect_encoding(LATIN.encode("utf-8-sig")).encoding == UTF8_BOM
    assert detect_encoding(LATIN.encode("utf-16")).encoding == "utf-16"
    assert detect_encoding(b"plain,ascii\n").encoding == UTF8


def test_ambiguous_bytes_are_refused_not_guessed() -> None:
    found = detect_encoding("a@x.rs,š,ž\n".encode(CP1250))
    assert found.encoding is None
    assert "both as Windows-1250 and as Windows-1251" in found.problem


def test_bytes_that_fit_no_candidate_are_refused() -> None:
    found = detect_encoding(b"a@x.rs,\x81\x98\n")  # undefined in cp1250; 0x98 in cp1251 too
    assert found.encoding is None and "neither" in found.problem


def test_a_bom_with_invalid_utf8_is_refused() -> None:
    found = detect_encoding(b"\xef\xbb\xbfemail\n\xff\n")
    assert found.encoding is None and "UTF-8 with BOM" in found.problem


def test_identical_readings_are_safe() -> None:
    # '©' and '«' are the same bytes in both pages: nothing can be misread.
    found = detect_encoding("a@x.rs,© «Klaster»\n".encode(CP1250))
    assert found.encoding == CP1250


def test_binary_control_bytes_are_not_plausible() -> None:
    assert detect_encoding(b"a,\x01\x02\x03\xe8\xe8\n").encoding is None


def test_a_cyrillic_file_with_one_lookalike_typo_is_still_cp1251() -> None:
    text = SERBIAN_CYRILLIC + "x@x.rs,Pера,Перић\n"  # a Latin P among Cyrillic
    assert detect_encoding(text.encode(CP1251)).encoding == CP1251


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Petrović Петровић", []),
        ("Pетровић", ["Pетровић"]),
        ("Рorрeviж and Co", ["Рorрeviж"]),
        ("ASCII only", []),
        ("Ştefan", []),
    ],
)
def test_mixed_script_words(text: str, expected: list[str]) -> None:
    assert mixed_script_words(text) == expected


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("PetroviÄ‡", True),  # ć as UTF-8 read as cp1252
        ("Ð¿ÐµÑ‚Ð°Ñ€", True),  # петар read as Latin-1/cp1252
        ("Caf\ufffd", True),
        ("España", False),
        ("Ñandú", False),
        ("Ștefănescu", False),
    ],
)
def test_mojibake_hints(text: str, flagged: bool) -> None:
    assert looks_like_mojibake(text) is flagged
