"""Compose: campaign + language -> a finished variant; variant + recipient -> one message.

This is the function both ``campaigns preview`` and ``campaigns send`` call, so what staff
preview is byte for byte what members get. MJML is compiled once per (step, language) variant,
never per recipient; recipients differ only in merge fields (see :mod:`merge`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from newsletter.domain.campaigns import CampaignDefinition
from newsletter.domain.deliveries import Recipient
from newsletter.errors import RenderError, TemplateSecurityError
from newsletter.rendering import merge
from newsletter.rendering.mjml import compile_mjml

#: Gmail clips messages whose HTML exceeds about 102 KB, hiding the footer with the
#: unsubscribe link (reliability DEL-05); we stop at 100 KB.
MAX_HTML_BYTES = 100_000
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str
    postal_address: str
    website: str


@dataclass(frozen=True, slots=True)
class Sender:
    email: str
    name: str
    reply_to: str = ""


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


def text_template_name(template: str) -> str:
    """``x.mjml.j2`` is paired with ``x.txt.j2``: the plain-text part from the same content."""
    base = template.removesuffix(".j2").removesuffix(".mjml")
    return f"{base}.txt.j2"


def compose_variant(
    campaign: CampaignDefinition,
    step: str,
    language: str,
    *,
    env: SandboxedEnvironment,
    organisation: Organisation,
    ui: Mapping[str, Mapping[str, str]],
) -> ComposedVariant:
    """Render one (step, language) variant, or raise RenderError naming template and line."""
    message = campaign.step(step)
    try:
        subject = message.subject_for(language)
    except KeyError as exc:
        raise RenderError(f"no subject for language {language}", template=message.template) from exc
    try:
        preheader = message.preheader_for(language)
    except KeyError as exc:
        raise RenderError(
            f"no preheader for language {language}", template=message.template
        ) from exc
    base: dict[str, Any] = {
        "lang": language,
        "dir": "rtl" if language.split("-")[0] in RTL_LANGUAGES else "ltr",
        "subject": subject,
        "preheader": preheader,
        "t": message.copy_for(language),
        "c": campaign.content,
        "milestones": campaign.milestones,
        # The milestone a reminder step serves (None for the announcement itself).
        "milestone": campaign.milestones.get(getattr(message, "milestone", ""), None),
        "campaign": {
            "slug": campaign.slug,
            "title": campaign.title,
            "kind": campaign.kind,
            "topic": campaign.topic,
            "step": step,
        },
        "org": organisation,
        "ui": _ui_for(ui, language),
    }
    mjml_source = _render(env, message.template, base, html_part=True)
    html = compile_mjml(mjml_source, template=message.template)
    if len(html.encode("utf-8")) > MAX_HTML_BYTES:
        raise RenderError(
            f"HTML is {len(html.encode()) // 1000} KB; Gmail clips above ~100 KB and hides the "
            "footer with the unsubscribe link",
            template=message.template,
        )
    text = _render(env, text_template_name(message.template), base, html_part=False)
    return ComposedVariant(
        campaign=campaign.slug,
        step=step,
        language=language,
        topic=campaign.topic,
        subject=subject,
        preheader=preheader,
        html=html,
        text=text,
        categories=tuple(campaign.categories),
    )


def _ui_for(ui: Mapping[str, Mapping[str, str]], language: str) -> dict[str, str]:
    strings = dict(ui.get("en", {}))
    strings.update(ui.get(language, {}))
    return strings


def _render(
    env: SandboxedEnvironment, name: str, context: dict[str, Any], *, html_part: bool
) -> str:
    ctx = {
        **context,
        "recipient": merge.recipient_proxy(html_part=html_part),
        "links": merge.links_proxy(html_part=html_part),
    }
    try:
        return env.get_template(name).render(ctx)
    except SecurityError as exc:
        raise TemplateSecurityError(f"not allowed in a template: {exc}", template=name) from exc
    except TemplateNotFound as exc:
        raise RenderError(f"template not found: {exc.name}", template=name) from exc
    except TemplateSyntaxError as exc:
        raise RenderError(
            exc.message or "syntax error", template=exc.name or name, line=exc.lineno
        ) from exc
    except UndefinedError as exc:
        raise RenderError(
            exc.message or "undefined variable", template=name, line=_template_line(exc)
        ) from exc
    except (TemplateError, AttributeError, TypeError, ValueError, KeyError) as exc:
        raise RenderError(str(exc), template=name, line=_template_line(exc)) from exc


def _template_line(exc: BaseException) -> int | None:
    """Jinja rewrites tracebacks so template frames carry the template line number."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


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


def personalize(
    recipient: Recipient, *, unsubscribe_url: str, preferences_url: str, list_id: str
) -> Personalization:
    """Merge values and the bulk-sender headers for one recipient."""
    values = merge_values(recipient, unsubscribe_url, preferences_url)
    return Personalization(
        delivery_id=recipient.delivery_id,
        to_email=recipient.email,
        to_name=recipient.full_name,
        substitutions=merge.substitutions(values),
        headers=bulk_headers(unsubscribe_url, list_id),
    )


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
    )


def merge_values(
    recipient: Recipient, unsubscribe_url: str, preferences_url: str
) -> dict[str, str]:
    return {
        "first_name": recipient.first_name,
        "last_name": recipient.last_name,
        "full_name": recipient.full_name,
        "organization": recipient.organization,
        "email": recipient.email,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
    }


def bulk_headers(unsubscribe_url: str, list_id: str) -> tuple[tuple[str, str], ...]:
    """RFC 8058 §3.1 one-click unsubscribe (an https URI in angle brackets, and the exact POST
    body), RFC 2919 List-Id so filters and Gmail group the stream."""
    return (
        ("List-Unsubscribe", f"<{unsubscribe_url}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("List-Id", list_id),
    )
