"""The outbox transport: one RFC 5322 ``.eml`` file per recipient, written atomically.

A file appears complete or not at all (write to a temporary name, fsync, rename), so a crash
never leaves half a message that a later tool would mistake for a sent one.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from newsletter.content.rendering.compose import Batch
from newsletter.content.rendering.mime import to_mime
from newsletter.core.private_files import open_private, private_dir
from newsletter.delivery.ports import SendResult
from newsletter.errors import TransientDeliveryError


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
        except OSError as exc:
            raise TransientDeliveryError(f"cannot write to outbox {target}: {exc}") from exc
        return SendResult(provider_id=None)

    def delivered(self, campaign: str, step: str, ids: Sequence[int]) -> set[int]:
        """Rows whose ``.eml`` is in the outbox (written whole or not at all)."""
        target = self.folder / campaign / step
        return {i for i in ids if (target / f"{i:07d}.eml").exists()}

    def close(self) -> None:
        return None


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
