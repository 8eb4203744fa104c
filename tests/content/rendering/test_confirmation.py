"""The double opt-in email: every language has every phrase, the lists are named by the UI
strings in the language asked, and the only variable text is the link."""

from __future__ import annotations

from newsletter.audiences.domain.members import LANGUAGES
from newsletter.content.rendering.compose import Organisation
from newsletter.content.rendering.confirmation import WORDS, confirmation, topic_phrases

ORG = Organisation("Balkan & Black Sea Cluster Network", "Cluster House, Niš", "https://x.example")
UI = {
    "en": {"topic_news": "the network's news", "topic_calls": "calls"},
    "sr-Cyrl": {"topic_news": "вести мреже"},
}
LINK = "https://news.example/subscribe/confirm/abc.def?x=<1>"


def test_every_language_has_every_phrase() -> None:
    assert set(WORDS) == set(LANGUAGES)
    for words in WORDS.values():
        assert set(words) == set(WORDS["en"])


def test_lists_are_named_in_the_language_asked_with_fallbacks() -> None:
    assert topic_phrases(UI, "sr-Latn", ["news", "calls", "other"]) == [
        "vesti mreže", "calls", "other",
    ]  # fmt: skip


def test_the_email_holds_the_link_escaped_and_nothing_else_variable() -> None:
    variant = confirmation("bg", LINK, ["новините на мрежата"], ORG)
    assert variant.subject == "Потвърдете абонамента си – Balkan & Black Sea Cluster Network"
    assert LINK in variant.text and "новините на мрежата" in variant.text
    assert 'href="https://news.example/subscribe/confirm/abc.def?x=&lt;1&gt;"' in variant.html
    assert "Balkan &amp; Black Sea" in variant.html and "<1>" not in variant.html
    assert "[[nl:" not in variant.html + variant.text  # no merge field: nothing per recipient
    assert variant.campaign == "signup" and variant.topic == ""


def test_the_organisation_is_named_in_the_language_asked() -> None:
    org = Organisation(
        ORG.name, ORG.postal_address, ORG.website,
        (("sr-Cyrl", "Мрежа кластера Балкана и Црног мора", "Кластер Хаус, Ниш, Србија"),),
    )  # fmt: skip
    cyrillic = confirmation("sr-Cyrl", LINK, ["вести мреже"], org)
    assert cyrillic.subject == "Потврдите претплату – Мрежа кластера Балкана и Црног мора"
    assert "Кластер Хаус, Ниш, Србија" in cyrillic.text and "Balkan" not in cyrillic.html
    latin = confirmation("sr-Latn", LINK, ["vesti mreže"], org)
    assert "Mreža klastera Balkana i Crnog mora" in latin.subject
    assert confirmation("ro", LINK, ["x"], org).subject.endswith(ORG.name)  # the default
