"""Templates that run too long, grow too large or escape the sandbox are stopped.

Every template here goes through the same environment and compose path as a real campaign;
each case asserts the error type and that it names the template.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.rendering.compose import Organisation, compose_variant
from newsletter.content.rendering.environment import build_environment
from newsletter.content.rendering.sandbox import LimitExceeded, Limits, render
from newsletter.errors import RenderError, TemplateSecurityError

BODY = "<mjml><mj-body><mj-section><mj-column><mj-text>{}</mj-text></mj-column></mj-section></mj-body></mjml>\n"  # noqa: E501
ORG = Organisation("Cluster House", "Niš, Serbia", "https://clusterhouse.example")


def campaign(template: str) -> CampaignDefinition:
    return CampaignDefinition.model_validate(
        {
            "slug": "hostile",
            "title": "Hostile",
            "audience": "all",
            "template": template,
            "subject": {"en": "S"},
            "content": {"sections": [{"paragraphs": ["Hello"]}]},
        }
    )


def compose(body: str, *, limits: Limits | None = None, text: str = "x\n") -> Any:
    templates = {"t.mjml.j2": BODY.format(body), "t.txt.j2": text}
    env = build_environment(lambda name: templates[name])
    return compose_variant(
        campaign("t.mjml.j2"), "main", "en", env=env, organisation=ORG, ui={}, limits=limits
    )


def ticking(step: float) -> Any:
    """A fake watchdog timer that advances ``step`` seconds per reading (no real waiting)."""
    counter = itertools.count()
    return lambda: next(counter) * step


# -- escapes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ self._TemplateReference__context }}",
        "{{ 'a{0.__class__}'.format(1) }}",
        "{{ c.__class__ }}",
        "{% set x = t.update({'a': 1}) %}",
    ],
)
def test_sandbox_escapes_are_template_security_errors(payload: str) -> None:
    with pytest.raises(TemplateSecurityError) as caught:
        compose(payload)
    assert caught.value.template == "t.mjml.j2"


def test_undefined_variable_is_a_render_error_with_its_line() -> None:
    with pytest.raises(RenderError, match="'nope' is undefined") as caught:
        compose("{{ nope }}")
    assert caught.value.line == 1


# -- runaway work -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{% for i in range(10**9) %}x{% endfor %}", "Range too big"),
        (
            "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
            "steps",
        ),
        (
            "{% for i in t.get('x', [1]) * 99999 %}{% for j in [1] * 99999 %}{% endfor %}"
            "{% endfor %}",
            "steps",
        ),
    ],
)
def test_loops_that_run_for_ever_are_stopped(payload: str, message: str) -> None:
    # The step count must stop them, not the 2 s wall-clock budget (tested below): on a busy
    # machine a million steps can take longer than 2 s, so here the watchdog never advances.
    with pytest.raises(TemplateSecurityError, match=message):
        compose(payload, limits=Limits(timer=ticking(0)))


def test_the_time_budget_stops_a_slow_template_without_waiting() -> None:
    limits = Limits(seconds=2.0, timer=ticking(0.001))  # 2,000 steps of fake time
    with pytest.raises(TemplateSecurityError, match="longer than 2 s"):
        compose("{% for i in range(5000) %}{{ i }}{% endfor %}", limits=limits)
    # The same template inside its budget renders.
    assert compose("{% for i in range(500) %}{% endfor %}ok", limits=limits).html


# -- huge output ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{{ 'a' * 10**8 }}", "repeated string"),
        ("{{ [1] * 10**8 }}", "repeated string"),
        ("{{ 10 ** 100000 }}", "power"),
        ("{{ 'a'.ljust(10**9) }}", "width"),
        ("{{ '%*s' % (10**9, 'a') }}", "width"),
        ("{{ '{:>999999999}'.format('a') }}", "str.format"),
        ("{{ [1] | batch(10**8, 'x') | list }}", "batch"),
        ("{% set s = 'ab' * 20000 %}{{ s | replace('a', s) }}", "replace"),
        ("{{ 'x' | center(10**9) }}", "No filter named 'center'"),
        (
            "{% set ns = namespace(s='ab') %}{% for i in range(40) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "concatenated string",
        ),
        (
            "{% macro f(s, n) %}{% if n %}{{ f(s ~ s, n - 1) }}{% endif %}{% endmacro %}"
            "{{ f('ab', 40) }}",
            "concatenated string",
        ),
        ("{% for i in range(99999) %}{{ 'x' * 99 }}{% endfor %}", "output is over"),
    ],
)
def test_templates_that_produce_too_much_are_refused(payload: str, message: str) -> None:
    with pytest.raises(RenderError, match=message) as caught:
        compose(payload)
    assert caught.value.template == "t.mjml.j2"


def test_recursion_without_end_is_refused() -> None:
    templates = {"self.txt.j2": "{% include 'self.txt.j2' %}"}
    env = build_environment(lambda name: templates[name])
    with pytest.raises(RecursionError):
        render(env.get_template("self.txt.j2"), {})
    with pytest.raises(TemplateSecurityError, match="recurses"):
        compose("x", text="{% include 't.txt.j2' %}")


def test_the_output_cap_is_checked_while_streaming() -> None:
    env = build_environment(lambda name: "{% for i in range(1000) %}0123456789{% endfor %}")
    with pytest.raises(LimitExceeded, match="over 5,000 characters"):
        render(env.get_template("t.txt.j2"), {}, Limits(max_output=5_000))
    assert len(render(env.get_template("t.txt.j2"), {}, Limits(max_output=10_000))) == 10_000


def test_lipsum_is_not_available() -> None:
    with pytest.raises(RenderError, match="'lipsum' is undefined"):
        compose("{{ lipsum(10**6) }}")


# -- links (core/urls.py) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "&#106;avascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
    ],
)
def test_unsafe_links_written_into_a_template_are_refused(href: str) -> None:
    with pytest.raises(TemplateSecurityError, match="only https, http and mailto"):
        compose(f'<a href="{href}">click</a>')


def test_the_href_filter_refuses_an_unsafe_url_from_data() -> None:
    templates = {
        "t.mjml.j2": BODY.format('<a href="{{ t.url | href }}">x</a>'),
        "t.txt.j2": "x\n",
    }
    env = build_environment(lambda name: templates[name])
    data = campaign("t.mjml.j2").model_copy(update={"copy_": {"en": {"url": "javascript:x()"}}})
    with pytest.raises(TemplateSecurityError, match="unsafe link 'javascript:x\\(\\)'"):
        compose_variant(data, "main", "en", env=env, organisation=ORG, ui={})


def test_safe_links_and_merge_placeholders_pass() -> None:
    body = (
        '<a href="https://x.example/?a=1&amp;b=2">a</a> <a href="mailto:a@x.example">m</a> '
        '<a href="{{ links.unsubscribe }}">u</a> <a href="{{ \'https://y.example\' | href }}">y</a>'
    )
    variant = compose(body)
    assert 'href="[[nl:unsubscribe_url:h]]"' in variant.html
    assert 'href="https://y.example"' in variant.html


# -- join and ~ are bounded while they build, not after --------------------------


@pytest.mark.parametrize(
    "payload",
    [
        "{{ (['x' * 100000] * 50000) | join }}",
        "{{ (['x' * 100000] * 50000) | join(',') }}",
        "{% set s = 'x' * 600000 %}{% set s = s ~ s %}{% set s = s ~ s %}{{ s | length }}",
        "{% set s = 'x' * 900000 %}{% for i in range(30) %}{% set s = s ~ s %}{% endfor %}{{ s }}",
        "{% set s = 'x' * 600000 %}{{ (s ~ s ~ s) | length }}",
    ],
)
def test_join_and_concatenation_are_capped_before_they_build(payload: str) -> None:
    import time
    import tracemalloc

    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(TemplateSecurityError, match="exceeds the cap"):
            compose(payload)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 64 * 1024 * 1024  # the cap is 1,000,000 characters


def test_join_and_concatenation_within_the_cap_still_work() -> None:
    variant = compose("{{ ['a', 'b', 'c'] | join('-') }} {{ 'x' ~ 1 ~ 'y' }}")
    assert "a-b-c x1y" in variant.html
