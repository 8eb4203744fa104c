"""Reminder rows in the campaign form: durations as people write them, rows to ``reminders:``
entries (Serbian Latin generated, the edited step's template kept), and every mistake placed
beside its row's field. Pure: no database."""

from __future__ import annotations

import datetime as dt

import pytest

from newsletter.authoring.form.parse import parse_form
from newsletter.authoring.form.reminders import (
    REMINDER_TEMPLATE,
    read_before,
    show_before,
)
from newsletter.authoring.form.values import values_of
from tests.authoring.form.test_form import base_call

DAY, HOUR = dt.timedelta(days=1), dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 days", 3 * DAY),
        ("3", 3 * DAY),
        ("1 day", DAY),
        ("12h", 12 * HOUR),
        ("12 Hours", 12 * HOUR),
        ("1 day 6 hours", DAY + 6 * HOUR),
        ("1d, 6h", DAY + 6 * HOUR),
        ("2 days and 12 hours", 2 * DAY + 12 * HOUR),
        ("P7D", 7 * DAY),
        ("pt36h", 36 * HOUR),
    ],
)
def test_before_is_read_as_people_write_it(text: str, expected: dt.timedelta) -> None:
    assert read_before(text) == expected


@pytest.mark.parametrize(
    "text", ["soon", "3 weeks", "3 days later", "P3X", "-3 days", "3 days, dan", ""]
)
def test_a_before_that_is_not_a_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"before|ISO 8601"):
        read_before(text)


def test_before_is_shown_as_it_is_read() -> None:
    for delta in (DAY, 3 * DAY, 12 * HOUR, DAY + 6 * HOUR, 36 * HOUR):
        assert read_before(show_before(delta)) == delta
    assert show_before("P3D") == "3 days" and show_before("PT1H") == "1 hour"
    assert show_before(dt.timedelta(0)) == "0 days"


def reminder(i: int = 0, **changes: str) -> dict[str, list[str]]:
    row = f"reminders.{i}"
    values = {
        f"{row}.key": "deadline-7d",
        f"{row}.milestone": "deadline",
        f"{row}.before": "7 days",
        f"{row}.at_time": "10:30",
        f"{row}.skip_segment": "",
        f"{row}.subject.en": "One week left",
        f"{row}.subject.sr-Cyrl": "Још недељу дана",
        f"{row}.preheader.en": "Submit by 1 March",
        f"{row}.copy.headline.en": "One week left",
        f"{row}.copy.headline.sr-Cyrl": "Још недељу дана",
        f"{row}.copy.body.en": "Submit your proposal.\n\nGood luck.",
        f"{row}.copy.body.sr-Cyrl": "Пошаљите предлог.",
    }
    values.update({f"{row}.{k}": v for k, v in changes.items()})
    return {k: [v] for k, v in values.items()}


def test_a_reminder_row_becomes_a_step_of_the_chain() -> None:
    parsed = parse_form(base_call() | reminder() | {"reminders.1.key": [""]})
    assert parsed.errors == {} and parsed.campaign is not None
    assert parsed.document["reminders"] == [
        {
            "key": "deadline-7d",
            "milestone": "deadline",
            "template": REMINDER_TEMPLATE,
            "before": "P7D",
            "at_time": "10:30",
            "subject": {"en": "One week left", "sr-Cyrl": "Још недељу дана"},
            "preheader": {"en": "Submit by 1 March"},
            "copy": {
                "en": {
                    "headline": "One week left",
                    "body": ["Submit your proposal.", "Good luck."],
                },
                "sr-Cyrl": {"headline": "Још недељу дана", "body": ["Пошаљите предлог."]},
            },
        }
    ]  # the blank second row is left out
    (step,) = parsed.campaign.reminders
    assert (step.before, step.at_time) == (7 * DAY, dt.time(10, 30))
    assert step.subject_for("sr-Latn") == "Još nedelju dana"  # generated when read
    assert step.copy_for("sr-Latn")["body"] == ["Pošaljite predlog."]
    # Shown again, the row reads as it was typed.
    shown = values_of(parsed.document)
    assert shown["reminders.0.before"] == ["7 days"] and shown["reminders.0.at_time"] == ["10:30"]
    assert shown["reminders.0.copy.body.en"] == ["Submit your proposal.\nGood luck."]


def test_mistakes_in_a_row_are_placed_beside_its_fields() -> None:
    values = (
        base_call()
        | reminder(0, milestone="opening")
        | reminder(1, before="in a while")
        | reminder(2, key="main", **{"subject.en": "", "subject.sr-Cyrl": ""})
        | reminder(3)
        | reminder(4)  # the same key again
        | {"reminders.5.subject.en": ["Who am I?"]}
    )
    parsed = parse_form(values)
    assert parsed.campaign is None
    errors = {k: v for k, v in parsed.errors.items() if k.startswith("reminders.")}
    assert errors == {
        "reminders.0.milestone": ["no milestone 'opening' (deadline)"],
        "reminders.1.before": [
            "write how long before, e.g. '3 days' or '12 hours' (not 'in a while')"
        ],
        "reminders.2.key": ["'main' is used twice (or is the word 'main')"],
        "reminders.4.key": ["'deadline-7d' is used twice (or is the word 'main')"],
        "reminders.5.key": ["give the reminder a key, e.g. deadline-7d"],
        "reminders.5.milestone": ["choose the milestone this reminder is before"],
        "reminders.5.before": ["say how long before, e.g. '3 days' or '12 hours'"],
    }


def test_a_step_without_a_subject_is_refused_beside_its_row() -> None:
    values = base_call() | reminder(3, **{"subject.en": "", "subject.sr-Cyrl": ""})
    parsed = parse_form(values)
    assert parsed.campaign is None
    assert parsed.errors == {"reminders.3.subject": ["Field required"]}


def test_what_a_reminder_still_lacks_per_language_is_noted_but_saved() -> None:
    values = base_call() | reminder(0, **{"copy.body.sr-Cyrl": ""})
    parsed = parse_form(values)
    assert parsed.campaign is not None
    assert parsed.notes == {"reminders.0.copy.body": ["sr-Cyrl: Field required"]}


def test_editing_keeps_a_steps_own_template_and_a_form_without_rows_keeps_the_chain() -> None:
    first = parse_form(base_call() | reminder())
    base = first.document | {
        "reminders": [first.document["reminders"][0] | {"template": "custom.mjml.j2"}]
    }
    edited = parse_form(base_call() | reminder(0, before="2 days"), base)
    assert edited.document["reminders"][0]["template"] == "custom.mjml.j2"
    assert edited.document["reminders"][0]["before"] == "P2D"
    # A form that does not show the chain leaves it as it was ...
    assert parse_form(base_call(), base).document["reminders"] == base["reminders"]
    # ... a form whose every row was cleared removes it.
    cleared = {k: [""] for k in reminder()}
    assert "reminders" not in parse_form(base_call() | cleared, base).document
