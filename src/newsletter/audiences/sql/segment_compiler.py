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


#: An inclusive range of member ids (values or bound parameters) that the caller also puts on
#: ``members.id``: planning a send reads the audience one such range at a time.
IdRange = tuple[Any, Any]


def _of_member(column: Any, within: IdRange | None) -> ColumnElement[bool]:
    """A correlated lookup's join to ``members``, with the caller's id range repeated on the
    lookup's own column. PostgreSQL carries equalities across a join but not ranges
    (https://www.postgresql.org/docs/current/planner-optimizer.html), so without it a chunk of
    20,000 members was joined with a sequential scan of every subscription: each chunk cost
    what the whole table did, and planning 1M members 50 times that."""
    joined = column == members.c.id
    return and_(joined, column.between(*within)) if within is not None else joined


def subscribed(topic: str, within: IdRange | None = None) -> ColumnElement[bool]:
    return exists(
        select(subscriptions.c.member_id).where(
            _of_member(subscriptions.c.member_id, within),
            subscriptions.c.topic == topic,
            subscriptions.c.status == "subscribed",
        )
    )


def eligible(topic: str | None, within: IdRange | None = None) -> ColumnElement[bool]:
    """Who may be mailed at all: active address, subscribed to the campaign's topic."""
    active = members.c.status == MemberStatus.ACTIVE.value
    return and_(active, subscribed(topic, within)) if topic else active


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


def segment_clause(
    segment: Segment, topic: str | None, within: IdRange | None = None
) -> ColumnElement[bool]:
    """Eligibility for ``topic`` (or the segment's own) AND the segment's rule; ``within``:
    the members are only those of this id range (the caller also says so on ``members.id``)."""
    effective = topic or segment.topic
    rule = compile_rule(segment.rule, within) if segment.rule is not None else true()
    return and_(eligible(effective, within), rule)


def compile_rule(rule: Rule, within: IdRange | None = None) -> ColumnElement[bool]:
    if isinstance(rule, AllRule):
        return and_(*(compile_rule(r, within) for r in rule.all))
    if isinstance(rule, AnyRule):
        return or_(*(compile_rule(r, within) for r in rule.any))
    if isinstance(rule, NotRule):
        return not_(compile_rule(rule.not_, within))
    if isinstance(rule, TopicRule):
        return subscribed(rule.topic, within)
    if isinstance(rule, TagRule):
        return exists(
            select(member_tags.c.member_id).where(
                _of_member(member_tags.c.member_id, within), member_tags.c.tag == rule.tag
            )
        )
    if isinstance(rule, ReceivedRule):
        return exists(
            select(deliveries.c.id)
            .join(campaigns, campaigns.c.id == deliveries.c.campaign_id)
            .where(
                _of_member(deliveries.c.member_id, within),
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
