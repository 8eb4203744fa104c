"""The sandboxed Jinja2 environment: loader, autoescaping, strict undefined, Babel filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from babel.dates import format_date
from jinja2 import TemplateNotFound, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from newsletter.content.rendering.environment import babel_locale, build_environment

NBSP = "\xa0"


def env_with(**templates: str) -> SandboxedEnvironment:
    table = {name.replace("__", "."): text for name, text in templates.items()}
    return build_environment(lambda name: table[name])


def render(source: str, name: str = "t.txt.j2", **context: object) -> str:
    return build_environment(lambda n: {name: source}[n]).get_template(name).render(context)


def test_environment_is_sandboxed() -> None:
    assert isinstance(build_environment(lambda n: ""), SandboxedEnvironment)


def test_loader_maps_key_error_to_template_not_found() -> None:
    env = env_with(a__txt__j2="x")
    with pytest.raises(TemplateNotFound):
        env.get_template("missing.txt.j2")


def test_loader_passes_other_errors_through() -> None:
    def load(name: str) -> str:
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        build_environment(load).get_template("a.txt.j2")


def test_template_knows_its_name_as_file_name() -> None:
    # Error line numbers are found through this name (see compose._template_line).
    assert env_with(a__mjml__j2="x").get_template("a.mjml.j2").filename == "a.mjml.j2"


@pytest.mark.parametrize("name", ["a.mjml.j2", "a.html.j2", "a.mjml", "partial.j2"])
def test_autoescape_is_on_for_everything_but_text(name: str) -> None:
    assert render("{{ v }}", name, v="<b>&\"'</b>") == "&lt;b&gt;&amp;&#34;&#39;&lt;/b&gt;"


def test_autoescape_is_off_for_text_templates() -> None:
    assert render("{{ v }}", "a.txt.j2", v="<b>&\"'</b>") == "<b>&\"'</b>"


def test_autoescape_is_on_for_string_templates() -> None:
    env = build_environment(lambda n: "")
    assert env.from_string("{{ v }}").render(v="<i>") == "&lt;i&gt;"


def test_undefined_variable_raises() -> None:
    with pytest.raises(UndefinedError):
        render("{{ nope }}")
    with pytest.raises(UndefinedError):
        render("{{ t.missing }}", t={})


def test_sandbox_blocks_python_internals() -> None:
    with pytest.raises(SecurityError):
        render("{{ ''.__class__.__mro__[1].__subclasses__() }}")


def test_trailing_newline_is_kept_and_blocks_are_trimmed() -> None:
    assert render("{% if true %}\n  x\n{% endif %}\n") == "  x\n"
    assert render("a\n").endswith("\n")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("sr-Cyrl", "sr_Cyrl"), ("sr-Latn", "sr_Latn"), ("en", "en_GB"), ("bg", "bg")],
)
def test_babel_locale(lang: str, expected: str) -> None:
    assert babel_locale(lang) == expected


# -- Babel filters ---------------------------------------------------------------------------


def test_date_in_serbian_cyrillic() -> None:
    out = render("{{ '2015-10-02' | date('sr-Cyrl') }}")
    assert "октобар" in out
    assert "2015" in out


def test_date_in_serbian_latin_and_british_english() -> None:
    assert "oktobar" in render("{{ '2015-10-02' | date('sr-Latn') }}")
    # CLDR's en_GB, with the day kept on the month's line.
    day = dt.date(2015, 10, 2)
    assert render("{{ '2015-10-02' | date('en') }}") == format_date(
        day, "long", locale="en_GB"
    ).replace(" ", NBSP, 1)
    assert render("{{ '2015-10-02' | date('en') }}") == f"2{NBSP}October 2015"
    assert render("{{ '2015-10-02' | date('en', 'short') }}") == "02/10/2015"


def test_date_accepts_date_objects() -> None:
    assert render("{{ d | date('en') }}", d=dt.date(2015, 10, 2)) == f"2{NBSP}October 2015"


def test_date_with_a_bad_string_raises_value_error() -> None:
    with pytest.raises(ValueError):
        render("{{ '02.10.2015' | date('en') }}")


def test_money_in_serbian_latin() -> None:
    out = render("{{ 12687304.24 | money('EUR', 'sr-Latn') }}")
    assert out == f"12.687.304,24{NBSP}€"
    assert out.replace(NBSP, " ") == "12.687.304,24 €"


def test_money_keeps_decimal_precision() -> None:
    assert render("{{ v | money('EUR', 'en') }}", v=Decimal("0.10")) == "€0.10"
    assert render("{{ '1234.5' | money('EUR', 'en') }}") == "€1,234.50"


def test_number_uses_the_locale_separators() -> None:
    assert render("{{ 1234567.5 | number('en') }}") == "1,234,567.5"
    assert render("{{ 1234567.5 | number('sr-Latn') }}") == "1.234.567,5"


def test_daterange_writes_the_month_out() -> None:
    # One month, one year: the interval shares them; CLDR's nearest skeleton abbreviates the
    # month ("Oct 1 – 3"), the filter widens it.
    out = render("{{ '2015-10-01' | daterange('2015-10-03', 'en') }}")
    assert out.replace("\u2009", " ").replace(NBSP, " ") == "1 – 3 October 2015"
    assert render("{{ '2015-10-22' | daterange('2015-10-23', 'sr-Cyrl') }}") == (
        f"22–23.{NBSP}октобар 2015."
    )
    across = render("{{ '2015-09-30' | daterange('2015-10-02', 'en') }}")
    assert "September" in across and "October" in across


def test_datetime_keeps_the_value_zone() -> None:
    when = dt.datetime(2015, 10, 2, 17, 30, tzinfo=dt.UTC)
    out = render("{{ when | datetime('sr-Latn') }}", when=when)
    assert "oktobar" in out
    assert "17:30" in out
