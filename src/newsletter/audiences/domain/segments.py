"""Segments: named rule trees that say exactly who gets what.

A rule is one of::

    {all: [rule, ...]}      every sub-rule holds
    {any: [rule, ...]}      at least one holds
    {not: rule}             the sub-rule does not hold
    {field: country, in: [BG, RS]}     also eq / ne / not_in / contains / startswith
    {topic: calls}          subscribed (and not unsubscribed) to the topic
    {tag: registered-dofc-2015}        carries a tag (lists imported with ``--list``)
    {received: days-of-clusters-2015}  was sent that campaign (a delivery with status ``sent``)

Engagement facts ``opened`` / ``clicked`` need provider events and come with the delivery work.

The same tree is evaluated in two places: compiled to SQL by the database adapter (counting and
sending never load everyone into Python) and evaluated here, in pure Python, to *explain* why one
person is in or out. Tests hold the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from newsletter.audiences.domain.members import PROFILE_FIELDS

#: Member fields a rule may test, all plain text columns in the store.
FIELDS: tuple[str, ...] = ("email", *PROFILE_FIELDS, "consent_source")
Operator = Literal["eq", "ne", "in", "not_in", "contains", "startswith"]
OPERATORS: tuple[str, ...] = ("eq", "ne", "in", "not_in", "contains", "startswith")


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FieldRule(_Rule):
    field: str
    op: Operator
    value: str | tuple[str, ...]

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # YAML writes {field: country, in: [BG, RS]}; fold the operator key into op/value.
        if isinstance(data, Mapping) and "op" not in data:
            ops = [k for k in data if k in OPERATORS]
            extra = [k for k in data if k not in (*OPERATORS, "field")]
            if extra:
                # ctx.key lets the file reader point at the offending key's own line.
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown key '{key}' in a field rule; operators: {operators}",
                    {"key": str(extra[0]), "operators": ", ".join(OPERATORS)},
                )
            if len(ops) != 1:
                raise ValueError(
                    f"a field rule needs exactly one operator of {', '.join(OPERATORS)}"
                )
            value = data[ops[0]]
            if isinstance(value, list):
                value = tuple(str(v) for v in value)
            elif value is not None:
                value = str(value)
            return {"field": data.get("field"), "op": ops[0], "value": value}
        return data

    @model_validator(mode="after")
    def _check(self) -> FieldRule:
        if self.field not in FIELDS:
            raise ValueError(f"unknown field {self.field!r}; known: {', '.join(FIELDS)}")
        many = self.op in ("in", "not_in")
        if many != isinstance(self.value, tuple):
            raise ValueError(f"operator {self.op!r} takes {'a list' if many else 'one value'}")
        return self


class TopicRule(_Rule):
    topic: str


class TagRule(_Rule):
    tag: str


class ReceivedRule(_Rule):
    """Was sent campaign ``received`` (by slug): a delivery of any step with status sent."""

    received: str = Field(min_length=1)


class AllRule(_Rule):
    all: tuple[Rule, ...] = Field(min_length=1)


class AnyRule(_Rule):
    any: tuple[Rule, ...] = Field(min_length=1)


class NotRule(_Rule):
    not_: Rule = Field(alias="not")


_KINDS = ("all", "any", "not", "field", "topic", "tag", "received")


def _rule_kind(value: Any) -> str | None:
    """Pick the rule model by its key, so a mistake gets one clear message, not six."""
    if isinstance(value, Mapping):
        return next((k for k in _KINDS if k in value), None)
    kinds: dict[type, str] = {
        AllRule: "all",
        AnyRule: "any",
        NotRule: "not",
        FieldRule: "field",
        TopicRule: "topic",
        TagRule: "tag",
        ReceivedRule: "received",
    }
    return kinds.get(type(value))


Rule = Annotated[
    Annotated[AllRule, Tag("all")]
    | Annotated[AnyRule, Tag("any")]
    | Annotated[NotRule, Tag("not")]
    | Annotated[FieldRule, Tag("field")]
    | Annotated[TopicRule, Tag("topic")]
    | Annotated[TagRule, Tag("tag")]
    | Annotated[ReceivedRule, Tag("received")],
    Discriminator(
        _rule_kind,
        custom_error_type="invalid_rule",
        custom_error_message=f"a rule needs one of the keys {', '.join(_KINDS)}",
    ),
]


class Segment(BaseModel):
    """A named audience. ``rule`` may be omitted: then everyone subscribed to the topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    #: The topic whose subscribers this segment draws from when no campaign says otherwise.
    topic: str | None = None
    rule: Rule | None = None


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What a rule can see of one member: fields, active topics, tags, campaigns received."""

    fields: Mapping[str, str]
    topics: frozenset[str]
    tags: frozenset[str]
    received: frozenset[str] = frozenset()


def matches(rule: Rule | None, facts: MemberFacts) -> bool:
    """Evaluate a rule for one member (the pure twin of the SQL compiler)."""
    return explain(rule, facts)[0]


def explain(rule: Rule | None, facts: MemberFacts, depth: int = 0) -> tuple[bool, list[str]]:
    """Evaluate and return the reasoning, one indented line per rule node."""
    pad = "  " * depth
    if rule is None:
        return True, [f"{pad}✓ no rule: everyone subscribed to the campaign topic"]
    if isinstance(rule, AllRule | AnyRule):
        subs = rule.all if isinstance(rule, AllRule) else rule.any
        results = [explain(sub, facts, depth + 1) for sub in subs]
        ok = all(r[0] for r in results) if isinstance(rule, AllRule) else any(r[0] for r in results)
        head = "all of" if isinstance(rule, AllRule) else "any of"
        lines = [f"{pad}{_mark(ok)} {head}:"]
        for _, sub_lines in results:
            lines.extend(sub_lines)
        return ok, lines
    if isinstance(rule, NotRule):
        inner_ok, inner_lines = explain(rule.not_, facts, depth + 1)
        return not inner_ok, [f"{pad}{_mark(not inner_ok)} not:", *inner_lines]
    if isinstance(rule, TopicRule):
        ok = rule.topic in facts.topics
        return ok, [f"{pad}{_mark(ok)} subscribed to topic {rule.topic!r}"]
    if isinstance(rule, TagRule):
        ok = rule.tag in facts.tags
        return ok, [f"{pad}{_mark(ok)} tagged {rule.tag!r}"]
    if isinstance(rule, ReceivedRule):
        ok = rule.received in facts.received
        return ok, [f"{pad}{_mark(ok)} received campaign {rule.received!r}"]
    actual = facts.fields.get(rule.field, "")
    ok = _compare(rule, actual)
    shown = list(rule.value) if isinstance(rule.value, tuple) else rule.value
    return ok, [f"{pad}{_mark(ok)} {rule.field} {rule.op} {shown!r} (is {actual!r})"]


def explain_member(
    segment: Segment, facts: MemberFacts, status: str, topic: str | None = None
) -> tuple[bool, list[str]]:
    """The whole membership test, as the SQL compiler applies it: the address is active, it
    is subscribed to the campaign's (or else the segment's) topic, and the rule holds."""
    lines: list[str] = []
    ok = status == "active"
    if not ok:
        lines.append(f"✗ address status is {status}: no mail at all")
    effective = topic or segment.topic
    if effective:
        subscribed = effective in facts.topics
        ok = ok and subscribed
        lines.append(f"{_mark(subscribed)} subscribed to the topic {effective!r}")
    rule_ok, rule_lines = explain(segment.rule, facts)
    return ok and rule_ok, lines + rule_lines


def _compare(rule: FieldRule, actual: str) -> bool:
    value = rule.value
    match rule.op:
        case "eq":
            return actual == value
        case "ne":
            return actual != value
        case "in":
            return actual in value
        case "not_in":
            return actual not in value
        case "contains":
            return isinstance(value, str) and value.casefold() in actual.casefold()
        case "startswith":
            return isinstance(value, str) and actual.casefold().startswith(value.casefold())
    return False  # pragma: no cover - Operator is exhaustive


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


for _model in (AllRule, AnyRule, NotRule):
    _model.model_rebuild()
