"""The fresh-link and staff password-reset emails: fixed words per language, links as given."""

from __future__ import annotations

import pytest

from newsletter.content.rendering.merge import OPENER
from newsletter.content.rendering.renewal import WORDS, password_reset, renewal
from newsletter.web.strings import PAGES
from tests.content.rendering.samples import ORG

U = "https://news.clusterhouse.example/u/abc?x=1&y=2"
P = "https://news.clusterhouse.example/p/def"


@pytest.mark.parametrize("lang", sorted(WORDS))
def test_each_language_has_all_its_words(lang: str) -> None:
    variant = renewal(lang, U, P, ORG, days=90)
    assert set(WORDS[lang]) == set(WORDS["en"])
    if lang != "en":
        assert variant.subject != renewal("en", U, P, ORG, days=90).subject
    assert "90" in variant.text and U in variant.text and P in variant.text
    assert 'href="https://news.clusterhouse.example/u/abc?x=1&amp;y=2"' in variant.html
    assert OPENER not in variant.html + variant.text  # nothing left to fill per recipient
    # The expired link's page speaks the same languages.
    assert {"expired_title", "expired_text", "renewed_text"} <= set(PAGES[lang])


def test_password_reset_email() -> None:
    link = "https://news.clusterhouse.example/staff/reset/tok"
    variant = password_reset(link, ORG, minutes=30)
    assert link in variant.text and f'href="{link}"' in variant.html
    assert "30 minutes" in variant.text and ORG.name in variant.subject
