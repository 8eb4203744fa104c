"""Segment rule trees: what validates, what is refused, and how explain() reasons."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from newsletter.audiences.domain.segments import (
    FIELDS,
    AllRule,
    AnyRule,
    FieldRule,
    MemberFacts,
    NotRule,
    Rule,
    Segment,
    TagRule,
    TopicRule,
    explain,
    matches,
)

RULE: TypeAdapter[Rule] = TypeAdapter(Rule)


def rule(data: Any) -> Rule:
    return RULE.validate_python(data)


def facts(topics: tuple[str, ...] = (), tags: tuple[str, ...] = (), **fields: str) -> MemberFacts:
    return MemberFacts(fields=fields, topics=frozenset(topics), tags=frozenset(tags))


# -- validation ------------------------------------------------------------------------------


def test_yaml_shaped_tree_validates_into_models() -> None:
    tree = rule(
        {
            "all": [
                {"field": "country", "in": ["BG", "RS"]},
                {"not": {"topic": "calls"}},
                {"any": [{"tag": "registered-dofc-2015"}, {"field": "tier", "eq": "member"}]},
            ]
        }
    )
    assert isinstance(tree, AllRule)
    first, second, third = tree.all
    assert first == FieldRule(field="country", op="in", value=("BG", "RS"))
    assert isinstance(second, NotRule)
    assert second.not_ == TopicRule(topic="calls")
    assert isinstance(third, AnyRule)
    assert third.any == (
        TagRule(tag="registered-dofc-2015"),
        FieldRule(field="tier", op="eq", value="member"),
    )


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ({"all": [{"topic": "a"}]}, AllRule),
        ({"any": [{"topic": "a"}]}, AnyRule),
        ({"not": {"tag": "a"}}, NotRule),
        ({"field": "language", "startswith": "sr"}, FieldRule),
        ({"topic": "events"}, TopicRule),
        ({"tag": "x"}, TagRule),
    ],
)
def test_each_rule_kind_validates(data: dict[str, Any], kind: type) -> None:
    assert isinstance(rule(data), kind)


@pytest.mark.parametrize("op", ["eq", "ne", "contains", "startswith"])
def test_single_value_operators(op: str) -> None:
    parsed = rule({"field": "country", op: "RS"})
    assert isinstance(parsed, FieldRule)
    assert (parsed.op, parsed.value) == (op, "RS")


@pytest.mark.parametrize("op", ["in", "not_in"])
def test_list_operators_store_tuples_of_strings(op: str) -> None:
    parsed = rule({"field": "country", op: ["BG", 2015]})
    assert isinstance(parsed, FieldRule)
    assert parsed.value == ("BG", "2015")


def test_scalar_yaml_values_become_strings() -> None:
    parsed = rule({"field": "organization", "eq": 2015})
    assert isinstance(parsed, FieldRule)
    assert parsed.value == "2015"


def test_explicit_op_value_form_is_accepted() -> None:
    parsed = rule({"field": "country", "op": "in", "value": ["RS"]})
    assert parsed == FieldRule(field="country", op="in", value=("RS",))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"field": "colour", "eq": "red"}, "unknown field"),
        ({"field": "country", "like": "R%"}, "unknown key"),
        ({"field": "country", "eq": ["RS"]}, "takes one value"),
        ({"field": "country", "in": "RS"}, "takes a list"),
        ({"field": "country", "not_in": "RS"}, "takes a list"),
        ({"field": "country"}, "exactly one operator"),
        ({"field": "country", "eq": "RS", "ne": "BG"}, "exactly one operator"),
        ({"colour": "red"}, "a rule needs one of the keys"),
        ({}, "a rule needs one of the keys"),
        ("topic: events", "a rule needs one of the keys"),
        ({"all": []}, "at least 1"),
        ({"any": []}, "at least 1"),
        ({"topic": "x", "tag": "y"}, "Extra inputs"),
        ({"not": [{"topic": "x"}]}, "a rule needs one of the keys"),
        ({"all": [{"field": "nope", "eq": "x"}]}, "unknown field"),
    ],
)
def test_invalid_rules_raise_validation_error(data: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        rule(data)


def test_unknown_field_message_lists_the_known_fields() -> None:
    with pytest.raises(ValidationError) as info:
        rule({"field": "colour", "eq": "red"})
    assert all(name in str(info.value) for name in FIELDS)


def test_segment_rule_is_optional_and_extra_keys_are_refused() -> None:
    seg = Segment.model_validate({"name": "all-members", "topic": "events"})
    assert seg.rule is None
    assert matches(seg.rule, facts())
    with pytest.raises(ValidationError):
        Segment.model_validate({"name": "x", "rules": {"topic": "a"}})
    with pytest.raises(ValidationError, match="a rule needs one of the keys"):
        Segment.model_validate({"name": "x", "rule": {"colour": "red"}})


def test_rules_are_frozen() -> None:
    parsed = TopicRule.model_validate({"topic": "events"})
    with pytest.raises(ValidationError):
        parsed.topic = "other"  # type: ignore[misc]


# -- evaluation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "member", "expected"),
    [
        ({"field": "country", "eq": "RS"}, facts(country="RS"), True),
        ({"field": "country", "eq": "RS"}, facts(country="rs"), False),
        ({"field": "country", "ne": "RS"}, facts(country="BG"), True),
        ({"field": "country", "in": ["BG", "RS"]}, facts(country="BG"), True),
        ({"field": "country", "in": ["BG", "RS"]}, facts(country="RO"), False),
        ({"field": "country", "not_in": ["BG", "RS"]}, facts(country="RO"), True),
        ({"field": "country", "not_in": ["BG"]}, facts(), True),
        ({"field": "organization", "contains": "CLUSTER"}, facts(organization="Niš cluster"), True),
        ({"field": "organization", "contains": "x"}, facts(), False),
        ({"field": "language", "startswith": "SR"}, facts(language="sr-Latn"), True),
        ({"field": "language", "startswith": "sr"}, facts(language="en"), False),
        ({"topic": "calls"}, facts(topics=("calls",)), True),
        ({"topic": "calls"}, facts(topics=("events",)), False),
        ({"tag": "vip"}, facts(tags=("vip",)), True),
        ({"tag": "vip"}, facts(), False),
    ],
)
def test_leaf_rules(data: dict[str, Any], member: MemberFacts, expected: bool) -> None:
    assert matches(rule(data), member) is expected


TREE = {
    "all": [
        {"field": "country", "in": ["BG", "RS"]},
        {"not": {"topic": "calls"}},
        {"any": [{"tag": "vip"}, {"field": "tier", "eq": "member"}]},
    ]
}


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        (facts(country="RS", tier="member"), True),
        (facts(country="RS", tags=("vip",)), True),
        (facts(country="RO", tier="member"), False),  # first branch fails
        (facts(country="RS", tier="member", topics=("calls",)), False),  # not fails
        (facts(country="BG", tier="friend"), False),  # any fails
    ],
)
def test_nested_tree_result(member: MemberFacts, expected: bool) -> None:
    ok, lines = explain(rule(TREE), member)
    assert ok is expected
    assert matches(rule(TREE), member) is expected
    assert lines[0].startswith("✓" if expected else "✗")


def test_explain_lines_mark_every_node_and_indent_by_depth() -> None:
    ok, lines = explain(rule(TREE), facts(country="RS", tier="member"))
    assert ok
    assert lines == [
        "✓ all of:",
        "  ✓ country in ['BG', 'RS'] (is 'RS')",
        "  ✓ not:",
        "    ✗ subscribed to topic 'calls'",
        "  ✓ any of:",
        "    ✗ tagged 'vip'",
        "    ✓ tier eq 'member' (is 'member')",
    ]


def test_explain_failing_any_and_double_not() -> None:
    tree = rule({"any": [{"not": {"not": {"tag": "a"}}}, {"field": "country", "eq": "RS"}]})
    ok, lines = explain(tree, facts(country="BG"))
    assert not ok
    assert lines == [
        "✗ any of:",
        "  ✗ not:",
        "    ✓ not:",
        "      ✗ tagged 'a'",
        "  ✗ country eq 'RS' (is 'BG')",
    ]


def test_explain_without_rule_lets_everyone_in() -> None:
    ok, lines = explain(None, facts())
    assert ok
    assert len(lines) == 1
    assert lines[0].startswith("✓ no rule")


def test_explain_shows_missing_field_as_empty() -> None:
    ok, lines = explain(rule({"field": "role", "eq": "CEO"}), facts())
    assert not ok
    assert lines == ["✗ role eq 'CEO' (is '')"]
