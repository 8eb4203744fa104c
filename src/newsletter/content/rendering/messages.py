"""The values that travel from composing to the transports.

A :class:`ComposedVariant` is one (step, language) rendering with merge placeholders; a
:class:`Personalization` is what differs per recipient; :func:`render_message` puts the two
together into the :class:`OutboundMessage` that preview shows and the outbox and SMTP send.
SendGrid gets the variant once per request and the personalizations as ``substitutions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from newsletter.content.rendering import merge
from newsletter.core.serbian import to_latin


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str
    postal_address: str
    website: str
    #: The name and postal address as the organisation writes them in other languages:
    #: (BCP 47 tag, name, postal address), an empty part meaning "as the default".
    translations: tuple[tuple[str, str, str], ...] = ()

    def in_language(self, language: str) -> Organisation:
        """The organisation as a reader of ``language`` sees it in the header band and footer.

        The language's own translation; for Serbian Latin without one, the Cyrillic one
        transliterated (always safe in that direction); else the default. A Cyrillic email
        that names its sender in English is what spam filters score as mixed scripts.
        """
        own = {lang: (name, address) for lang, name, address in self.translations}
        found = own.get(language) or own.get(language.split("-", 1)[0])
        if found is None and language == "sr-Latn" and "sr-Cyrl" in own:
            name, address = own["sr-Cyrl"]
            found = (to_latin(name), to_latin(address))
        if found is None:
            return self
        name, address = found
        return replace(self, name=name or self.name, postal_address=address or self.postal_address)


@dataclass(frozen=True, slots=True)
class Sender:
    email: str
    name: str
    reply_to: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with every message of a variant (the same bytes for each recipient)."""

    filename: str
    content_type: str  # "text/calendar"
    data: bytes
    #: Extra Content-Type parameters, e.g. (("method", "PUBLISH"),) for iCalendar (RFC 6047).
    params: tuple[tuple[str, str], ...] = ()

    @property
    def maintype(self) -> str:
        return self.content_type.split("/", 1)[0]

    @property
    def subtype(self) -> str:
        return self.content_type.split("/", 1)[1]


@dataclass(frozen=True, slots=True)
class ComposedVariant:
    campaign: str
    step: str
    language: str
    topic: str
    subject: str
    preheader: str
    html: str
    text: str
    categories: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One finished email for one recipient, transport-neutral."""

    delivery_id: int | None
    to_email: str
    to_name: str
    from_email: str
    from_name: str
    reply_to: str
    subject: str
    html: str
    text: str
    headers: tuple[tuple[str, str], ...]
    categories: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Personalization:
    """One recipient of a batch: who, their merge values and their own headers."""

    delivery_id: int | None
    to_email: str
    to_name: str
    substitutions: Mapping[str, str]
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Batch:
    """Recipients that share one composed variant: one SendGrid request, or N MIME messages."""

    variant: ComposedVariant
    sender: Sender
    personalizations: tuple[Personalization, ...]

    def messages(self) -> list[OutboundMessage]:
        return [render_message(self.variant, self.sender, p) for p in self.personalizations]


def render_message(
    variant: ComposedVariant, sender: Sender, person: Personalization
) -> OutboundMessage:
    """The finished message for one recipient: what preview shows and what the outbox writes."""
    return OutboundMessage(
        delivery_id=person.delivery_id,
        to_email=person.to_email,
        to_name=person.to_name,
        from_email=sender.email,
        from_name=sender.name,
        reply_to=sender.reply_to,
        subject=variant.subject,
        html=merge.fill(variant.html, person.substitutions),
        text=merge.fill(variant.text, person.substitutions),
        headers=person.headers,
        categories=variant.categories,
        attachments=variant.attachments,
    )
