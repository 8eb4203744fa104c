"""Compile segment rule trees to SQL, so counting and planning never load members into Python.

The pure evaluator in ``audiences/domain/segments.py`` must give the same answers (tests compare
both on every sample member). The one place they could drift is case-insensitive matching: Python
uses ``str.casefold`` while SQLite's ``lower()``/``LIKE`` fold ASCII only, so ``Ђорђе`` would not
match ``ђорђе``. SQLite therefore gets a ``casefold()`` SQL function that *is* Python's
(registered by ``engine.py``); PostgreSQL uses ``lower()``, which follows the database's
Unicode locale and differs from casefold only for rarities such as ``ß`` -> ``ss``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, and_, exists, false, func, not_, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

from newsletter.audiences.domain.deliveries import DeliveryStatus
from newsletter.audiences.domain.members import MemberStatus
from newsletter.audiences.domain.segments import (
    AllRule,
    AnyRule,
    FieldRule,
    NotRule,
    ReceivedRule,
    Rule,
    Segment,
    TagRule,
    TopicRule,
)
from newsletter.db.tables import campaigns, deliveries, member_tags, members, subscriptions


class casefold(GenericFunction[str]):
    type = String()
    inherit_cache = True


@compiles(casefold, "postgresql")
def _casefold_pg(element: casefold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


def subscribed(topic: str) -> ColumnElement[bool]:
    return exists(
        select(subscriptions.c.member_id).where(
            subscriptions.c.member_id == members.c.id,
            subscriptions.c.topic == topic,
            subscriptions.c.status == "subscribed",
        )
    )


def eligible(topic: str | None) -> ColumnElement[bool]:
    """Who may be mailed at all: active address, subscribed to the campaign's topic."""
    active = members.c.status == MemberStatus.ACTIVE.value
    return and_(active, subscribed(topic)) if topic else active


def eligible_one(topic: str | None) -> ColumnElement[bool]:
    """:func:`eligible` for rows whose member is already known (a claim's batch): the
    subscription is read by its primary key (member_id, topic) and its status compared outside
    the lookup. Written as ``EXISTS (... AND status = 'subscribed')``, PostgreSQL on tables not
    yet analysed answered it by walking the (topic, status) index up to the member, a cost
    that grew with the member's place in it: the last claim of a send read 13 times the
    buffers of the first. An equality on the whole primary key is one row for any planner."""
    active = members.c.status == MemberStatus.ACTIVE.value
    if not topic:
        return active
    status = (
        select(subscriptions.c.status)
        .where(subscriptions.c.member_id == members.c.id, subscriptions.c.topic == topic)
        .scalar_subquery()
    )
    return and_(active, func.coalesce(status, "") == "subscribed")


def segment_clause(segment: Segment, topic: str | None) -> ColumnElement[bool]:
    """Eligibility for ``topic`` (or the segment's own) AND the segment's rule."""
    effective = topic or segment.topic
    rule = compile_rule(segment.rule) if segment.rule is not None else true()
    return and_(eligible(effective), rule)


def compile_rule(rule: Rule) -> ColumnElement[bool]:
    if isinstance(rule, AllRule):
        return and_(*(compile_rule(r) for r in rule.all))
    if isinstance(rule, AnyRule):
        return or_(*(compile_rule(r) for r in rule.any))
    if isinstance(rule, NotRule):
        return not_(compile_rule(rule.not_))
    if isinstance(rule, TopicRule):
        return subscribed(rule.topic)
    if isinstance(rule, TagRule):
        return exists(
            select(member_tags.c.member_id).where(
                member_tags.c.member_id == members.c.id, member_tags.c.tag == rule.tag
            )
        )
    if isinstance(rule, ReceivedRule):
        return exists(
            select(deliveries.c.id)
            .join(campaigns, campaigns.c.id == deliveries.c.campaign_id)
            .where(
                deliveries.c.member_id == members.c.id,
                deliveries.c.status == DeliveryStatus.SENT.value,
                campaigns.c.slug == rule.received,
            )
        )
    return _field(rule)


def _field(rule: FieldRule) -> ColumnElement[bool]:
    column = members.c[rule.field]
    value = rule.value
    if rule.op == "eq":
        return column == value
    if rule.op == "ne":
        return column != value
    if rule.op == "in":
        return column.in_(value) if value else false()
    if rule.op == "not_in":
        return column.not_in(value) if value else true()
    assert isinstance(value, str)
    # Both sides folded by the same SQL function, so the pattern needs no Python-side folding.
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%" if rule.op == "contains" else f"{escaped}%"
    return casefold(column).like(casefold(pattern), escape="\\")
