"""Rich text in paragraph fields: a small, safe subset of Markdown, parsed into a tree.

Staff write ``**bold**``, ``*italic*`` (or ``_italic_``), ``[a link](https://...)`` and lists
(lines starting ``- `` or ``1. ``) in the paragraphs of a campaign. This module turns such a
paragraph into a tree of plain values; ``content/rendering/richtext.py`` writes the tree as HTML
for the MJML part and as plain text. Nothing else is markup: an HTML tag, an image, a heading
or a code span is text and is escaped when written, so there is no raw HTML passthrough.

The rules follow CommonMark 0.31 (https://spec.commonmark.org/0.31.2/) where they matter:

- emphasis (§6.2): a delimiter run opens when a non-space follows it and closes when a
  non-space precedes it; ``_`` does not open or close inside a word (``snake_case_name``
  stays as typed); ``***x***`` is bold and italic;
- links (§6.3): ``[text](destination)``; the destination may not contain spaces; the text may
  hold emphasis but no other link;
- lists (§5.2, §5.3): ``-``, ``*`` or ``+`` then a space for bullets, one to three digits then
  ``.`` or ``)`` and a space for numbers; consecutive items form one list, so a form that takes
  one paragraph per line can write a list;
- backslash escapes (§2.4): ``\\*`` is a literal star, ``7\\. November`` is not a list.

A link's destination is checked like every other URL of a campaign (core/urls.py): only
https, http and mailto. A paragraph with any other link is an error naming it, never a
silently dropped or half-rendered link. Emphasis nests at most :data:`MAX_DEPTH` deep: deeper
markers are text, which keeps the parser linear on hostile input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsletter.core.urls import check_url

MAX_DEPTH = 3
#: ``(destination)``: no spaces; one level of balanced parentheses belongs to it (CommonMark
#: §6.3: a Wikipedia URL). Possessive, so ``[a](x(x[a](x(...`` fails fast, never backtracks.
_DESTINATION = re.compile(r"\((<[^<>\s]*+>|[^\s()]*+(?:\([^\s()]*+\)[^\s()]*+)*+)\)")
ESCAPABLE = frozenset("\\`*_{}[]()#+-.!<>|~\"'")


class RichTextError(ValueError):
    """A paragraph whose markup cannot be sent (a link that is not https, http or mailto)."""


@dataclass(frozen=True, slots=True)
class Text:
    value: str


@dataclass(frozen=True, slots=True)
class Strong:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Emphasis:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class LineBreak:
    """A newline inside one paragraph (a YAML block scalar keeps them)."""


Inline = Text | Strong | Emphasis | Link | LineBreak


@dataclass(frozen=True, slots=True)
class Paragraph:
    inlines: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class ListBlock:
    ordered: bool
    start: int
    items: tuple[tuple[Inline, ...], ...]


Block = Paragraph | ListBlock

_BULLET = re.compile(r"^ {0,3}[-*+][ \t]+(?=\S)")
_NUMBER = re.compile(r"^ {0,3}(\d{1,3})[.)][ \t]+(?=\S)")


def parse_blocks(paragraphs: Iterable[str]) -> tuple[Block, ...]:
    """The blocks of a field's paragraphs: each line is a list item or part of a paragraph;
    a run of items of one kind is one list, across paragraphs."""
    blocks: list[Block] = []
    items: list[tuple[Inline, ...]] = []
    ordered: bool | None = None
    start = 1

    def flush() -> None:
        nonlocal items, ordered
        if items and ordered is not None:
            blocks.append(ListBlock(ordered, start, tuple(items)))
        items, ordered = [], None

    for paragraph in paragraphs:
        lines: list[str] = []
        for line in paragraph.splitlines():
            bullet, number = _BULLET.match(line), _NUMBER.match(line)
            if bullet is None and number is None:
                if line.strip():
                    if items:
                        flush()
                    lines.append(line.strip())
                continue
            if lines:
                blocks.append(Paragraph(_lines(lines)))
                lines = []
            kind = number is not None
            if ordered is not None and ordered != kind:
                flush()
            if ordered is None:
                start = int(number.group(1)) if number is not None else 1
            ordered = kind
            marker = number or bullet
            assert marker is not None
            items.append(parse_inline(line[marker.end() :].strip()))
        if lines:
            flush()
            blocks.append(Paragraph(_lines(lines)))
    flush()
    return tuple(blocks)


def _lines(lines: Sequence[str]) -> tuple[Inline, ...]:
    out: list[Inline] = []
    for i, line in enumerate(lines):
        if i:
            out.append(LineBreak())
        out.extend(parse_inline(line))
    return tuple(out)


def check_paragraphs(paragraphs: Iterable[str]) -> None:
    """Raise :class:`RichTextError` if any paragraph holds a link that may not be sent."""
    parse_blocks(paragraphs)


# -- inline ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Delim:
    marker: str  # "*", "**", "_" or "__"
    can_open: bool
    can_close: bool


def parse_inline(text: str, *, allow_links: bool = True) -> tuple[Inline, ...]:
    """Emphasis, strong emphasis and links in one line of text; everything else is text."""
    return _build(_tokens(text, allow_links))


def _tokens(text: str, allow_links: bool) -> list[str | _Delim | Link]:
    out: list[str | _Delim | Link] = []
    buf: list[str] = []
    brackets = _brackets(text) if allow_links and "](" in text else {}
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in ESCAPABLE:
            buf.append(text[i + 1])
            i += 2
            continue
        if ch == "[" and i in brackets:
            found = _link_at(text, i, brackets)
            if found is not None:
                link, i = found
                out.extend(["".join(buf), link])
                buf = []
                continue
        if ch in "*_":
            j = i
            while j < n and text[j] == ch:
                j += 1
            run = j - i
            before = text[i - 1] if i else " "
            after = text[j] if j < n else " "
            can_open = not after.isspace()
            can_close = not before.isspace()
            if ch == "_":  # no intraword emphasis with underscores (CommonMark §6.2 rule 2)
                can_open = can_open and not before.isalnum()
                can_close = can_close and not after.isalnum()
            if run > 3 or not (can_open or can_close):
                buf.append(text[i:j])
            else:
                out.append("".join(buf))
                buf = []
                parts = {1: [ch], 2: [ch * 2], 3: [ch * 2, ch]}[run]
                if can_close and not can_open:
                    parts.reverse()  # ``x***``: the inner (single) one closes first
                out.extend(_Delim(p, can_open, can_close) for p in parts)
            i = j
            continue
        buf.append(ch)
        i += 1
    out.append("".join(buf))
    return [t for t in out if t != ""]


def _brackets(text: str) -> dict[int, int]:
    """The matching ``]`` of each ``[`` (escapes skipped), in one pass: looking for each
    link's end on its own would be quadratic on ``[[[[...``."""
    pairs: dict[int, int] = {}
    opened: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            opened.append(i)
        elif ch == "]" and opened:
            pairs[opened.pop()] = i
        i += 1
    return pairs


def _link_at(text: str, i: int, brackets: dict[int, int]) -> tuple[Link, int] | None:
    """``[text](url)`` starting at ``text[i] == "["``: the link and the index after it."""
    j = brackets.get(i, len(text))
    if j + 1 >= len(text) or text[j + 1] != "(":
        return None
    found = _DESTINATION.match(text, j + 1)
    if found is None:
        return None
    close = found.end() - 1
    url = text[j + 2 : close].strip()
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1]
    if not url or any(c.isspace() for c in url):
        return None
    label = text[i + 1 : j]
    try:
        check_url(url)
    except ValueError as exc:
        raise RichTextError(f"link {label[:40]!r} -> {url[:80]!r}: {exc}") from exc
    children = parse_inline(label, allow_links=False) or (Text(url.removeprefix("mailto:")),)
    return Link(url, children), close + 1


