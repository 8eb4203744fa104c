"""Campaign documents as YAML files: ``campaigns import`` reads one, ``campaigns export``
writes one. Reading goes through the same line-numbered validation as ``campaigns/*.yaml``
(content/files/project_files.py), so ``export.yaml:14: content.budget: Input should be greater than
0`` names the line and the field."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.files.project_files import read_yaml, validate
from newsletter.errors import CampaignError


def load_campaign(path: Path, slug: str | None = None) -> CampaignDefinition:
    """A campaign file, validated; its slug is ``slug``, else its ``slug:``, else its name."""
    data, node = read_yaml(path)
    if not isinstance(data, dict):
        raise CampaignError("expected a mapping of campaign fields", location=str(path))
    data["slug"] = slug or data.get("slug") or path.stem
    return validate(CampaignDefinition, data, node, path, CampaignError)


def dump_campaign(document: Mapping[str, Any]) -> str:
    """YAML a person can read and edit: keys in the campaign file order, Unicode as written
    (Cyrillic stays Cyrillic), strings that look like dates or numbers quoted, so reading it
    back gives the same document."""
    head = (
        f"# Campaign {document.get('slug', '')}: written by `newsletter campaigns export`;\n"
        "# `newsletter campaigns import` reads it back (see campaigns/*.yaml for comments).\n"
    )
    body = yaml.safe_dump(
        dict(document), allow_unicode=True, sort_keys=False, width=100, default_flow_style=False
    )
    return head + body
