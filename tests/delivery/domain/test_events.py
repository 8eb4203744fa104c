"""SendGrid events in our words, what they change, and the complaint-rate levels."""

from __future__ import annotations

import datetime as dt

import pytest

from newsletter.delivery.domain.events import (
    Action,
    CampaignStats,
    ComplaintLevel,
    Effect,
    EventKind,
    EventProblem,
    complaint_level,
    effects,
)
from newsletter.delivery.transports.sendgrid.events import parse as parse_sendgrid


def raw(event: str, **extra: object) -> dict[str, object]:
    return {
        "email": "Ana@Klaster.example",
        "timestamp": 1443657600,
        "event": event,
        "sg_event_id": f"ev-{event}",
        "sg_message_id": "msg123.filterdrecv-p3las1-1-5-0",
        "nl_delivery_id": "42",
        **extra,
    }


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("processed", EventKind.ACCEPTED),
        ("delivered", EventKind.DELIVERED),
        ("deferred", EventKind.DEFERRED),
        ("bounce", EventKind.BOUNCED),
        ("dropped", EventKind.DROPPED),
        ("open", EventKind.OPENED),
        ("click", EventKind.CLICKED),
        ("spamreport", EventKind.COMPLAINED),
        ("unsubscribe", EventKind.UNSUBSCRIBED),
        ("group_unsubscribe", EventKind.GROUP_UNSUBSCRIBED),
        ("group_resubscribe", EventKind.GROUP_RESUBSCRIBED),
    ],
)
def test_every_sendgrid_event_has_our_name(name: str, kind: EventKind) -> None:
    event = parse_sendgrid(raw(name))
    assert event is not None and event.kind is kind
    assert event.delivery_id == 42
    assert event.occurred_at == dt.datetime(2015, 10, 1, tzinfo=dt.UTC)
    assert event.provider_event_id == f"ev-{name}"
    assert event.message_id == "msg123"
    assert "email" not in event.payload  # the member row holds the address, erasure removes it


def test_bounce_type_blocked_is_a_soft_bounce() -> None:
    hard = parse_sendgrid(raw("bounce", type="bounce", reason="550 5.1.1 no such user"))
    soft = parse_sendgrid(raw("bounce", type="blocked", reason="421 try later"))
    assert hard is not None and hard.kind is EventKind.BOUNCED
    assert soft is not None and soft.kind is EventKind.BLOCKED
    assert Effect(Action.SUPPRESS_BOUNCED) in effects(hard, group_topics={})
    assert Effect(Action.SUPPRESS_BOUNCED) not in effects(soft, group_topics={})


def test_retried_event_with_a_new_sg_event_id_has_the_same_content_key() -> None:
    first = parse_sendgrid(raw("click", url="https://clusterhouse.example/a"))
    retry = parse_sendgrid(raw("click", url="https://clusterhouse.example/a", sg_event_id="new"))
    other = parse_sendgrid(raw("click", url="https://clusterhouse.example/b"))
    assert first is not None and retry is not None and other is not None
    assert first.provider_event_id != retry.provider_event_id
    assert first.dedupe_key == retry.dedupe_key
    assert first.dedupe_key != other.dedupe_key
    # The address is compared case-insensitively.
    upper = parse_sendgrid(
        {**raw("click", url="https://clusterhouse.example/a"), "email": "ANA@klaster.example"}
    )
    assert upper is not None and upper.dedupe_key == first.dedupe_key


def test_effects() -> None:
    groups = {7: "events"}

    def of(name: str, **extra: object) -> tuple[Effect, ...]:
        event = parse_sendgrid(raw(name, **extra))
        assert event is not None
        return effects(event, group_topics=groups)

    assert of("processed") == (Effect(Action.CONFIRM_SENT),)
    assert of("delivered") == (Effect(Action.CONFIRM_SENT),)
    assert of("spamreport") == (Effect(Action.CONFIRM_SENT), Effect(Action.SUPPRESS_COMPLAINED))
    assert of("group_unsubscribe", asm_group_id=7) == (
        Effect(Action.CONFIRM_SENT),
        Effect(Action.END_TOPIC, "events"),
    )
    # An unmapped group: the topic of the delivery's campaign (decided by the store).
    assert of("group_unsubscribe", asm_group_id=99)[1] == Effect(Action.END_TOPIC, None)
    assert of("group_resubscribe", asm_group_id=7)[1] == Effect(Action.RESUME_TOPIC, "events")
    assert of("unsubscribe")[1] == Effect(Action.END_ALL_TOPICS)
    assert of("dropped", reason="Bounced Address") == (
        Effect(Action.CONFIRM_DROPPED),
        Effect(Action.SUPPRESS_BOUNCED),
    )
    assert of("dropped", reason="Spam Reporting Address")[1] == Effect(Action.SUPPRESS_COMPLAINED)
    assert of("dropped", reason="Unsubscribed Address") == (Effect(Action.CONFIRM_DROPPED),)


def test_test_send_events_are_ignored_and_junk_is_named() -> None:
    assert parse_sendgrid({**raw("delivered"), "nl_test": "1"}) is None
    with pytest.raises(EventProblem, match="unknown event type"):
        parse_sendgrid(raw("teleported"))
    with pytest.raises(EventProblem, match="no email"):
        parse_sendgrid({**raw("open"), "email": None})
    with pytest.raises(EventProblem, match="no timestamp"):
        parse_sendgrid({**raw("open"), "timestamp": None})
    with pytest.raises(EventProblem, match="JSON object"):
        parse_sendgrid(["open"])


def test_delivery_id_must_be_a_number() -> None:
    event = parse_sendgrid({**raw("open"), "nl_delivery_id": "42; DROP TABLE"})
    assert event is not None and event.delivery_id is None


def test_complaint_levels_at_the_gmail_thresholds() -> None:
    assert complaint_level(0, 10_000) is ComplaintLevel.OK
    assert complaint_level(9, 10_000) is ComplaintLevel.OK  # 0.09 %
    assert complaint_level(10, 10_000) is ComplaintLevel.WARN  # 0.1 %
    assert complaint_level(29, 10_000) is ComplaintLevel.WARN
    assert complaint_level(30, 10_000) is ComplaintLevel.BLOCK  # 0.3 %


def test_acknowledged_block_lifts_until_more_complaints_arrive() -> None:
    stats = CampaignStats(sent=1000, delivered=1000, complained=3)
    assert stats.blocks
    acknowledged = CampaignStats(sent=1000, delivered=1000, complained=3, acknowledged_complaints=3)
    assert not acknowledged.blocks
    more = CampaignStats(sent=1000, delivered=1000, complained=4, acknowledged_complaints=3)
    assert more.blocks
    # Rates fall back to what was handed over when the transport reports no deliveries.
    assert CampaignStats(sent=200, opened=50).rate(50) == 0.25
