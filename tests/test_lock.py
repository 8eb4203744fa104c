"""The lock files agree with pyproject.toml: every dependency pinned, in range, with hashes.

``bash scripts/setup`` installs exactly ``requirements.lock`` (``--dev``: ``requirements-dev.lock``)
and then the project without resolving again, so a dependency added to pyproject.toml but not
to the lock files would otherwise only show up as a broken install. ``bash scripts/lock``
regenerates both.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
DEV = [Requirement(r) for r in PROJECT["optional-dependencies"]["dev"]]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)", re.MULTILINE)


def pins(name: str) -> dict[str, Version]:
    text = (ROOT / name).read_text(encoding="utf-8")
    return {canonicalize_name(m.group(1)): Version(m.group(2)) for m in _PIN.finditer(text)}


@pytest.mark.parametrize(
    ("lock", "wanted"),
    [("requirements.lock", RUNTIME), ("requirements-dev.lock", RUNTIME + DEV)],
)
def test_every_dependency_is_pinned_within_its_range(lock: str, wanted: list[Requirement]) -> None:
    pinned = pins(lock)
    wrong = []
    for requirement in wanted:
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            wrong.append(f"{requirement} (locked: {version})")
    assert not wrong, f"{lock} disagrees with pyproject.toml, run bash scripts/lock: {wrong}"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_pin_carries_a_hash(lock: str) -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text(encoding="utf-8"))
    unhashed = [b.split()[0] for b in blocks if _PIN.match(b) and "--hash=sha256:" not in b]
    assert not unhashed


def test_the_runtime_lock_agrees_with_the_dev_lock() -> None:
    dev = pins("requirements-dev.lock")
    differ = {n: (v, dev.get(n)) for n, v in pins("requirements.lock").items() if dev.get(n) != v}
    assert not differ, "the demo and the tests would run different versions"
