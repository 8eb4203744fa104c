"""The outbox transport: one RFC 5322 ``.eml`` file per recipient, written atomically.

A file appears complete or not at all (write to a temporary name, fsync, rename), so a crash
never leaves half a message that a later tool would mistake for a sent one; a batch that cannot
be written whole (a full disk) leaves none of its files, and raises :class:`OutboxError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from newsletter.content.rendering.compose import Batch
from newsletter.content.rendering.mime import to_mime
from newsletter.core.private_files import open_private, private_dir
from newsletter.delivery.ports import SendResult
from newsletter.errors import OutboxError


def message_id(delivery_id: int | None, sender: str) -> str:
    """RFC 5322 §3.6.4 msg-id: no spaces or colons on the left, the sender's domain on the right."""
    domain = sender.rsplit("@", 1)[-1]
    left = f"{uuid.uuid4().hex}.{delivery_id}" if delivery_id is not None else uuid.uuid4().hex
    return f"<{left}@{domain}>"


class OutboxMailer:
    name = "outbox"
    max_batch = 1000

    def __init__(self, folder: Path, now: Callable[[], dt.datetime]) -> None:
        self.folder = folder
        self._now = now

    def send(self, batch: Batch) -> SendResult:
        variant = batch.variant
        target = self.folder / f"{variant.campaign}" / variant.step
        written: list[Path] = []
        try:
            private_dir(target)
            for message in batch.messages():
                mime = to_mime(
                    message,
                    message_id=message_id(message.delivery_id, message.from_email),
                    date=self._now(),
                )
                name = (
                    f"{message.delivery_id:07d}.eml"
                    if message.delivery_id is not None
                    else f"test-{uuid.uuid4().hex[:12]}.eml"
                )
                _write_atomically(target / name, mime.as_bytes())
                written.append(target / name)
        except OSError as exc:
            # The batch is all or nothing: its rows go back to pending, so the messages
            # already written for it go too (the outbox never holds a message its ledger row
            # does not call sent), which also gives a full disk its space back.
            _remove(written)
            why = exc.strerror or type(exc).__name__
            raise OutboxError(
                f"cannot write to the outbox {target}: {why}; "
                + (
                    "free some space and send again"
                    if exc.errno in (errno.ENOSPC, errno.EDQUOT)
                    else "check that folder's permissions and file system, then send again"
                )
            ) from exc
        return SendResult(provider_id=None)

    def delivered(self, campaign: str, step: str, ids: Sequence[int]) -> set[int]:
        """Rows whose ``.eml`` is in the outbox (written whole or not at all)."""
        target = self.folder / campaign / step
        return {i for i in ids if (target / f"{i:07d}.eml").is_file()}

    def withdraw(self, campaign: str, step: str, ids: Sequence[int]) -> None:
        """Remove the messages of rows the ledger could not record as sent (the database
        failed right after the write): nothing has left this machine, and a message stays
        only where its row says sent. A crash in between is settled at the next send instead
        (:meth:`delivered`)."""
        target = self.folder / campaign / step
        _remove([target / f"{i:07d}.eml" for i in ids])

    def close(self) -> None:
        return None


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # 0600: a message names its member and carries their working links.
    try:
        with os.fdopen(open_private(tmp), "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk leaves no partial file behind
        raise
