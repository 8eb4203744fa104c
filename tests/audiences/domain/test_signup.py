"""The signup rules: a form becomes a request or names each problem; who may be mailed; the
keyed hashes the limits count by."""

from __future__ import annotations

from newsletter.audiences.domain.privacy import SuppressionReason
from newsletter.audiences.domain.signup import (
    FieldProblem,
    SignupRequest,
    address_hash,
    client_hash,
    may_mail,
    parse_signup,
)

OFFERED = ("calls", "events", "news")


def test_a_valid_form_is_normalised() -> None:
    found = parse_signup(
        {
            "email": "  Ana.Petrović@Клъстер.example ",
            "first_name": "  Ana\r\n ",
            "last_name": "Petrović",
            "organization": "Cluster  Niš",
            "language": "sr-Latn",
        },
        ["news", "events", "news"],
        offered=OFFERED,
        wording_version="v1",
    )
    assert isinstance(found, SignupRequest)
    # Stored as the address module stores any: the IDN domain as its A-label (RFC 5891).
    assert found.email == "Ana.Petrović@xn--e1ajdvdg8c.example"
    assert found.email_key == "ana.petrović@xn--e1ajdvdg8c.example"
    assert found.first_name == "Ana" and found.organization == "Cluster Niš"
    assert found.topics == ("events", "news") and found.wording_version == "v1"


def test_every_problem_is_named_by_its_field() -> None:
    found = parse_signup(
        {"email": "nope", "first_name": "x" * 201, "last_name": "<b>", "language": "de"},
        ["spam"],
        offered=OFFERED,
        wording_version="v1",
    )
    assert isinstance(found, list)
    assert [p.field for p in found] == ["email", "first_name", "last_name", "language", "topics"]
    assert FieldProblem("topics", "choose among the offered lists") in found
    none = parse_signup(
        {"email": "a@b.example", "language": "en"}, [], offered=OFFERED, wording_version=""
    )
    assert none == [FieldProblem("topics", "choose at least one list")]


def test_bounced_and_complained_addresses_are_never_mailed() -> None:
    assert may_mail(None)
    assert may_mail(SuppressionReason.UNSUBSCRIBED) and may_mail("erased")
    assert not may_mail(SuppressionReason.BOUNCED) and not may_mail("complained")


def test_hashes_are_keyed_and_kept_apart() -> None:
    a, b = b"secret-a", b"secret-b"
    assert address_hash(a, "x@y.example") == address_hash(a, "x@y.example")
    assert address_hash(a, "x@y.example") != address_hash(b, "x@y.example")
    # The same text hashed for the two limits never collides (domain separation).
    assert address_hash(a, "203.0.113.9") != client_hash(a, "203.0.113.9")
    assert len(client_hash(a, "::1")) == 64


def test_names_keep_the_letters_of_the_chosen_language() -> None:
    def names(first: str, last: str, language: str) -> str:
        fields = {"email": "a@example.org", "first_name": first, "last_name": last}
        found = parse_signup(
            {**fields, "language": language}, ["news"], offered=OFFERED, wording_version="v1"
        )
        assert isinstance(found, SignupRequest), found
        return f"{found.first_name} {found.last_name}"

    assert names("Şahin", "Kılıç", "tr") == "Şahin Kılıç"  # never the Romanian comma below
    assert names("Șahin", "Kılıç", "tr") == "Şahin Kılıç"  # a Romanian-locale keyboard's ș
    assert names("Ştefan", "Ţuţea", "ro") == "Ștefan Țuțea"
    assert names("Şükrü", "Ahmedov", "bg") == "Şükrü Ahmedov"
    assert names("Г\u0301орг\u0301и", "Ќосев", "mk") == "Ѓорѓи Ќосев"  # macOS decomposed
