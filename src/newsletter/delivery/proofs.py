"""Proofs (test sends): any step (the announcement or a reminder) as members of one language,
or of every language of the campaign at once, would get it, sent to test addresses.

The subject starts with ``[TEST]``; nothing is planned, claimed or recorded in the ledger (test
messages carry no delivery id, so their provider events are ignored too). The unsubscribe and
preference links are test links (context.py ``test_purpose``): they open a page saying it was a
test, in the test's language, and change nobody's subscription. At most
:data:`MAX_TEST_RECIPIENTS` addresses at once: it is not a way round the ledger. Who may
receive a test (staff, or another address an editor confirmed) is the caller's decision.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from newsletter.audiences.domain.deliveries import Recipient
from newsletter.content.composing import compose_step, personalization_for, sample_recipient
from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.content.rendering.compose import Batch
from newsletter.core.addresses import AddressError, normalize_address
from newsletter.delivery.batch_sender import Sleep
from newsletter.delivery.ports import DeliveryServices
from newsletter.delivery.sending import check_step
from newsletter.errors import CampaignError, InputError

#: At most this many test addresses per test send: it is not a way round the ledger.
MAX_TEST_RECIPIENTS = 20
TEST_PREFIX = "[TEST] "


@dataclass
class TestSendReport:
    campaign: str
    step: str
    language: str
    transport: str
    subject: str
    recipients: list[str] = field(default_factory=list)
    provider_id: str | None = None
    refused: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def send_test(
    ctx: DeliveryServices,
    ref: str,
    to: Sequence[str],
    *,
    step: str = MAIN_STEP,
    language: str | None = None,
    sleep: Sleep = time.sleep,
) -> TestSendReport:
    """Send the step, as members of ``language`` would get it, to staff addresses.

    The subject starts with ``[TEST]``; nothing is planned, claimed or recorded in the ledger
    (test messages carry no delivery id, so their provider events are ignored too). An address
    that belongs to a member gets that member's merge fields; any other gets a sample reader's.
    """
    campaign, _ = ctx.catalog.campaign(ref)
    check_step(campaign, step)
    addresses = _test_addresses(to)
    lang = campaign.variant_for(language or campaign.default_language)
    if language is not None and language not in campaign.languages and lang != language:
        raise CampaignError(
            f"{campaign.slug} is not written in {language}; languages: "
            f"{', '.join(campaign.languages)}"
        )
    variant = compose_step(ctx, campaign, step, [lang])[lang]
    variant = dataclasses.replace(variant, subject=TEST_PREFIX + variant.subject)
    issued = int(ctx.clock.now().timestamp())
    people = []
    for address in addresses:
        recipient = _test_recipient(ctx, address, lang)
        person = personalization_for(ctx, campaign, recipient, issued, test_language=lang)
        people.append(dataclasses.replace(person, delivery_id=None))
    report = TestSendReport(campaign.slug, step, lang, ctx.transport, variant.subject, addresses)
    mailer = ctx.mailer()
    try:
        # One message per request, so a refusal names its address (transports key refusals by
        # delivery id, and a test message has none).
        for address, person in zip(addresses, people, strict=True):
            while (delay := ctx.limiter.reserve(1, now=ctx.clock.now())) > 0:
                sleep(delay)
            result = mailer.send(Batch(variant, ctx.sender, (person,)))
            report.provider_id = result.provider_id or report.provider_id
            trouble = [*result.rejected.values(), *result.deferred.values()]
            trouble += list(result.unknown.values())
            if trouble:
                report.refused[address] = trouble[0]
    finally:
        mailer.close()
    return report


def send_tests(
    ctx: DeliveryServices,
    ref: str,
    to: Sequence[str],
    *,
    step: str = MAIN_STEP,
    languages: Sequence[str] | None = None,
    sleep: Sleep = time.sleep,
) -> list[TestSendReport]:
    """:func:`send_test` in each of ``languages`` (None: every language of the campaign, Serbian
    Latin included where it is generated), checked before the first message goes out."""
    campaign, _ = ctx.catalog.campaign(ref)
    check_step(campaign, step)
    _test_addresses(to)
    chosen = list(campaign.languages) if languages is None else list(dict.fromkeys(languages))
    unknown = [lang for lang in chosen if lang not in campaign.languages]
    if unknown:
        raise CampaignError(
            f"{campaign.slug} is not written in {', '.join(unknown)}; languages: "
            f"{', '.join(campaign.languages)}"
        )
    # Compose every language first: a language that does not render stops the test before
    # anything is sent, never half of it.
    compose_step(ctx, campaign, step, chosen)
    return [
        send_test(ctx, campaign.slug, to, step=step, language=lang, sleep=sleep) for lang in chosen
    ]


def _test_addresses(to: Sequence[str]) -> list[str]:
    if not to:
        raise InputError("a test send needs at least one --test-to address")
    found: dict[str, str] = {}
    for raw in to:
        try:
            stored, key = normalize_address(raw)
        except AddressError as exc:
            raise InputError(f"not an email address: {exc}", location=raw) from exc
        found.setdefault(key, stored)
    if len(found) > MAX_TEST_RECIPIENTS:
        raise InputError(f"at most {MAX_TEST_RECIPIENTS} test addresses at once")
    return list(found.values())


def _test_recipient(ctx: DeliveryServices, address: str, language: str) -> Recipient:
    try:
        member = sample_recipient(ctx, address, language)
    except CampaignError:  # not a member: a staff address gets the sample reader's fields
        member = dataclasses.replace(sample_recipient(ctx, None, language), email=address)
    return dataclasses.replace(member, language=language)