Piece = Inline | str  # text is kept as pieces and joined once per run: no quadratic copying


def _build(tokens: list[str | _Delim | Link]) -> tuple[Inline, ...]:
    # A stack of open delimiters, each with the pieces written since it opened (CommonMark's
    # "process emphasis", simplified: a closer matches the nearest opener of its own marker;
    # openers in between become text).
    stack: list[tuple[_Delim | None, list[Piece]]] = [(None, [])]
    for token in tokens:
        if isinstance(token, str | Link):
            stack[-1][1].append(token)
            continue
        match = next(
            (k for k in range(len(stack) - 1, 0, -1) if stack[k][0].marker == token.marker),  # type: ignore[union-attr]
            None,
        )
        if token.can_close and match is not None:
            while len(stack) - 1 > match:
                _unwind(stack)
            delim, pieces = stack.pop()
            assert delim is not None
            children = _joined(pieces)
            node = Strong(children) if len(delim.marker) == 2 else Emphasis(children)
            stack[-1][1].append(node)
        elif token.can_open and len(stack) <= MAX_DEPTH:
            stack.append((token, []))
        else:
            stack[-1][1].append(token.marker)
    while len(stack) > 1:
        _unwind(stack)
    return _joined(stack[0][1])


def _unwind(stack: list[tuple[_Delim | None, list[Piece]]]) -> None:
    """An opener never closed: its marker is text again, its pieces go to the level below."""
    delim, pieces = stack.pop()
    assert delim is not None
    stack[-1][1].append(delim.marker)
    stack[-1][1].extend(pieces)


def _joined(pieces: list[Piece]) -> tuple[Inline, ...]:
    """Runs of text pieces as one :class:`Text` each."""
    out: list[Inline] = []
    run: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            run.append(piece)
            continue
        if run:
            out.append(Text("".join(run)))
            run = []
        out.append(piece)
    if run:
        out.append(Text("".join(run)))
    return tuple(out)
