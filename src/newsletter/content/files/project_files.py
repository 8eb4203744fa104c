"""The project's files: campaign definitions, segment definitions, templates, UI strings.

Every problem is reported with the file and, for YAML, the line of the offending key, so staff
see ``campaigns/doc.yaml:12: audience: unknown segment 'evnts'`` instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from newsletter.audiences.domain.segments import Segment
from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.core.catalogs import catalog
from newsletter.errors import CampaignError, InputError, SegmentError

M = TypeVar("M", bound=BaseModel)
#: libyaml's safe loader when PyYAML was built with it (the wheels are), else the Python one.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file, keeping the node tree for line numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", location=str(path)) from exc
    # One pass, in libyaml when PyYAML was built with it: the node tree keeps the line numbers
    # and the data is constructed from that same tree (what yaml.safe_load does after
    # composing). The pure-Python parser is ~20x slower, and the dispatcher reads the campaign
    # and strings files on every due step.
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", location=where) from exc
    finally:
        loader.dispose()
    return data, node


def line_of(node: yaml.Node | None, loc: Sequence[int | str], key: str | None = None) -> int | None:
    """The 1-based line of the value at ``loc`` (a pydantic error location) in the node tree,
    or of the mapping key ``key`` found there (an unknown key names itself in the error)."""
    best = node.start_mark.line + 1 if node is not None else None
    mapping = node if isinstance(node, yaml.MappingNode) else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = _pair(node, part)
            if pair is None:
                # A union tag pydantic adds ('all' under 'all', 'not' under 'not') or a key
                # that is missing from the file: stay on the closest line we have.
                continue
            mapping, node = node, pair[1]
            best = pair[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            best = node.start_mark.line + 1
    if key is not None:
        # The key sits in the mapping reached, or - when a union tag such as 'field' or
        # 'topic' led into that key's value - in the mapping it came from.
        for candidate in (node, mapping):
            pair = _pair(candidate, key) if isinstance(candidate, yaml.MappingNode) else None
            if pair is not None:
                return int(pair[0].start_mark.line) + 1
    return best


def _pair(node: yaml.MappingNode, key: int | str) -> tuple[yaml.Node, yaml.Node] | None:
    return next(((k, v) for k, v in node.value if k.value == str(key)), None)


def validate(
    model: type[M], data: Any, node: yaml.Node | None, path: Path, error: type[InputError]
) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"]
        key = (first.get("ctx") or {}).get("key")
        path_loc = loc
        if first["type"] == "extra_forbidden" and loc:
            path_loc, key = loc[:-1], loc[-1]
        line = line_of(node, path_loc, str(key) if key is not None else None)
        field = ".".join(str(p) for p in loc) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        where = f"{path}:{line}" if line else str(path)
        raise error(f"{field}: {first['msg']}{more}", location=where) from exc


class ProjectFiles:
    """Read access to ``templates/``, ``audiences/`` and ``campaigns/``."""

    def __init__(self, templates: Path, audiences: Path, campaigns: Path) -> None:
        self.templates_dir, self.audiences_dir, self.campaigns_dir = templates, audiences, campaigns

    # -- templates -------------------------------------------------------------------------
    def template(self, name: str) -> str:
        path = (self.templates_dir / name).resolve()
        if self.templates_dir.resolve() not in path.parents or not path.is_file():
            raise KeyError(name)
        return path.read_text(encoding="utf-8")

    def ui_strings(self) -> dict[str, dict[str, str]]:
        """The emails' catalog, ``templates/strings.yaml``: language -> key -> phrase."""
        path = self.templates_dir / "strings.yaml"
        if not path.is_file():
            return {}
        data, _ = read_yaml(path)
        # The one catalog rule set (core/catalogs.py): sr-Latn derived from sr-Cyrl.
        return catalog(data, str(path))

    # -- segments --------------------------------------------------------------------------
    def segments(self) -> dict[str, Segment]:
        found: dict[str, Segment] = {}
        for path in sorted(self.audiences_dir.glob("*.y*ml")):
            data, node = read_yaml(path)
            entries = (data or {}).get("segments") if isinstance(data, dict) else None
            if not isinstance(entries, dict):
                raise SegmentError("expected a top-level 'segments:' mapping", location=str(path))
            seg_node = _child(node, "segments")
            for name, body in entries.items():
                body = {"name": name, **(body or {})}
                segment = validate(Segment, body, _child(seg_node, str(name)), path, SegmentError)
                if name in found:
                    raise SegmentError(f"segment {name!r} defined twice", location=str(path))
                found[str(name)] = segment
        return found

    def segment(self, name: str) -> Segment:
        segments = self.segments()
        if name not in segments:
            known = ", ".join(sorted(segments)) or "none"
            raise SegmentError(f"unknown segment {name!r} (known: {known})")
        return segments[name]

    # -- campaigns -------------------------------------------------------------------------
    def campaign_paths(self) -> Iterator[Path]:
        yield from sorted(self.campaigns_dir.glob("*.y*ml"))

    def campaign_path(self, ref: str) -> Path:
        """A campaign by path or by slug (its file name without extension, or its ``slug:``)."""
        direct = Path(ref)
        if direct.suffix in (".yaml", ".yml") and direct.is_file():
            return direct
        for path in self.campaign_paths():
            if path.stem == ref:
                return path
        for path in self.campaign_paths():
            data, _ = read_yaml(path)
            if isinstance(data, dict) and data.get("slug") == ref:
                return path
        raise CampaignError(f"no campaign {ref!r} in {self.campaigns_dir} (give a slug or a path)")

    def campaign(self, ref: str) -> tuple[CampaignDefinition, Path]:
        path = self.campaign_path(ref)
        data, node = read_yaml(path)
        if not isinstance(data, dict):
            raise CampaignError("expected a mapping", location=str(path))
        data.setdefault("slug", path.stem)
        return validate(CampaignDefinition, data, node, path, CampaignError), path


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v  # type: ignore[no-any-return]
    return None
