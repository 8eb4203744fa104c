"""Compile segment rule trees to SQL, so counting and planning never load members into Python."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true

from newsletter.adapters.db.tables import member_tags, members, subscriptions
from newsletter.domain.members import MemberStatus
from newsletter.domain.segments import (
    AllRule,
    AnyRule,
    FieldRule,
    NotRule,
    Rule,
    Segment,
    TagRule,
    TopicRule,
)


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
    # Case-insensitive the same way the pure evaluator is (casefold ~ lower for these columns).
    pattern = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if rule.op == "contains":
        return column.ilike(f"%{pattern}%", escape="\\")
    return column.ilike(f"{pattern}%", escape="\\")
