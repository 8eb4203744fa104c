"""The one module that imports the MJML engine (mjml-python, a binding of the Rust MRML).

Two installable packages provide a top-level ``mjml`` module; we depend on ``mjml-python`` only.
``fonts={}`` stops MJML from linking Google Fonts (its default font map does), which would leak
every open to a third party (GDPR) and slow rendering in clients that fetch it.
"""

from __future__ import annotations

import re

from mjml import mjml2html

from newsletter.errors import RenderError

_POSITION = re.compile(r"at position (\d+):(\d+)")


def compile_mjml(source: str, *, template: str | None = None) -> str:
    """Compile MJML to HTML, or raise RenderError naming the line of the offending token."""
    try:
        html: str = mjml2html(source, disable_comments=True, fonts={})
    except (ValueError, TypeError) as exc:
        message = str(exc)
        line = None
        found = _POSITION.search(message)
        if found:
            # MRML reports byte offsets, not lines (verified on mjml-python 1.4.2).
            offset = int(found.group(1))
            line = source.encode("utf-8")[:offset].count(b"\n") + 1
        raise RenderError(f"MJML: {message}", template=template, line=line) from exc
    return html
