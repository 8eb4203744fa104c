"""The one exception tree of ``newsletter``.

Every error a user can cause, or a vendor can raise, reaches the CLI and the web app as one of
these. Adapters translate vendor exceptions at the boundary (``raise ... from exc``), so nothing
above them ever sees ``sqlalchemy``, ``sendgrid`` or ``smtplib`` exceptions::

    NewsletterError                 base; ``str(err)`` is a message fit for a person
    ├── ConfigError                 bad or missing settings, missing secret for the chosen transport
    ├── InputError                  a user-supplied file or value is wrong (names file, row, field)
    │   ├── ImportFileError         a member file cannot be read at all (encoding, format)
    │   ├── SegmentError            unknown segment, bad rule tree
    │   └── CampaignError           campaign file invalid, missing template or segment
    ├── RenderError                 Jinja2 or MJML failed; carries template name and line
    │   └── TemplateSecurityError   sandbox escape, runaway template, unsafe URL
    ├── StateError                  an action is not allowed in the current state
    │   ├── NotApprovedError        not approved as it is now: not sent, scheduled steps held
    │   └── RateLimitError          too many requests from one client (the public signup form)
    ├── DeliveryError               raised by mail transports only
    │   ├── TransientDeliveryError  timeout, 429, 5xx: nothing recorded as sent, retry later
    │   ├── PermanentDeliveryError  the provider refused these rows; retrying will not help
    │   ├── AccountError            401/403: our key or account is refused; the rows stay
    │   │                           pending and the whole run stops
    │   └── OutboxError             the outbox folder cannot be written (disk full, read-only):
    │                               nothing of the batch is kept, the run stops, rows pending
    ├── TokenError                  unsubscribe / preference token is forged, expired or foreign
    │   └── TokenExpired            genuine but too old: carries who it was for (a fresh link)
    └── WebhookVerificationError    a provider event batch failed its signature check
"""

from __future__ import annotations


class NewsletterError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(NewsletterError):
    """Settings are missing or contradictory; raised at start, never mid-send."""


class InputError(NewsletterError):
    """A file or value supplied by a person is wrong.

    ``location`` names the file and, where known, the row, line or field, so the CLI can print
    ``members.csv:17: email: not a valid address`` without a traceback.
    """

    def __init__(self, message: str, *, location: str | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class ImportFileError(InputError):
    """A member file cannot be read at all (unknown encoding, not a CSV/XLSX, no email column)."""


class SegmentError(InputError):
    """A segment is unknown or its rule tree is invalid."""


class CampaignError(InputError):
    """A campaign definition is invalid or refers to something that does not exist."""


class RenderError(NewsletterError):
    """Rendering a template failed (undefined variable, syntax error, broken MJML)."""

    def __init__(self, message: str, *, template: str | None = None, line: int | None = None):
        self.template = template
        self.line = line
        where = template or "<template>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")


class TemplateSecurityError(RenderError):
    """A template tried to leave the sandbox, ran too long, grew too large or used an unsafe URL."""


class StateError(NewsletterError):
    """The action is not allowed in the current state (e.g. sending a cancelled campaign)."""


class NotApprovedError(StateError):
    """The campaign is not approved as it is now: it was never approved, or it changed since
    its approval (newsletter.authoring.approvals). Nothing is sent; scheduled steps are held."""


class RateLimitError(StateError):
    """Too many requests from one client address in the window; try again later."""


class DeliveryError(NewsletterError):
    """A transport failed to hand a batch to the mail system."""


class TransientDeliveryError(DeliveryError):
    """The provider may accept the same batch later (timeout, 429, 5xx, connection refused).

    ``retry_after`` is the number of seconds the provider asked us to wait, when it said so.
    ``maybe_sent`` is true when the request may have reached the provider (timeout after sending,
    dropped connection): the rows must become ``unknown``, not ``pending``. ``throttled`` is true
    for a rate-limit answer (429): the attempt does not count against the rows.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        maybe_sent: bool = False,
        throttled: bool = False,
    ) -> None:
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent
        self.throttled = throttled
        super().__init__(message)


class PermanentDeliveryError(DeliveryError):
    """The provider refused the batch for a reason that will not go away by retrying."""


class UnbuildableMessage(PermanentDeliveryError):
    """A message could not be built (a control character in a header, say): the rows it was
    for fail with this reason rather than stay ``sending``."""


class AccountError(DeliveryError):
    """The provider refused our credentials or account (401/403, SMTP login refused).

    Nothing in the batch was sent and no later batch will be: the run stops, the rows stay
    pending, and a person has to fix the key or the account. A sibling of
    :class:`PermanentDeliveryError`, not a kind of it: for the rows it means the opposite
    (they did not fail; they are still to be sent).
    """


class OutboxError(DeliveryError):
    """The outbox transport cannot write its folder (the disk is full, the file system is
    read-only, a permission is missing). A fault of this machine, not of the batch: no file
    of the batch is left behind, the rows stay pending, and the run stops, as for
    :class:`AccountError`, since trying the next batch would only fail the same way."""


class TokenError(NewsletterError):
    """A signed link token is malformed, forged, expired or meant for another purpose."""


class TokenExpired(TokenError):
    """A genuine token (its signature holds) that is past its lifetime. ``member_id`` and
    ``topic`` say whom it was for, so the page can offer to send that member a fresh link."""

    def __init__(self, member_id: int, topic: str) -> None:
        super().__init__("link expired")
        self.member_id = member_id
        self.topic = topic


class WebhookVerificationError(NewsletterError):
    """A webhook request failed signature or freshness verification."""
