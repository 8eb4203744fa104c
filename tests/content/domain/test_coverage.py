"""Language coverage: who reads which version, and when a fallback is worth a warning."""

from __future__ import annotations

from newsletter.content.domain.coverage import VersionCoverage, coverage, fallback_warnings
from tests.content.domain.test_campaigns import campaign

# An audience of 354 readers, per member language (the shape of the sample audiences).
SAMPLE = {"en": 66, "sr-Cyrl": 81, "sr-Latn": 30, "bg": 50, "ro": 60, "mk": 33, "tr": 34}


def test_each_version_with_its_readers_and_who_falls_back_to_it() -> None:
    c = campaign(languages=["en", "sr-Cyrl"], subject={"en": "S", "sr-Cyrl": "С"}, reminders=[])
    found = {v.version: v for v in coverage(c, SAMPLE)}
    # sr-Latn is generated from the Cyrillic: Latin readers get their own script.
    assert found["sr-Latn"] == VersionCoverage("sr-Latn", 30, {})
    assert found["sr-Cyrl"] == VersionCoverage("sr-Cyrl", 81, {})
    assert found["en"] == VersionCoverage("en", 243, {"bg": 50, "ro": 60, "mk": 33, "tr": 34})
    assert found["en"].own == 66
    assert sum(v.readers for v in found.values()) == sum(SAMPLE.values())


def test_latin_turned_off_sends_latin_readers_the_cyrillic_and_warns() -> None:
    c = campaign(
        languages=["en", "sr-Cyrl"],
        subject={"en": "S", "sr-Cyrl": "С"},
        reminders=[],
        latin_from_cyrillic=False,
    )
    versions = coverage(c, SAMPLE)
    assert [v.version for v in versions] == ["en", "sr-Cyrl"]
    assert versions[1] == VersionCoverage("sr-Cyrl", 111, {"sr-Latn": 30})
    warnings = fallback_warnings(versions)
    assert "30 of 354 readers (8%) read sr-Latn but get the sr-Cyrl version" in warnings[-1]
    # Largest groups first.
    assert warnings[0].startswith("60 of 354 readers (17%) read ro but get the en version")


def test_small_groups_and_chosen_fallbacks() -> None:
    c = campaign(
        languages=["en", "bg"],
        subject={"en": "S", "bg": "Т"},
        reminders=[],
        fallbacks={"mk": ["bg"]},
    )
    versions = coverage(c, {"en": 500, "bg": 200, "mk": 9, "ro": 40, "": 3})
    found = {v.version: v for v in versions}
    assert found["bg"].fallbacks == {"mk": 9}  # a chosen fallback is still shown
    assert found["en"].fallbacks == {"ro": 40, "(none)": 3}
    warnings = fallback_warnings(versions)
    # mk: fewer than 10 readers; (none): 3; ro: 40 of 752 = 5.3 %, over the 5 % line.
    assert len(warnings) == 1 and warnings[0].startswith("40 of 752 readers (5%) read ro")
    assert fallback_warnings(coverage(c, {"en": 5000, "ro": 40})) == []  # under 1 %


def test_nobody_in_the_audience() -> None:
    c = campaign(languages=["en", "bg"], subject={"en": "S", "bg": "Т"}, reminders=[])
    assert coverage(c, {}) == [VersionCoverage("en", 0, {}), VersionCoverage("bg", 0, {})]
    assert fallback_warnings(coverage(c, {})) == []
