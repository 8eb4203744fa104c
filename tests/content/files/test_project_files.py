"""Project files: every validation error names the file (and, for segments, the line of the
offending key); the emails' strings derive Serbian Latin from Cyrillic."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.audiences.domain.segments import ReceivedRule
from newsletter.content.files.project_files import ProjectFiles
from newsletter.errors import InputError, SegmentError

HEAD = "segments:\n  s:\n    topic: calls\n    rule:\n"  # the rule starts on line 5


def catalog(tmp_path: Path, text: str) -> tuple[ProjectFiles, Path]:
    folder = tmp_path / "audiences"
    folder.mkdir()
    path = folder / "segments.yaml"
    path.write_text(text, encoding="utf-8")
    return ProjectFiles(tmp_path, folder, tmp_path), path


@pytest.mark.parametrize(
    ("rule", "line", "message"),
    [
        # unknown field, deep inside all -> any -> not
        (
            "      all:\n"
            "        - {field: country, in: [BG, RS]}\n"
            "        - any:\n"
            "            - {topic: calls}\n"
            "            - not:\n"
            "                field: colour\n"
            "                eq: red\n",
            10,
            "unknown field 'colour'",
        ),
        # unknown operator: the line of the operator's own key
        ("      all:\n        - field: country\n          like: BG\n", 7, "unknown key 'like'"),
        # a list operator given one value
        (
            "      all:\n        - {topic: calls}\n        - field: country\n          in: BG\n",
            7,
            "operator 'in' takes a list",
        ),
        # no rule key at all
        (
            "      any:\n        - {topic: calls}\n        - frobnicate: 1\n",
            7,
            "a rule needs one of the keys",
        ),
        # an extra key next to a topic
        ("      topic: calls\n      tag: x\n", 6, "Extra inputs are not permitted"),
        # an empty 'received'
        ("      received: ''\n", 5, "at least 1 character"),
    ],
)
def test_rule_errors_name_file_and_line(tmp_path: Path, rule: str, line: int, message: str) -> None:
    files, path = catalog(tmp_path, HEAD + rule)
    with pytest.raises(SegmentError) as info:
        files.segments()
    assert str(info.value).startswith(f"{path}:{line}: "), str(info.value)
    assert message in str(info.value)


def test_unknown_segment_key_names_its_line(tmp_path: Path) -> None:
    files, path = catalog(tmp_path, "segments:\n  s:\n    topic: calls\n    colour: red\n")
    with pytest.raises(SegmentError, match=rf"^{path}:4: colour: Extra inputs"):
        files.segments()


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    files, path = catalog(tmp_path, "segments:\n  s:\n    rule: {topic: [\n")
    with pytest.raises(InputError, match=rf"^{path}:4: not valid YAML"):
        files.segments()


def test_received_rule_parses(tmp_path: Path) -> None:
    files, _ = catalog(tmp_path, HEAD + "      received: days-of-clusters-2015\n")
    assert files.segment("s").rule == ReceivedRule(received="days-of-clusters-2015")


REPO = Path(__file__).resolve().parents[3]


def test_the_email_strings_derive_serbian_latin_for_every_key() -> None:
    raw = (REPO / "templates" / "strings.yaml").read_bytes().decode("utf-8")
    assert "\nsr-Latn:" not in raw  # written once, in Cyrillic
    ui = ProjectFiles(REPO / "templates", REPO / "audiences", REPO / "campaigns").ui_strings()
    assert ui["sr-Latn"].keys() == ui["sr-Cyrl"].keys() == ui["en"].keys()
    assert ui["sr-Latn"]["why_topic"] == (
        "Ovu poruku dobijate zato što ste se pretplatili na {topic}."
    )
    assert ui["sr-Latn"]["google_calendar"] == "Gugl kalendar"


def test_a_written_latin_phrase_wins_and_a_bad_section_is_named(tmp_path: Path) -> None:
    strings = tmp_path / "strings.yaml"
    strings.write_text(
        "en:\n  a: A\n  b: B\nsr-Cyrl:\n  a: Ђак\n  b: Бег\nsr-Latn:\n  b: Beg!\n", encoding="utf-8"
    )
    files = ProjectFiles(tmp_path, tmp_path, tmp_path)
    assert files.ui_strings()["sr-Latn"] == {"a": "Đak", "b": "Beg!"}
    strings.write_text("en:\n  a: A\nbg: [a, b]\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{strings}: bg: expected a mapping of key -> text"):
        files.ui_strings()
