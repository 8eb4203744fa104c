"""Recognising Mailchimp and listmonk headers and planning their columns."""

from __future__ import annotations

import pytest

from newsletter.audiences.domain.sources import parse_mapping, plan_columns, recognise
from tests.audiences.source_exports import (
    LISTMONK,
    MAILCHIMP_CLEANED,
    MAILCHIMP_SUBSCRIBED,
    MAILCHIMP_UNSUBSCRIBED,
)


def header(line: str) -> list[str]:
    import csv

    return next(csv.reader([line]))


@pytest.mark.parametrize("line", [MAILCHIMP_SUBSCRIBED, MAILCHIMP_UNSUBSCRIBED, MAILCHIMP_CLEANED])
def test_mailchimp_headers_are_recognised(line: str) -> None:
    assert recognise(header(line)) == "mailchimp"


def test_listmonk_and_generic_headers() -> None:
    assert recognise(header(LISTMONK)) == "listmonk"
    assert recognise(["email", "first_name", "status"]) == "generic"
    # "Email Address" alone is a spreadsheet's header, not a Mailchimp export.
    assert recognise(["Email Address", "Ime"]) == "generic"


def test_mailchimp_plan_keeps_our_fields_and_lists_the_rest() -> None:
    plan = plan_columns(header(MAILCHIMP_UNSUBSCRIBED))
    assert plan.problem == ""
    kept = {c for c in plan.columns if c}
    assert kept == {"email", "first_name", "last_name", "consent_date", "timezone", "country",
                    "unsubscribed_at"}  # fmt: skip
    ignored = [name for name, _ in plan.ignored]
    assert ignored[0] == "Institution / Company"  # a merge field we have no alias for
    assert "LEID" in ignored and "UNSUB_REASON" in ignored and "TAGS" in ignored
    assert dict(plan.ignored)["Institution / Company"] == "not a field we keep"


def test_staff_mapping_wins_and_is_checked() -> None:
    names = header(MAILCHIMP_SUBSCRIBED)
    plan = plan_columns(names, mapped={"Institution / Company": "organization", "CC": ""})
    assert plan.columns[names.index("Institution / Company")] == "organization"
    assert plan.columns[names.index("CC")] is None
    assert ("CC", "ignored as asked") in plan.ignored
    assert plan.mapping["Institution / Company"] == "organization"
    assert "no column 'Company'" in plan_columns(names, mapped={"Company": "role"}).problem
    assert "'shoe' is not a field" in plan_columns(names, mapped={"NOTES": "shoe"}).problem
    clash = plan_columns(names, mapped={"NOTES": "email"}).problem
    assert clash == "columns 'Email Address' and 'NOTES' both mean email"
    assert "no column means email" in plan_columns(names, ignore=["Email Address"]).problem


def test_remembered_preset_applies_before_the_built_in_one() -> None:
    names = header(LISTMONK)
    plan = plan_columns(names, remembered={"created_at": "consent_date", "name": ""})
    assert plan.columns == (None, "email", None, "attributes", "standing", "consent_date", None)


def test_parse_mapping() -> None:
    assert parse_mapping(["A = organization", "x=y=role", "Notes="]) == {
        "A": "organization",
        "x=y": "role",
        "Notes": "",
    }
    with pytest.raises(ValueError, match="COLUMN=FIELD"):
        parse_mapping(["organization"])
