"""The packaged message catalogs: every language the network sends in has every phrase with
the same placeholders, Serbian Latin is derived rather than written, and an installed wheel
carries the catalogs and renders a page in each language from them."""

from __future__ import annotations

import json
import re
import shutil
import string
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from newsletter import locales
from newsletter.audiences.domain.members import LANGUAGES
from newsletter.core.catalogs import missing_keys
from newsletter.web.strings import page_strings

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "src" / "newsletter" / "locales"


def test_the_folder_holds_exactly_the_named_catalogs() -> None:
    assert sorted(p.stem for p in FOLDER.glob("*.y*ml")) == sorted(locales.NAMES)


@pytest.mark.parametrize("name", locales.NAMES)
def test_every_language_has_every_phrase(name: str) -> None:
    texts = locales.load(name)
    assert list(texts) == ["en", "sr-Cyrl", "bg", "ro", "mk", "tr", "sr-Latn"]
    assert set(texts) == set(LANGUAGES)
    assert missing_keys(texts) == {}
    assert all(phrase.strip() for phrases in texts.values() for phrase in phrases.values())


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.mark.parametrize("name", locales.NAMES)
def test_every_translation_keeps_the_english_placeholders(name: str) -> None:
    # str.format() of a phrase whose {org} or {days} was translated would fail when sending.
    texts = locales.load(name)
    wrong = [
        f"{language}.{key}"
        for language, phrases in texts.items()
        for key, text in phrases.items()
        if placeholders(text) != placeholders(texts["en"][key])
    ]
    assert not wrong


@pytest.mark.parametrize("name", locales.NAMES)
def test_serbian_latin_is_derived_not_written(name: str) -> None:
    raw = (FOLDER / f"{name}.yaml").read_bytes().decode("utf-8")
    assert not re.search(r"^sr-Latn\s*:", raw, re.MULTILINE)
    texts = locales.load(name)
    assert texts["sr-Latn"].keys() == texts["sr-Cyrl"].keys()
    # No Cyrillic letter survives the derivation.
    assert not any(re.search("[\u0400-\u04ff]", text) for text in texts["sr-Latn"].values())


def test_each_load_is_a_copy_a_caller_may_change() -> None:
    first = locales.load("pages")
    first["en"]["title"] = "changed"
    assert locales.load("pages")["en"]["title"] == "Unsubscribe"
    with pytest.raises(KeyError):
        locales.load("strings")


#: Run from the installed copy, in a folder without the project's files: the 404 page in each
#: language, as web/app.py's environment renders it.
RENDER = """
import json, sys
import newsletter
from newsletter.web.app import templates
from newsletter.web.strings import page_strings
from newsletter.content.rendering.confirmation import words
env = templates()
pages = {
    lang: env.get_template("not_found.html").render(t=page_strings(lang), lang=lang)
    for lang in sys.argv[1:]
}
print(json.dumps({"package": newsletter.__file__, "pages": pages,
                  "subjects": {lang: words(lang)["subject"] for lang in sys.argv[1:]}}))
"""


@pytest.mark.slow
def test_an_installed_wheel_renders_a_page_in_every_language(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = tmp_path / "dist"
    subprocess.run(
        [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", built, source], check=True
    )
    wheel = next(built.glob("newsletter-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"newsletter/locales/{n}.yaml" for n in locales.NAMES} <= names

    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    subprocess.run([*pip, "install", "-q", "--no-deps", "--target", site, wheel], check=True)
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", RENDER, *LANGUAGES],
        cwd=elsewhere,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout)
    assert Path(found["package"]).is_relative_to(site)
    for lang in LANGUAGES:
        page = found["pages"][lang]
        assert f'<html lang="{lang}">' in page
        assert f"<h1>{page_strings(lang)['not_found_title']}</h1>" in page
    assert "<h1>Ova veza ne važi</h1>" in found["pages"]["sr-Latn"]
    assert found["subjects"]["sr-Latn"] == "Potvrdite pretplatu – {org}"
