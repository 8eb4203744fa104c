"""The web tests' shared fixtures: the app in Starlette's TestClient, a member who was just
sent an email, and the staff app served on loopback for the browser tests.

Starlette's TestClient is imported once here with anyio's alias warning silenced:

starlette.testclient names ``anyio.abc.BlockingPortal``, which newer anyio deprecates at import.
pyproject's filterwarnings ignores it, but ``pytest -W error`` on the command line wins over the
ini during collection, so the import would fail every web test module. Importing it here first
(the module is then cached) keeps ``-W error`` meaningful for everything else.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", "The anyio.abc.BlockingPortal alias is deprecated", DeprecationWarning
    )
    from starlette.testclient import TestClient

from newsletter.web.app import create_app
from tests.services import Services
from tests.web.browser_helpers import staff_app
from tests.web.member_helpers import sent_members


@pytest.fixture
def client(ctx: Services) -> Iterator[TestClient]:
    """The app on ``ctx``; redirects are answers to check, not to follow."""
    with TestClient(create_app(ctx.app), follow_redirects=False) as c:
        yield c


@pytest.fixture
def member(ctx: Services) -> int:
    """A Serbian Cyrillic member (one of two) who was sent an events email just now."""
    return sent_members(ctx, "sr-Cyrl")[0]


@pytest.fixture
def served(project: Path) -> Iterator[tuple[str, Services]]:
    """The staff app on a loopback port with the editor's and the approver's sign-ins; its
    address and context (skipped without Chromium)."""
    with staff_app(project) as live:
        yield live
