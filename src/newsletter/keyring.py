"""The installation's keys: one signs links, older ones still verify, one keys the hashes.

Two jobs, two keys. The signing key (``NEWSLETTER_SECRET_KEY``) signs every unsubscribe,
preference and confirmation link (HMAC-SHA256, RFC 2104); it may be rotated, and the keys it
replaced (``NEWSLETTER_PREVIOUS_SECRET_KEYS``) keep verifying links already sent until they
expire. The hash key (``NEWSLETTER_HASH_KEY``) keys the stored suppression and sign-up hashes
(``audiences/domain/privacy.py``): those are compared with hashes of addresses computed later,
so it must never change. An installation from before the split hashed with its signing key:
until it rotates, that key is its hash key too, and the first rotation keeps it as such.

With the embedded ``outbox`` transport and no key in the environment the keys live in
``var/`` (0600): ``secret.key``, ``previous-secret.keys`` (one per line, newest first) and
``hash.key``. NIST SP 800-57 Part 1 §5.3 asks for a cryptoperiod and a way to retire keys;
``newsletter secret-key --rotate`` is that way.
"""

from __future__ import annotations

import os
import secrets as pysecrets
from dataclasses import dataclass
from pathlib import Path

from newsletter.config import GENERATE_KEY_HINT, Settings, secret_key_problem, secrets
from newsletter.core.private_files import private_dir
from newsletter.errors import ConfigError

SIGNING_FILE = "secret.key"
PREVIOUS_FILE = "previous-secret.keys"
HASH_FILE = "hash.key"


@dataclass(frozen=True)
class LinkKeys:
    signing: bytes
    previous: tuple[bytes, ...]
    hashing: bytes


def link_keys(settings: Settings) -> LinkKeys:
    """The keys from the environment, or for the embedded outbox default from ``var/``
    (generated on first use, so a first run works and links stay valid across runs)."""
    found = secrets()
    real = settings.delivery.transport != "outbox"
    if found.secret_key is None:
        if real:
            raise ConfigError(
                f"NEWSLETTER_SECRET_KEY must be set to sign unsubscribe links; {GENERATE_KEY_HINT}"
            )
        return _file_keys(settings.path(settings.paths.var))
    named = [("NEWSLETTER_SECRET_KEY", found.secret_key.get_secret_value())]
    named += [
        ("NEWSLETTER_PREVIOUS_SECRET_KEYS", k.get_secret_value())
        for k in found.previous_secret_keys
    ]
    if found.hash_key is not None:
        named.append(("NEWSLETTER_HASH_KEY", found.hash_key.get_secret_value()))
    for name, key in named:
        problem = secret_key_problem(key)
        if real and problem:  # a weak key must not start a real installation
            raise ConfigError(f"{name} {problem}; {GENERATE_KEY_HINT}")
    if found.previous_secret_keys and found.hash_key is None:
        raise ConfigError(
            "NEWSLETTER_PREVIOUS_SECRET_KEYS is set but NEWSLETTER_HASH_KEY is not: the "
            "suppression and sign-up hashes would change with the signing key. Set "
            "NEWSLETTER_HASH_KEY to the key they were made with (the first "
            "NEWSLETTER_SECRET_KEY); `newsletter secret-key --rotate` prints all three"
        )
    signing = named[0][1].encode()
    hashing = found.hash_key.get_secret_value().encode() if found.hash_key else signing
    previous = tuple(k.get_secret_value().encode() for k in found.previous_secret_keys)
    return LinkKeys(signing, previous, hashing)


def _file_keys(var: Path) -> LinkKeys:
    signing_path, hash_path = var / SIGNING_FILE, var / HASH_FILE
    if not signing_path.exists():
        private_dir(var)
        _create(hash_path, pysecrets.token_urlsafe(32))  # a new installation: two keys
        _create(signing_path, pysecrets.token_urlsafe(32))
    signing = signing_path.read_text().strip().encode()
    hashing = hash_path.read_text().strip().encode() if hash_path.exists() else signing
    return LinkKeys(signing, _lines(var / PREVIOUS_FILE), hashing)


def _lines(path: Path) -> tuple[bytes, ...]:
    if not path.exists():
        return ()
    return tuple(line.strip().encode() for line in path.read_text().splitlines() if line.strip())


def _create(path: Path, text: str) -> None:
    """Write a key file 0600 whatever the umask; refuse to overwrite one (O_EXCL)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text + "\n")


def _replace(path: Path, text: str) -> None:
    """Replace a key file in one step (write a private temporary file, then rename)."""
    temporary = path.with_name(path.name + ".new")
    temporary.unlink(missing_ok=True)
    _create(temporary, text)
    temporary.replace(path)


@dataclass(frozen=True)
class Rotation:
    #: Files changed in ``var/`` (the outbox default), or none.
    files: tuple[Path, ...]
    #: ``NAME=value`` lines for the service's environment file (keys from the environment).
    environment: tuple[str, ...]
    #: How many older keys still verify after the rotation.
    previous: int


def rotate(settings: Settings) -> Rotation:
    """A new signing key; the current one joins the previous keys; the hash key stays.

    Keys from the environment cannot be changed from here: the new environment lines are
    returned for the operator to install (and restart). Keys in ``var/`` are rotated in place.
    """
    current = link_keys(settings)
    new = pysecrets.token_urlsafe(32)
    previous = (current.signing, *current.previous)
    if secrets().secret_key is not None:
        lines = (
            f"NEWSLETTER_SECRET_KEY={new}",
            "NEWSLETTER_PREVIOUS_SECRET_KEYS=" + " ".join(k.decode() for k in previous),
            f"NEWSLETTER_HASH_KEY={current.hashing.decode()}",
        )
        return Rotation((), lines, len(previous))
    var = settings.path(settings.paths.var)
    changed = [var / PREVIOUS_FILE, var / SIGNING_FILE]
    if not (var / HASH_FILE).exists():
        _create(var / HASH_FILE, current.hashing.decode())  # the hashes keep their key
        changed.insert(0, var / HASH_FILE)
    _replace(var / PREVIOUS_FILE, "\n".join(k.decode() for k in previous))
    _replace(var / SIGNING_FILE, new)
    return Rotation(tuple(changed), (), len(previous))
