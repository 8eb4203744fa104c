"""The catalog rules every page and email shares: Serbian Latin derived from Cyrillic (a
written Latin phrase wins), English for what a language lacks, gaps reported, bad files named."""

from __future__ import annotations

import pytest
import yaml

from newsletter.core.catalogs import catalog, in_language, missing_keys, phrase, with_serbian_latin
from newsletter.errors import InputError

SOURCE = """\
en:
  title: Unsubscribe
  list: List
  count: 12
  empty:
sr-Cyrl:
  title: Одјава
  list: Листа
  brand: Гугл календар
sr-Latn:
  brand: Google kalendar
bg:
  title: Отписване
"""


def test_a_yaml_catalog_derives_serbian_latin_and_keeps_a_written_latin_phrase() -> None:
    texts = catalog(yaml.safe_load(SOURCE), "pages.yaml")
    assert texts["sr-Latn"] == {"title": "Odjava", "list": "Lista", "brand": "Google kalendar"}
    assert texts["sr-Cyrl"]["brand"] == "Гугл календар"
    # A number YAML read as an int is kept as the characters written; an empty value is missing.
    assert texts["en"] == {"title": "Unsubscribe", "list": "List", "count": "12"}


def test_digraph_capitals_follow_their_neighbours() -> None:
    texts = with_serbian_latin({"sr-Cyrl": {"a": "Љубав", "b": "ЉУБАВ ЊЕГОШ", "c": "Џ"}})
    assert texts["sr-Latn"] == {"a": "Ljubav", "b": "LJUBAV NJEGOŠ", "c": "Dž"}


def test_a_catalog_without_cyrillic_gets_no_latin() -> None:
    assert with_serbian_latin({"en": {"a": "A"}}) == {"en": {"a": "A"}}


def test_english_fills_what_a_language_lacks_and_an_unknown_language() -> None:
    texts = catalog(yaml.safe_load(SOURCE), "pages.yaml")
    assert in_language(texts, "bg") == {"title": "Отписване", "list": "List", "count": "12"}
    assert in_language(texts, "de") == texts["en"]
    # Latin is derived even when the mapping handed in was never loaded through catalog().
    raw = {"en": {"title": "Unsubscribe", "list": "List"}, "sr-Cyrl": {"title": "Одјава"}}
    assert in_language(raw, "sr-Latn") == {"title": "Odjava", "list": "List"}


def test_one_phrase_falls_back_to_english_and_counts_empty_as_missing() -> None:
    texts = {
        "en": {"topic_news": "the network's news", "topic_calls": "calls"},
        "sr-Cyrl": {"topic_news": "вести мреже"},
        "bg": {"topic_news": ""},
    }
    assert phrase(texts, "sr-Latn", "topic_news") == "vesti mreže"
    assert phrase(texts, "sr-Latn", "topic_calls") == "calls"
    assert phrase(texts, "bg", "topic_news") == "the network's news"
    assert phrase(texts, "bg", "topic_other") is None


def test_missing_keys_name_each_language_and_key_sorted() -> None:
    texts = catalog(yaml.safe_load(SOURCE), "pages.yaml")
    assert missing_keys(texts) == {
        "sr-Cyrl": ["count"],
        "sr-Latn": ["count"],
        "bg": ["count", "list"],
    }
    assert missing_keys(texts, ["en", "ro"], extra=["topic_news"]) == {
        "en": ["topic_news"],
        "ro": ["count", "list", "title", "topic_news"],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- en\n- bg\n", "pages.yaml: expected a mapping of language -> strings"),
        ("en: Unsubscribe\n", "pages.yaml: en: expected a mapping of key -> text"),
        ("en:\n  title:\n    - a\n", "pages.yaml: en.title: expected a text"),
        ("en:\n  title:\n    short: a\n", "pages.yaml: en.title: expected a text"),
    ],
)
def test_a_malformed_catalog_names_the_file_language_and_key(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        catalog(yaml.safe_load(text), "pages.yaml")
    assert str(caught.value) == message
