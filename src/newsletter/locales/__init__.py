"""The message catalogs shipped with the package, one YAML file per surface.

``pages``, ``subscribe`` and ``preferences`` hold the public web pages' words; ``confirmation``
and ``renewal`` the two emails whose wording is fixed (sign-up confirmation, fresh link);
``archive`` the archive's stand-in reader. The campaign emails' words are the project's own
``templates/strings.yaml``, which staff may edit; these are part of the program.

They are package data (``[tool.setuptools.package-data]`` in pyproject.toml), found through
:mod:`importlib.resources` so an installed wheel reads them as a source checkout does, and
read once, at first use, like a module. Parsing, the Serbian Latin derivation and the English
fallback are :mod:`newsletter.core.catalogs`, shared with the project's catalog.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from newsletter.core.catalogs import catalog
from newsletter.errors import InputError

#: The catalogs in this folder, by name (the file is ``<name>.yaml``).
NAMES: tuple[str, ...] = ("archive", "confirmation", "pages", "preferences", "renewal", "subscribe")


@cache
def _loaded(name: str) -> dict[str, dict[str, str]]:
    if name not in NAMES:
        raise KeyError(name)
    source = f"newsletter/locales/{name}.yaml"
    text = resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", location=source) from exc
    return catalog(data, source)


def load(name: str) -> dict[str, dict[str, str]]:
    """The catalog ``name``: language -> key -> phrase, ``sr-Latn`` derived from ``sr-Cyrl``.

    A fresh copy each call: the web modules keep theirs as module-level dicts (``PAGES`` ...)
    that tests may patch without touching another module's."""
    return {language: dict(phrases) for language, phrases in _loaded(name).items()}
