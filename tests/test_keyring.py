"""Key rotation: a new signing key, links already sent keep working, hashes never change."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from newsletter.audiences.domain.privacy import suppression_hash
from newsletter.audiences.domain.signup import address_hash
from newsletter.bootstrap import links
from newsletter.cli import main
from newsletter.config import Settings
from newsletter.core import tokens
from newsletter.core.links import UNSUBSCRIBE
from newsletter.errors import ConfigError, TokenError
from newsletter.keyring import link_keys
from newsletter.web.app import create_app
from tests.conftest import FrozenClock, make_settings
from tests.services import Services, services
from tests.synthetic import add_members
from tests.web.test_public import subscription

KEY = "kX2q" + secrets.token_urlsafe(32)
ADDRESS = "ana@example.org"


def rotate(project: Path) -> str:
    result = CliRunner().invoke(
        main, ["--config", str(project / "config.yaml"), "secret-key", "--rotate"]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_keys_in_var_rotate_in_place_and_old_links_still_verify(
    settings: Settings, project: Path
) -> None:
    before = links(settings)
    # A new installation has a hash key of its own, apart from the signing key.
    assert before.hashing != before.secret and before.previous == ()
    old = before.token(UNSUBSCRIBE, 7, "events", 1_441_094_400)
    rotate(project)
    after = links(settings)
    assert after.secret != before.secret
    assert after.previous == (before.secret,)
    assert after.hashing == before.hashing
    assert after.verify(old, purpose=UNSUBSCRIBE, now=1_441_094_500).member_id == 7
    var = project / "var"
    for name in ("secret.key", "previous-secret.keys", "hash.key"):
        assert (var / name).stat().st_mode & 0o777 == 0o600
    rotate(project)
    twice = links(settings)
    assert twice.previous == (after.secret, before.secret)
    assert twice.verify(old, purpose=UNSUBSCRIBE, now=1_441_094_500).member_id == 7
    assert twice.hashing == before.hashing


def test_an_installation_from_before_the_split_keeps_hashing_with_its_first_key(
    settings: Settings, project: Path
) -> None:
    var = project / "var"
    var.mkdir(mode=0o700, exist_ok=True)
    (var / "secret.key").write_text(KEY + "\n")
    (var / "secret.key").chmod(0o600)
    first = links(settings)
    assert first.secret == first.hashing == KEY.encode()
    rotate(project)
    assert (var / "hash.key").read_text().strip() == KEY
    after = links(settings)
    assert after.secret != KEY.encode() and after.hashing == KEY.encode()
    assert suppression_hash(after.hashing, ADDRESS) == suppression_hash(KEY.encode(), ADDRESS)


def test_environment_keys_rotate_by_printing_the_new_lines(
    project: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", KEY)
    settings = make_settings(project, database={"url": database_url})
    first = links(settings)
    sent = first.token(UNSUBSCRIBE, 7, "events", 1_441_094_400)
    lines = dict(line.split("=", 1) for line in rotate(project).splitlines())
    assert lines["NEWSLETTER_PREVIOUS_SECRET_KEYS"] == KEY
    assert lines["NEWSLETTER_HASH_KEY"] == KEY  # the hashes were made with the first key
    assert lines["NEWSLETTER_SECRET_KEY"] != KEY
    assert not (project / "var" / "secret.key").exists()  # nothing written for env keys
    for name, value in lines.items():
        monkeypatch.setenv(name, value)
    second = links(settings)
    assert second.verify(sent, purpose=UNSUBSCRIBE, now=1_441_094_500).member_id == 7
    new = second.token(UNSUBSCRIBE, 8, "events", 1_441_094_400)
    with pytest.raises(TokenError):  # the old key alone does not verify new links
        tokens.verify(KEY.encode(), new, purpose=UNSUBSCRIBE, now=1_441_094_500)
    assert address_hash(second.hashing, ADDRESS) == address_hash(KEY.encode(), ADDRESS)
    # A second rotation keeps both older keys, newest first.
    third = dict(line.split("=", 1) for line in rotate(project).splitlines())
    assert third["NEWSLETTER_PREVIOUS_SECRET_KEYS"].split() == [lines["NEWSLETTER_SECRET_KEY"], KEY]
    assert third["NEWSLETTER_HASH_KEY"] == KEY


def test_previous_keys_without_the_hash_key_are_refused(
    project: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_SECRET_KEY", KEY)
    monkeypatch.setenv("NEWSLETTER_PREVIOUS_SECRET_KEYS", "Zq7" + secrets.token_urlsafe(32))
    settings = make_settings(project, database={"url": database_url})
    with pytest.raises(ConfigError, match="NEWSLETTER_HASH_KEY"):
        link_keys(settings)
    monkeypatch.setenv("NEWSLETTER_HASH_KEY", "short")
    real = make_settings(project, database={"url": database_url}, delivery={"transport": "smtp"})
    with pytest.raises(ConfigError, match="NEWSLETTER_HASH_KEY is 5 characters"):
        link_keys(real)


def test_a_link_sent_before_the_rotation_unsubscribes_through_the_app(
    settings: Settings, project: Path, clock: FrozenClock
) -> None:
    before = services(settings, clock=clock)
    try:
        (member,) = add_members(before.ledger.engine, 1, topics=("events",), consent=True)  # type: ignore[attr-defined]
        issued = int(clock.now().timestamp())
        old = before.links.token(UNSUBSCRIBE, member, "events", issued)
    finally:
        before.close()
    rotate(project)
    after: Services = services(settings, clock=clock)
    try:
        with TestClient(create_app(after.app), follow_redirects=False) as client:
            page = client.post(f"/u/{old}", data={"List-Unsubscribe": "One-Click"})
            assert page.status_code == 200
            forged = tokens.sign(
                b"another-installation-key-0123456789abcdefgh",
                tokens.TokenClaims(UNSUBSCRIBE, member, "events", issued),
            )
            assert (
                client.post(f"/u/{forged}", data={"List-Unsubscribe": "One-Click"}).status_code
                == 404
            )
        assert subscription(after, member) == "unsubscribed"
    finally:
        after.close()
