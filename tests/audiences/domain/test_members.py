"""Import rows -> MemberRecord or RowProblem; addresses, keys and text normalisation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata

import pytest

from newsletter.audiences.domain.members import (
    COLUMNS,
    LANGUAGES,
    PROFILE_FIELDS,
    AddressError,
    MemberRecord,
    RowProblem,
    email_key,
    normalize_address,
    normalize_text,
    parse_member_row,
    parse_topics,
)


def row(**values: str) -> dict[str, str]:
    base = {"email": "ana@example.org"}
    base.update(values)
    return base


def record(**values: str) -> MemberRecord:
    result = parse_member_row(row(**values), 2)
    assert isinstance(result, MemberRecord), result
    return result


def problem(number: int = 2, **values: str) -> RowProblem:
    result = parse_member_row(row(**values), number)
    assert isinstance(result, RowProblem), result
    return result


# -- valid rows ------------------------------------------------------------------------------


def test_full_valid_row_becomes_a_member_record() -> None:
    result = parse_member_row(
        {
            "email": "  Ana.Petrovic@Example.ORG ",
            "first_name": "Ana",
            "last_name": "Petrović",
            "organization": "Cluster Niš",
            "role": "Director",
            "country": "rs",
            "language": "sr-latn",
            "tier": "Member",
            "topics": "Events; calls,news",
            "timezone": "Europe/Belgrade",
            "consent_source": "DOFC 2015 registration",
            "consent_date": "2015-06-01",
        },
        7,
    )
    assert result == MemberRecord(
        email="Ana.Petrovic@example.org",
        email_key="ana.petrovic@example.org",
        first_name="Ana",
        last_name="Petrović",
        organization="Cluster Niš",
        role="Director",
        country="RS",
        language="sr-Latn",
        tier="member",
        topics=frozenset({"events", "calls", "news"}),
        timezone="Europe/Belgrade",
        consent_source="DOFC 2015 registration",
        consent_date=dt.date(2015, 6, 1),
    )
    assert result.full_name == "Ana Petrović"


def test_defaults_for_an_address_only_row() -> None:
    member = record()
    assert member.language == "en"
    assert member.tier == "friend"
    assert member.topics == frozenset()
    assert member.consent_date is None
    assert member.country == ""
    assert member.full_name == ""


def test_missing_and_none_cells_count_as_empty() -> None:
    member = parse_member_row({"email": "a@example.org", "first_name": None}, 3)  # type: ignore[dict-item]
    assert isinstance(member, MemberRecord)
    assert member.first_name == ""


def test_columns_start_with_email_and_cover_every_record_field() -> None:
    assert COLUMNS[0] == "email"
    assert set(COLUMNS) <= set(MemberRecord.__dataclass_fields__)


# -- addresses -------------------------------------------------------------------------------


def test_idn_domain_is_stored_as_punycode_ascii() -> None:
    member = record(email="ana@exämple.rs")
    assert member.email == "ana@xn--exmple-cua.rs"
    assert member.email.isascii()
    assert member.email_key == "ana@xn--exmple-cua.rs"


def test_idn_domain_in_capitals_gets_the_same_key() -> None:
    assert normalize_address("ANA@EXÄMPLE.RS")[1] == normalize_address("ana@exämple.rs")[1]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ana@X.example", "ana@x.example"),
        ("ANA@x.EXAMPLE", "ana@X.example"),
        ("straße@x.example", "STRASSE@x.example"),
        ("straße@x.example", "strasse@x.example"),
    ],
)
def test_case_folded_key_treats_variants_as_one_person(a: str, b: str) -> None:
    assert normalize_address(a)[1] == normalize_address(b)[1]


def test_key_uses_casefold_not_lower() -> None:
    assert email_key("Straße@x.example") == "strasse@x.example"
    assert email_key("  A@B  ") == "a@b"
    # NFKC: a fullwidth letter folds to its ASCII twin.
    assert email_key("ａ@b") == "a@b"


def test_stored_address_keeps_local_part_case() -> None:
    stored, key = normalize_address("Ana@X.example")
    assert stored == "Ana@x.example"
    assert key == "ana@x.example"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "not an address",
        "ana@",
        "@example.org",
        "ana@@example.org",
        "ana@example..org",
        "Ana <ana@example.org>",
        "ana@example.org\r\nBcc: eve@example.org",
    ],
)
def test_invalid_addresses_raise_address_error(raw: str) -> None:
    with pytest.raises(AddressError):
        normalize_address(raw)


def test_invalid_address_row_is_a_problem_on_the_email_field_with_its_row_number() -> None:
    found = problem(17, email=" not an address ")
    assert found.row == 17
    assert found.field == "email"
    assert found.email == "not an address"
    assert found.reason


def test_missing_email_cell_is_an_email_problem() -> None:
    found = parse_member_row({"first_name": "Ana"}, 4)
    assert isinstance(found, RowProblem)
    assert (found.row, found.field) == (4, "email")
    assert "empty" in found.reason


# -- text normalisation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ştefan Ţară", "Ştefan Ţară"),  # letters as written: no language, no letter rule
        ("S\u0327tefan", "Ştefan"),  # decomposed cedilla composed, not turned into comma-below
        ("Cafe\u0301", "Café"),
        ("Ana\r\nMaria", "Ana Maria"),
        ("  Ana \t  Maria\n", "Ana Maria"),
        ("", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    out = normalize_text(raw)
    assert out == expected
    assert unicodedata.is_normalized("NFC", out)


def test_row_text_fields_are_normalised() -> None:
    member = record(
        first_name="Ana\r\nMaria",
        last_name="Ştefănescu",
        country="RO",  # Romanian: the cedilla is a legacy keyboard's comma-below
        organization="Cafe\u0301 Cluster",
        role="Line one\nline two",
    )
    assert member.first_name == "Ana Maria"
    assert member.last_name == "Ștefănescu"
    assert member.organization == "Café Cluster"
    assert member.role == "Line one line two"
    assert "\n" not in member.full_name and "\r" not in member.full_name


# -- field problems --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"language": "de"}, "language"),
        ({"language": "sr"}, "language"),
        ({"language": "sr-Latn-RS"}, "language"),
        ({"country": "Serbia"}, "country"),
        ({"country": "R5"}, "country"),
        ({"tier": "gold"}, "tier"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"consent_date": "01.06.2015"}, "consent_date"),
        ({"consent_date": "2015-02-30"}, "consent_date"),
        ({"topics": "events"}, "consent_source"),
        ({"topics": "Not A Topic!", "consent_source": "form"}, "topics"),
        ({"first_name": "x" * 201}, "first_name"),
    ],
)
def test_bad_field_is_a_problem_naming_the_field(values: dict[str, str], field: str) -> None:
    found = problem(9, **values)
    assert found.field == field
    assert found.row == 9
    assert found.email == "ana@example.org"
    assert found.reason


def test_topics_with_consent_source_are_accepted() -> None:
    member = record(topics="events", consent_source="web form")
    assert member.topics == frozenset({"events"})
    assert member.consent_source == "web form"


def test_field_of_exactly_the_limit_is_accepted() -> None:
    assert record(organization="x" * 200).organization == "x" * 200


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sr-cyrl", "sr-Cyrl"),
        ("SR-CYRL", "sr-Cyrl"),
        ("sr_latn", "sr-Latn"),
        ("EN", "en"),
        ("Bg", "bg"),
        ("", "en"),
    ],
)
def test_language_tags_are_canonicalised(raw: str, expected: str) -> None:
    assert record(language=raw).language == expected
    assert expected in LANGUAGES


def test_tier_and_country_are_case_insensitive() -> None:
    member = record(tier="FRIEND", country="bg")
    assert member.tier == "friend"
    assert member.country == "BG"


# -- topics ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("events;calls", {"events", "calls"}),
        ("events, calls", {"events", "calls"}),
        ("events|calls|events", {"events", "calls"}),
        ("  ;; ", set()),
        ("", set()),
        ("EU-Funding", {"eu-funding"}),
    ],
)
def test_parse_topics(raw: str, expected: set[str]) -> None:
    assert parse_topics(raw) == frozenset(expected)


@pytest.mark.parametrize("raw", ["two words", "1events", "événements", "a" * 41])
def test_parse_topics_refuses_non_slugs(raw: str) -> None:
    with pytest.raises(ValueError, match="not a topic name"):
        parse_topics(raw)


def test_the_profile_is_what_a_member_file_and_a_record_carry_but_no_standing_or_consent() -> None:
    # One list for staff edits, import updates and segment rules: each must be a field of a
    # record and a column of a member file, and none may change whether we may mail someone.
    assert set(PROFILE_FIELDS) <= {f.name for f in dataclasses.fields(MemberRecord)}
    # In the staff form's order.
    names = "first_name last_name organization role country language tier timezone"
    assert names.split() == list(PROFILE_FIELDS)
    assert set(PROFILE_FIELDS) <= set(COLUMNS)
    assert len(set(PROFILE_FIELDS)) == len(PROFILE_FIELDS)
    assert not [f for f in PROFILE_FIELDS if f in {"email", "status", "topics", "standing"}]
    assert not [f for f in PROFILE_FIELDS if f.startswith("consent")]
