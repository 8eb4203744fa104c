"""The documentation keeps up with the code: every command is in docs/cli.md, every link opens.

- Each command of the ``newsletter`` click tree (leaf commands, walked from
  ``newsletter.cli.main``) must be named in the command reference block of docs/cli.md, written
  as it is typed (``campaigns send``, ``schedule recurring add``; ``pause | resume`` names both).
- Each relative link and image in README.md, docs/*.md and benchmarks/README.md must point at a
  file of the repository, and an ``#anchor`` at a heading of that file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from newsletter.cli import main

ROOT = Path(__file__).resolve().parent.parent
CLI_DOC = ROOT / "docs" / "cli.md"
DOCUMENTS = sorted(
    [ROOT / "README.md", ROOT / "benchmarks" / "README.md", *(ROOT / "docs").glob("*.md")]
)
# Written on other branches, merged separately: linked from the README before they land here.
# Remove an entry once its file is in the repository.
NOT_YET_MERGED: set[Path] = set()

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto: ...


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    """Every leaf command under ``group``, as typed after ``newsletter``."""
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from commands(command, path)
        else:
            yield " ".join(path)


def documented_commands(text: str) -> set[str]:
    """Command paths named in the reference block: ``campaigns pause | resume CAMPAIGN`` names
    ``campaigns pause`` and ``campaigns resume``; words stop at the first argument or option."""
    block = text.split("```", 2)[1]
    found: set[str] = set()
    for line in block.splitlines():
        if not line.startswith("  ") or not line[2:3].isalpha():
            continue  # continuation lines are indented further, or describe, or are blank
        usage = re.split(r"\s{2,}", line.strip())[0]
        words: list[str] = []
        alternatives: list[str] = []
        tokens = usage.split()
        for i, token in enumerate(tokens):
            if token == "|":
                continue
            if not re.fullmatch(r"[a-z][a-z-]*", token):
                break
            if i > 0 and tokens[i - 1] == "|":
                alternatives.append(token)
            else:
                words.append(token)
        if words:
            found.add(" ".join(words))
            found.update(" ".join([*words[:-1], alt]) for alt in alternatives)
    return found


def test_every_command_is_in_the_command_reference() -> None:
    documented = documented_commands(CLI_DOC.read_text(encoding="utf-8"))
    missing = [name for name in commands(main) if name not in documented]
    assert not missing, f"commands missing from docs/cli.md: {missing}"


def test_the_command_reference_names_no_command_that_does_not_exist() -> None:
    documented = documented_commands(CLI_DOC.read_text(encoding="utf-8"))
    existing = set(commands(main))
    assert documented - existing == set(), "docs/cli.md names commands the CLI lacks"


def test_the_reference_reader_understands_alternatives() -> None:
    text = "```\n  a b | c ARG [--x]    text\n                      more text\n  d e FILE\n```\n"
    assert documented_commands(text) == {"a b", "a c", "d e"}


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces -> hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", text, re.MULTILINE)}


def _links(path: Path) -> Iterator[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)  # code spans are not links
    for match in _LINK.finditer(text):
        yield match.group(1)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files_that_exist(document: Path) -> None:
    broken = []
    for target in _links(document):
        if _EXTERNAL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (document.parent / file_part).resolve() if file_part else document
        if linked in NOT_YET_MERGED:
            continue
        if not linked.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{document.relative_to(ROOT)}: broken links: {broken}"


def test_the_link_reader_finds_links_and_skips_code(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        '# The approval gate\n[a](a.md#x) ![b](img/b.png "title") `[c](c.md)`\n'
        "```\n[d](d.md)\n```\n## Performance: `compose` & more\n",
        encoding="utf-8",
    )
    assert list(_links(page)) == ["a.md#x", "img/b.png"]
    assert _anchors(page) == {"the-approval-gate", "performance-compose--more"}


# Citations a reader of this repository cannot open: requirement ids of a document kept
# elsewhere, another tracker's issue numbers, notes outside the repository. Cite an RFC, a public
# document (a URL or its title) or an upstream issue as owner/repo#N instead, or explain.
_UNOPENABLE = re.compile(
    r"\b(?:REL|SEC|GDPR|TZ|SCH|DEL|UNS|INP|DUP|BAD|BULK|SEND)-\d+\b"
    r"|(?<![\w/])[Ii]ssues? #?\d+\b"
    r"|\breference/\w+\.md\b|\blibraries\.md\b|\bARCHITECTURE\.md\b"
)
_CITING = ("src", "tests", "scripts", "benchmarks", "docs", "templates", "campaigns", ".ci")
_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".j2", ".toml", ".sh", ""}


def _repository_texts() -> Iterator[Path]:
    yield ROOT / "README.md"
    yield ROOT / "pyproject.toml"
    yield ROOT / "config.yaml"
    for top in _CITING:
        for path in sorted((ROOT / top).rglob("*")):
            if (
                path.is_file()
                and path.suffix in _SUFFIXES
                and "fixtures" not in path.parts
                and "__pycache__" not in path.parts
                and not any(part.endswith(".egg-info") for part in path.parts)
                and path != Path(__file__).resolve()
            ):
                yield path


def test_nothing_cites_a_document_the_repository_does_not_contain() -> None:
    found = []
    for path in _repository_texts():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if match := _UNOPENABLE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
    assert not found, "citations a reader cannot open:\n" + "\n".join(found)
