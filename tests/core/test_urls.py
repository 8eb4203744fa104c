"""Which links an email may carry: https, http and mailto only."""

from __future__ import annotations

import pytest

from newsletter.core.urls import WEB_SCHEMES, check_url, is_safe_link


@pytest.mark.parametrize(
    "url",
    [
        "https://daysofclusters.example/2015/register",
        "http://clusterhouse.example",
        "HTTPS://Example.org/a?b=1&c=2#x",
        "mailto:office@clusterhouse.example",
        "https://xn--80ak6aa92e.example/",
    ],
)
def test_safe_links_pass_unchanged(url: str) -> None:
    assert check_url(url) == url
    assert is_safe_link(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "scheme javascript:"),
        ("JavaScript:alert(1)", "scheme javascript:"),
        (" javascript:alert(1)", "spaces"),
        ("java\tscript:alert(1)", "spaces"),
        ("data:text/html;base64,PHNjcmlwdD4=", "scheme data:"),
        ("vbscript:msgbox", "scheme vbscript:"),
        ("file:///etc/passwd", "scheme file:"),
        ("//evil.example/x", "not an absolute URL"),
        ("/relative/path", "not an absolute URL"),
        ("https:///no-host", "no host"),
        ("mailto:", "no address"),
        ("", "spaces"),
    ],
)
def test_unsafe_links_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_url(url)
    assert not is_safe_link(url)


def test_images_must_be_web_urls() -> None:
    with pytest.raises(ValueError, match="scheme mailto:"):
        check_url("mailto:a@example.org", WEB_SCHEMES)
