"""The rich-text parser: bold, italic, links and lists; everything else stays text."""

from __future__ import annotations

import time

import pytest

from newsletter.content.domain.richtext import (
    Emphasis,
    LineBreak,
    Link,
    ListBlock,
    Paragraph,
    RichTextError,
    Strong,
    Text,
    parse_blocks,
    parse_inline,
)


def test_bold_italic_and_a_link() -> None:
    assert parse_inline("Meet at **Cluster House**, *Niš*: [register](https://x.example/r).") == (
        Text("Meet at "),
        Strong((Text("Cluster House"),)),
        Text(", "),
        Emphasis((Text("Niš"),)),
        Text(": "),
        Link("https://x.example/r", (Text("register"),)),
        Text("."),
    )


def test_triple_markers_are_bold_and_italic() -> None:
    assert parse_inline("***both***") == (Strong((Emphasis((Text("both"),)),)),)


def test_underscores_inside_a_word_are_text() -> None:
    assert parse_inline("snake_case_name and __bold__") == (
        Text("snake_case_name and "),
        Strong((Text("bold"),)),
    )


@pytest.mark.parametrize(
    "text",
    [
        "**never closed",
        "a * b * c",  # spaces around: not emphasis
        "2 * 3 = 6",
        "**** four stars ****",
        "[not a link] (https://x.example)",
        "[no destination]()",
        "<b>html</b> & <script>alert(1)</script>",
        "`code` # heading ![img](https://x.example/i.png) is not an image either",
    ],
)
def test_what_is_not_markup_stays_as_typed(text: str) -> None:
    nodes = parse_inline(text)
    if text.startswith("`code`"):
        # The "!" stays text; the brackets after it are an ordinary link.
        assert isinstance(nodes[1], Link)
        return
    assert nodes == (Text(text),)


def test_backslash_escapes_a_marker() -> None:
    assert parse_inline(r"\*not italic\* and 7\. November") == (
        Text("*not italic* and 7. November"),
    )


def test_interleaved_markers_stay_well_nested() -> None:
    # "*a **b* c**": the single star closes first; the double ones are text.
    nodes = parse_inline("*a **b* c**")
    assert nodes == (Emphasis((Text("a **b"),)), Text(" c**"))


def test_nesting_deeper_than_the_limit_is_text() -> None:
    nodes = parse_inline("*a **b _c __d__ c_ b** a*")
    flat = repr(nodes)
    assert flat.count("Strong") + flat.count("Emphasis") == 3
    assert "__" in flat  # the fourth level is shown as typed


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "//evil.example/x",
        "https://",
        "mailto:nobody",
    ],
)
def test_a_link_that_may_not_be_sent_is_an_error_naming_it(url: str) -> None:
    with pytest.raises(RichTextError, match="link 'click'"):
        parse_blocks([f"Please [click]({url}) now"])


def test_a_destination_with_spaces_or_controls_is_not_a_link() -> None:
    for text in ("[x]( java\tscript:alert(1))", "[x](java script:alert(1))"):
        assert parse_inline(text) == (Text(text),)


def test_balanced_parentheses_belong_to_the_destination() -> None:
    (link, rest) = parse_inline("[Niš](https://en.wikipedia.org/wiki/Niš_(city)))")
    assert link == Link("https://en.wikipedia.org/wiki/Niš_(city)", (Text("Niš"),))
    assert rest == Text(")")


def test_a_link_inside_a_link_is_text() -> None:
    (link,) = parse_inline("[a [b](https://b.example)](https://a.example)")
    assert isinstance(link, Link)
    assert link.url == "https://a.example"
    assert link.children == (Text("a [b](https://b.example)"),)


def test_an_empty_mailto_label_shows_the_address() -> None:
    (link,) = parse_inline("[](mailto:office@clusterhouse.example)")
    assert link == Link(
        "mailto:office@clusterhouse.example", (Text("office@clusterhouse.example"),)
    )


def test_merge_placeholders_are_plain_text_to_the_parser() -> None:
    assert parse_inline("[[nl:email]] **[[nl:unsubscribe_url]]**") == (
        Text("[[nl:email]] "),
        Strong((Text("[[nl:unsubscribe_url]]"),)),
    )


def test_one_line_per_item_makes_one_list_across_paragraphs() -> None:
    blocks = parse_blocks(["What is new:", "- the **call**", "- the info days", "See you."])
    assert blocks == (
        Paragraph((Text("What is new:"),)),
        ListBlock(False, 1, ((Text("the "), Strong((Text("call"),))), (Text("the info days"),))),
        Paragraph((Text("See you."),)),
    )


def test_numbered_list_keeps_its_start_and_kinds_do_not_mix() -> None:
    blocks = parse_blocks(["3. three\n4) four\n- dash"])
    assert blocks == (
        ListBlock(True, 3, ((Text("three"),), (Text("four"),))),
        ListBlock(False, 1, ((Text("dash"),),)),
    )


def test_lines_of_one_paragraph_keep_their_break() -> None:
    assert parse_blocks(["Cluster House\nNiš"]) == (
        Paragraph((Text("Cluster House"), LineBreak(), Text("Niš"))),
    )


def test_a_serbian_date_is_a_list_unless_escaped() -> None:
    assert isinstance(parse_blocks(["7. новембра у Нишу"])[0], ListBlock)
    assert parse_blocks([r"7\. новембра у Нишу"]) == (Paragraph((Text("7. новембра у Нишу"),)),)


@pytest.mark.parametrize(
    "hostile",
    [
        "*" * 50_000,
        "[" * 50_000 + "](https://x.example)",
        "[a](https://x.example/(" * 10_000,
        "*a " * 20_000,
        "_" * 3 + "x" * 50_000,
    ],
)
def test_hostile_input_is_parsed_in_linear_time(hostile: str) -> None:
    # Linear: well under a second here (0.1-0.7 s on a loaded 2-core machine). A quadratic
    # scan of 50,000 markers is over a billion steps, minutes in Python; the bound leaves
    # room for coverage tracing and a busy machine without letting that through.
    started = time.perf_counter()
    parse_blocks([hostile])
    assert time.perf_counter() - started < 10.0
