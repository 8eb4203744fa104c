"""Provider events through the service and the SQL store: joined by our delivery id, applied
once however often they arrive, moving things only forward. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from newsletter.audiences.domain.privacy import suppression_hash
from newsletter.cli import main
from newsletter.db.tables import consent_events, deliveries, events, members, subscriptions
from newsletter.delivery.ingest import ingest_events
from tests.services import Services
from tests.synthetic import add_deliveries, add_members

T = 1441094400  # 2015-09-01 08:00 UTC


def engine_of(ctx: Services) -> Engine:
    return ctx.ledger.engine  # type: ignore[attr-defined,no-any-return]


def ev(event: str, delivery: int | None, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "email": f"member{n}@synthetic.example",
        "timestamp": T + n,
        "event": event,
        "sg_event_id": f"{event}-{delivery}-{n}-{extra.pop('eid', '')}",
        "sg_message_id": f"msg{n}.filter0001",
        **({"nl_delivery_id": str(delivery)} if delivery is not None else {}),
        **extra,
    }


def status_of(engine: Engine, table: Any, key: Any, value: Any, col: str = "status") -> Any:
    with engine.connect() as conn:
        return conn.execute(select(table.c[col]).where(key == value)).scalar()


def test_unknown_rows_become_sent_on_processed_and_delivered(ctx: Services) -> None:
    engine = engine_of(ctx)
    mids = add_members(engine, 3)
    _, dids = add_deliveries(engine, mids, status="unknown")
    report = ingest_events(ctx, [ev("processed", dids[0], 0), ev("delivered", dids[1], 1)])
    assert report.new == 2 and report.confirmed == 2
    assert [status_of(engine, deliveries, deliveries.c.id, d) for d in dids] == [
        "sent",
        "sent",
        "unknown",
    ]
    msg = status_of(engine, deliveries, deliveries.c.id, dids[0], "provider_message_id")
    assert msg == "msg0"  # the request's X-Message-Id, without SendGrid's suffix


def test_a_batch_delivered_twice_is_applied_once(ctx: Services) -> None:
    engine = engine_of(ctx)
    mids = add_members(engine, 4)
    _, dids = add_deliveries(engine, mids)
    batch = [
        ev("delivered", dids[0], 0),
        ev("open", dids[0], 0, useragent="Mozilla"),
        ev("click", dids[1], 1, url="https://clusterhouse.example/register"),
        ev("spamreport", dids[2], 2),
    ]
    first = ingest_events(ctx, batch)
    assert (first.new, first.duplicates, first.suppressed) == (4, 0, 1)
    again = ingest_events(ctx, json.loads(json.dumps(batch)))
    assert (again.new, again.duplicates, again.suppressed) == (0, 4, 0)
    # A retry of the same event under a new sg_event_id is still the same event.
    retried = [{**batch[2], "sg_event_id": "brand-new"}, {**batch[3], "sg_event_id": "new-2"}]
    assert ingest_events(ctx, retried).duplicates == 2
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 4


def test_hard_bounce_and_complaint_suppress_everywhere(ctx: Services) -> None:
    engine = engine_of(ctx)
    mids = add_members(engine, 4, topics=("events", "news"))
    _, dids = add_deliveries(engine, mids)
    ingest_events(
        ctx,
        [
            ev("bounce", dids[0], 0, type="bounce", status="5.1.1", reason="no such user"),
            ev("bounce", dids[1], 1, type="blocked", status="4.7.1", reason="try later"),
            ev("spamreport", dids[2], 2),
            ev("dropped", dids[3], 3, reason="Bounced Address"),
        ],
    )
    statuses = [status_of(engine, members, members.c.id, m) for m in mids]
    assert statuses == ["bounced", "active", "complained", "bounced"]
    # Suppressed by the same keyed hash imports check, so a re-import is refused.
    for n, reason in ((0, "bounced"), (2, "complained"), (3, "bounced")):
        key = f"member{n}@synthetic.example"
        assert ctx.members.suppression(suppression_hash(ctx.links.hashing, key)) == reason
    # A later "delivered" never re-activates a bounced address; a bounce after a complaint
    # does not weaken it.
    ingest_events(ctx, [ev("delivered", dids[0], 0, eid="late"), ev("bounce", dids[2], 2)])
    assert status_of(engine, members, members.c.id, mids[0]) == "bounced"
    assert status_of(engine, members, members.c.id, mids[2]) == "complained"


def test_group_unsubscribe_ends_that_topic_only(ctx: Services) -> None:
    engine = engine_of(ctx)
    mids = add_members(engine, 2, topics=("events", "news"))
    _, dids = add_deliveries(engine, mids, topic="events")
    report = ingest_events(
        ctx,
        [
            # Unmapped group: the topic of the delivery's campaign.
            ev("group_unsubscribe", dids[0], 0, asm_group_id=555),
            ev("group_unsubscribe", dids[0], 0, asm_group_id=555, eid="x"),
        ],
    )
    assert report.unsubscribed == 1
    with engine.connect() as conn:
        subs = {
            topic: status
            for topic, status in conn.execute(
                select(subscriptions.c.topic, subscriptions.c.status).where(
                    subscriptions.c.member_id == mids[0]
                )
            ).all()
        }
        assert subs == {"events": "unsubscribed", "news": "subscribed"}
        trail = conn.execute(
            select(consent_events.c.action, consent_events.c.source).where(
                consent_events.c.member_id == mids[0]
            )
        ).all()
        assert [tuple(t) for t in trail] == [("unsubscribed", "sendgrid:group_unsubscribe")]


def test_reordered_group_events_keep_the_latest_choice(ctx: Services) -> None:
    engine = engine_of(ctx)
    mids = add_members(engine, 1, topics=("events",))
    _, dids = add_deliveries(engine, mids)
    unsub = ev("group_unsubscribe", dids[0], 0, asm_group_id=1)
    resub = {**ev("group_resubscribe", dids[0], 0, asm_group_id=1), "timestamp": T + 600}
    ctx_groups = Services(**{**ctx.__dict__, "unsubscribe_groups": {"events": 1}})
    # The resubscribe (later) arrives first, the unsubscribe (earlier) after it.
    ingest_events(ctx_groups, [unsub])
    ingest_events(ctx_groups, [resub])
    ingest_events(ctx_groups, [{**unsub, "sg_event_id": "redelivered", "timestamp": T + 1}])
    assert status_of(engine, subscriptions, subscriptions.c.member_id, mids[0]) == "subscribed"


def test_events_without_our_id_join_by_address_or_stay_unmatched(ctx: Services) -> None:
    engine = engine_of(ctx)
    mids = add_members(engine, 1)
    report = ingest_events(
        ctx,
        [
            ev("spamreport", None, 0),  # a member, but no delivery id
            {**ev("bounce", None, 9), "email": "stranger@elsewhere.example"},
            {"event": "teleported", "email": "x@y.example", "timestamp": T},
            {**ev("delivered", 7, 0), "nl_test": "1"},
        ],
    )
    assert (report.new, report.unmatched, report.skipped, report.test_events) == (2, 1, 1, 1)
    assert status_of(engine, members, members.c.id, mids[0]) == "complained"
    # A stranger's bounce still suppresses the address for any future import.
    key = "stranger@elsewhere.example"
    assert ctx.members.suppression(suppression_hash(ctx.links.hashing, key)) == "bounced"


def test_cli_replays_a_saved_batch(project: Path, ctx: Services) -> None:
    engine = engine_of(ctx)
    mids = add_members(engine, 2)
    _, dids = add_deliveries(engine, mids, status="unknown")
    saved = project / "events.json"
    saved.write_text(json.dumps([ev("processed", d, i) for i, d in enumerate(dids)]), "utf-8")
    runner = CliRunner()
    args = ["--config", str(project / "config.yaml"), "events", "ingest", str(saved), "--json"]
    env = {"NEWSLETTER_DATABASE__URL": str(engine.url.render_as_string(hide_password=False))}
    first = runner.invoke(main, args, env=env)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["confirmed"] == 2
    second = json.loads(runner.invoke(main, args, env=env).stdout)
    assert (second["new"], second["duplicates"], second["confirmed"]) == (0, 2, 0)
    bad = project / "bad.json"
    bad.write_text('{"not": "an array"}', "utf-8")
    result = runner.invoke(
        main, ["--config", str(project / "config.yaml"), "events", "ingest", str(bad)], env=env
    )
    assert result.exit_code == 2 and "JSON array" in result.stderr
    assert dt.datetime.now(dt.UTC) > dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
