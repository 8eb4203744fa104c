"""Checking rows a chunk at a time: the same verdicts here, across chunk boundaries, and after
the round trip through bytes an offloaded check takes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newsletter.audiences import member_rows
from newsletter.audiences.domain.members import MemberRecord
from newsletter.audiences.domain.privacy import suppression_hash
from newsletter.audiences.files.member_files import read_member_file
from newsletter.audiences.member_rows import Checked, checked_chunks
from tests import hostile

SECRET = b"test-secret"


def in_process(produce: Callable[[], Iterator[bytes]]) -> Iterator[bytes]:
    """An offload that runs here: only the encoding round trip is under test."""
    return produce()


Flat = tuple[
    list[tuple[int, MemberRecord, list[str], str, dict[str, str]]],
    list[tuple[int, str, str, str, dict[str, str]]],
    list[tuple[int, str, str, str]],
    list[str],
]


def flat(chunks: Iterator[Checked]) -> Flat:
    found: Flat = ([], [], [], [])
    valid, refused, flags, samples = found
    for checked in chunks:
        valid += [
            (n, inc.record, sorted(inc.given), h, dict(checked.cells(c)))
            for n, inc, h, c in checked.valid
        ]
        refused += [(*r[:4], dict(r[4])) for r in checked.refused]
        flags += checked.flags
        samples += checked.samples
    return found


@pytest.mark.parametrize("name", sorted(hostile.FILES))
def test_the_round_trip_through_bytes_changes_nothing(name: str) -> None:
    path = hostile.FIXTURES / name
    encoding = "cp1250" if name == "ambiguous.csv" else None
    here = flat(checked_chunks(read_member_file(path, encoding).rows, SECRET))
    there = flat(checked_chunks(read_member_file(path, encoding).rows, SECRET, in_process))
    assert here == there
    assert any(here)


def test_hostile_rows_in_detail() -> None:
    path = hostile.FIXTURES / "utf8_bom_semicolon.csv"
    valid, refused, flags, samples = flat(
        checked_chunks(read_member_file(path).rows, SECRET, in_process)
    )
    assert [(v[0], v[1].email) for v in valid][:2] == [
        (2, "Ana.Petrovic@klaster-nis.example"),
        (4, "marko@xn--e1afmkfd.xn--90a3ac"),
    ]
    first = valid[0]
    assert first[2] == sorted(
        (
            *("email", "first_name", "last_name", "organization", "country", "language"),
            *("tier", "topics", "consent_source", "consent_date", "consent_wording"),
        )
    )
    assert first[3] == suppression_hash(SECRET, "ana.petrovic@klaster-nis.example")
    assert [(r[0], r[1]) for r in refused] == [
        (3, "email"),
        (5, "email"),
        (7, "first_name"),
        (10, "consent_source"),
        (13, "email"),
        (15, "email"),
    ]
    assert [(f[0], f[2]) for f in flags] == [(9, "last_name"), (14, "email"), (16, "first_name")]
    assert samples == [
        "Ana Petrović",
        "Марко Марковић",
        "Ștefan Țuțea",
        "Jelena Marija Jovanović",
        "Đorđe Рorрeviж",
    ]


def test_duplicates_and_samples_carry_across_chunks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(member_rows, "CHUNK", 3)
    path = tmp_path / "m.csv"
    names = ["Ана", "Бојан", "Вера", "Горан", "Драган", "Ђорђе", "Ема"]
    body = "email,first_name\n" + "".join(f"p{i}@x.example,{n}\n" for i, n in enumerate(names))
    path.write_text(body + "P1@X.example,Again\n", encoding="utf-8")
    chunks = list(checked_chunks(read_member_file(path).rows, SECRET, in_process))
    assert [len(c.valid) + len(c.refused) for c in chunks] == [3, 3, 2]
    assert chunks[-1].refused[0][:3] == (
        9,
        "email",
        "duplicate of row 3 (the same address, ignoring case)",
    )
    assert [s for c in chunks for s in c.samples] == names[:5]  # five at most, first ones
