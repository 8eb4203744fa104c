"""Rich text written out: the tree of ``content/domain/richtext.py`` as HTML and as plain text.

The HTML part gets ``<strong>``, ``<em>``, ``<a href>`` and ``<ul>``/``<ol>`` with inline
styles (many mail clients drop ``<style>``; the layout's ``a`` rule is a fallback only). Every
piece of staff text is escaped here, URLs included (quotes too: they sit in ``href``), so the
only markup in the result is the markup this module writes. The plain-text part writes links
out as ``text (url)`` (RFC 2046 §4.1.3: text/plain has no links), bold as ``*bold*`` and
italic as ``_italic_``, the plain-text conventions readers know, and lists as ``- item`` /
``1. item`` lines.

The templates call one filter in both parts, ``{% for block in t.intro | paragraphs %}``;
it writes HTML where the template is autoescaped (MJML) and text where it is not (``.txt.j2``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from newsletter.content.domain.richtext import (
    Block,
    Emphasis,
    Inline,
    LineBreak,
    Link,
    Paragraph,
    RichTextError,
    Strong,
    Text,
    parse_blocks,
)

_LINK_STYLE = "color: #1d3557; text-decoration: underline;"
_LIST_STYLE = "margin: 0; padding: 0 0 0 24px;"
_ITEM_STYLE = "margin: 0 0 4px;"


class UnsafeRichText(ValueError):
    """Raised by the filters; compose turns it into a RenderError naming the template."""


def blocks_of(value: Any) -> tuple[Block, ...]:
    """One text or a list of paragraphs (``None`` is no paragraphs) as blocks."""
    if value is None:
        return ()
    texts = [value] if isinstance(value, str) else [str(v) for v in value]
    try:
        return parse_blocks(texts)
    except RichTextError as exc:
        raise UnsafeRichText(str(exc)) from exc


# -- HTML -----------------------------------------------------------------------------


def html_block(block: Block) -> Markup:
    if isinstance(block, Paragraph):
        return html_inlines(block.inlines)
    tag = "ol" if block.ordered else "ul"
    start = f' start="{block.start}"' if block.ordered and block.start != 1 else ""
    items = "".join(f'<li style="{_ITEM_STYLE}">{html_inlines(item)}</li>' for item in block.items)
    # Safe: tags and styles are ours; every item went through html_inlines (escaped).
    return Markup(f'<{tag}{start} style="{_LIST_STYLE}">{items}</{tag}>')  # noqa: S704


def html_inlines(nodes: Iterable[Inline]) -> Markup:
    out = Markup("")
    for node in nodes:
        if isinstance(node, Text):
            out += escape(node.value)
        elif isinstance(node, LineBreak):
            out += Markup("<br />")
        elif isinstance(node, Strong):
            out += Markup("<strong>%s</strong>") % html_inlines(node.children)
        elif isinstance(node, Emphasis):
            out += Markup("<em>%s</em>") % html_inlines(node.children)
        else:
            out += Markup('<a href="%s" style="%s">%s</a>') % (
                node.url,  # escaped by the % operator, quotes included
                _LINK_STYLE,
                html_inlines(node.children),
            )
    return out


# -- plain text -----------------------------------------------------------------------


def text_block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return text_inlines(block.inlines)
    lines = []
    for n, item in enumerate(block.items, start=block.start):
        marker = f"{n}." if block.ordered else "-"
        lines.append(f"{marker} {text_inlines(item)}")
    return "\n".join(lines)


def text_inlines(nodes: Iterable[Inline]) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(node.value)
        elif isinstance(node, LineBreak):
            out.append("\n")
        elif isinstance(node, Strong):
            out.append(f"*{text_inlines(node.children)}*")
        elif isinstance(node, Emphasis):
            out.append(f"_{text_inlines(node.children)}_")
        else:
            out.append(_text_link(node))
    return "".join(out)


def _text_link(link: Link) -> str:
    label = text_inlines(link.children)
    shown = link.url.removeprefix("mailto:") if link.url.startswith("mailto:") else link.url
    if label.strip() in (link.url, shown, shown.split("://", 1)[-1].rstrip("/")):
        return shown
    return f"{label} ({shown})"


# -- Jinja filters --------------------------------------------------------------------


@pass_eval_context
def paragraphs(eval_ctx: EvalContext, value: Any) -> list[Markup] | list[str]:
    """``{% for block in section.paragraphs | paragraphs %}``: one paragraph or list each."""
    found = blocks_of(value)
    if eval_ctx.autoescape:
        return [html_block(b) for b in found]
    return [text_block(b) for b in found]


@pass_eval_context
def rich(eval_ctx: EvalContext, value: Any) -> Markup | str:
    """``{{ t.closing | rich }}``: one field's text with its markup, all blocks together."""
    found = blocks_of(value)
    if eval_ctx.autoescape:
        return Markup("").join(html_block(b) for b in found)
    return "\n\n".join(text_block(b) for b in found)
