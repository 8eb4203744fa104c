"""Compose: campaign + language -> a finished variant; variant + recipient -> one message.

This is the function both ``campaigns preview`` and ``campaigns send`` call, so what staff
preview is byte for byte what members get. Jinja renders the MJML template and its plain-text
twin once per (step, language) variant, MJML is compiled once per variant, never per recipient;
recipients differ only in merge fields (see :mod:`merge`), filled in by :func:`render_message`
or by SendGrid's ``substitutions``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from jinja2 import Environment, TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from newsletter.content.domain.campaigns import CampaignDefinition
from newsletter.content.rendering import ics as calendar
from newsletter.content.rendering import merge
from newsletter.content.rendering.linkcheck import check_links
from newsletter.content.rendering.messages import (
    Attachment,
    Batch,
    ComposedVariant,
    Organisation,
    OutboundMessage,
    Personalization,
    Sender,
    render_message,
)
from newsletter.content.rendering.mjml import compile_mjml
from newsletter.content.rendering.personalize import (
    Personalizer,
    bulk_headers,
    merge_values,
    personalize,
)
from newsletter.content.rendering.sandbox import Limits, render
from newsletter.content.rendering.variables import template_variables
from newsletter.core.catalogs import in_language
from newsletter.errors import RenderError, TemplateSecurityError

__all__ = [
    "MAX_HTML_BYTES",
    "Attachment",
    "Batch",
    "ComposedVariant",
    "Organisation",
    "OutboundMessage",
    "Personalization",
    "Personalizer",
    "Sender",
    "bulk_headers",
    "check_links",
    "compose_variant",
    "merge_values",
    "personalize",
    "render_message",
    "text_template_name",
]

#: Gmail clips messages whose HTML exceeds about 102 KB, hiding the footer with the
#: unsubscribe link; we stop at 100 KB.
MAX_HTML_BYTES = 100_000


def text_template_name(template: str) -> str:
    """``x.mjml.j2`` is paired with ``x.txt.j2``: the plain-text part from the same content."""
    base = template.removesuffix(".j2").removesuffix(".mjml")
    return f"{base}.txt.j2"


def compose_variant(
    campaign: CampaignDefinition,
    step: str,
    language: str,
    *,
    env: Environment,
    organisation: Organisation,
    ui: Mapping[str, Mapping[str, str]],
    revisions: Mapping[str, calendar.Revision] | None = None,
    limits: Limits | None = None,
    image_hosts: Collection[str] | None = None,
) -> ComposedVariant:
    """Render one (step, language) variant, or raise RenderError naming template and line.

    ``revisions`` (SEQUENCE and DTSTAMP per calendar UID, kept by the caller) turn on the
    ``.ics`` attachment; without them the variant has the calendar links only.
    ``image_hosts``: the only hosts the finished HTML may load images from (None: unchecked).
    """
    message = campaign.step(step)
    try:
        subject = merge.neutralise(message.subject_for(language))
    except KeyError as exc:
        raise RenderError(f"no subject for language {language}", template=message.template) from exc
    try:
        preheader = message.preheader_for(language)
    except KeyError as exc:
        raise RenderError(
            f"no preheader for language {language}", template=message.template
        ) from exc
    strings = ui_for(ui, language)
    entries = calendar.entries(campaign, calendar_domain(organisation))
    # The header band and footer name the organisation in the reader's language.
    identity = organisation.in_language(language)
    base = template_variables(
        campaign, message, step, language, subject, preheader, identity, strings, entries
    )
    base["calendar_attached"] = bool(entries) and revisions is not None
    milestones = list(campaign.milestones)
    limits = limits or Limits()
    mjml_source = _render(env, message.template, base, milestones, limits, html_part=True)
    html = merge.mark_urls_in_html(compile_mjml(mjml_source, template=message.template))
    if len(html.encode("utf-8")) > MAX_HTML_BYTES:
        raise RenderError(
            f"HTML is {len(html.encode()) // 1000} KB; Gmail clips above ~100 KB and hides the "
            "footer with the unsubscribe link",
            template=message.template,
        )
    check_links(html, template=message.template, image_hosts=image_hosts)
    text_name = text_template_name(message.template)
    text = merge.mark_urls_in_text(
        _render(env, text_name, base, milestones, limits, html_part=False)
    )
    attachments: tuple[Attachment, ...] = ()
    if entries and revisions is not None:
        attachments = (_ics(campaign, entries, base, revisions, organisation),)
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
        attachments=attachments,
    )


def calendar_domain(organisation: Organisation) -> str:
    """The right-hand side of calendar UIDs: the organisation's own web domain."""
    host = organisation.website.split("://", 1)[-1].split("/", 1)[0]
    return host or "newsletter.invalid"


def ui_for(ui: Mapping[str, Mapping[str, str]], language: str) -> dict[str, str]:
    """UI strings of ``language``; Serbian Latin from Cyrillic, English for what is missing
    (``campaigns validate`` lists those gaps)."""
    return in_language(ui, language)


def _ics(
    campaign: CampaignDefinition,
    entries: list[calendar.Entry],
    base: Mapping[str, Any],
    revisions: Mapping[str, calendar.Revision],
    organisation: Organisation,
) -> Attachment:
    data = calendar.ics(
        entries,
        {e["key"]: e["title"] for e in base["calendar"]},
        location=base["calendar_location"],
        url=base["calendar_url"],
        description=base["calendar_details"],
        revisions=revisions,
        producer=organisation.name,
    )
    params = (("method", "PUBLISH"), ("charset", "utf-8"))
    return Attachment(f"{campaign.slug}.ics", "text/calendar", data, params)


def _render(
    env: Environment,
    name: str,
    context: dict[str, Any],
    milestones: Sequence[str],
    limits: Limits,
    *,
    html_part: bool,
) -> str:
    ctx = {
        **context,
        "recipient": merge.recipient_proxy(html_part=html_part),
        "links": merge.links_proxy(html_part=html_part),
        "local": merge.local_proxy(milestones, html_part=html_part),
    }
    try:
        return render(env.get_template(name), ctx, limits)
    except SecurityError as exc:
        raise TemplateSecurityError(
            f"not allowed in a template: {exc}", template=name, line=_template_line(exc)
        ) from exc
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
    except RecursionError as exc:
        raise TemplateSecurityError("template recurses without end", template=name) from exc
    except (
        TemplateError,
        AttributeError,
        TypeError,
        ValueError,
        KeyError,
        ArithmeticError,
    ) as exc:
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
