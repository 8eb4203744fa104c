"""Why one person is in or out: the rule tree keeps every node's result, and the verdict is the
one the pure evaluator (and so the SQL compiler) gives."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from pydantic import TypeAdapter

from newsletter.audiences.domain.privacy import ConsentFact
from newsletter.audiences.domain.reasons import RuleNode, membership, rule_tree
from newsletter.audiences.domain.segments import MemberFacts, Rule, Segment, explain_member, matches

RULE: TypeAdapter[Rule] = TypeAdapter(Rule)
CALLS_BG_RS = RULE.validate_python(
    {
        "all": [
            {"topic": "calls"},
            {"field": "tier", "eq": "member"},
            {"any": [{"field": "country", "in": ["BG", "RS"]}, {"tag": "partner"}]},
            {"not": {"field": "role", "contains": "student"}},
        ]
    }
)
SEGMENT = Segment(name="bg-rs-calls", topic="calls", rule=CALLS_BG_RS)


def facts(
    *, topics: tuple[str, ...] = ("calls",), tags: tuple[str, ...] = (), **fields: str
) -> MemberFacts:
    base = {"tier": "member", "country": "RS", "role": "cluster manager"}
    return MemberFacts({**base, **fields}, frozenset(topics), frozenset(tags))


def leaves(node: RuleNode) -> list[RuleNode]:
    return [node] if not node.children else [x for c in node.children for x in leaves(c)]


def test_the_tree_agrees_with_the_evaluator_on_every_combination() -> None:
    values: dict[str, Any] = {
        "topics": [(), ("calls",), ("calls", "news")],
        "tier": ["member", "friend"],
        "country": ["RS", "BG", "RO", ""],
        "role": ["cluster manager", "PhD Student", ""],
        "tags": [(), ("partner",)],
    }
    for topics, tier, country, role, tags in itertools.product(*values.values()):
        f = facts(topics=topics, tags=tags, tier=tier, country=country, role=role)
        tree = rule_tree(CALLS_BG_RS, f)
        assert tree.ok == matches(CALLS_BG_RS, f)
        verdict = membership(SEGMENT, f, "active", "calls")
        assert verdict.included == explain_member(SEGMENT, f, "active", "calls")[0]


def test_the_failing_rule_is_named_where_it_failed() -> None:
    tree = rule_tree(CALLS_BG_RS, facts(country="RO"))
    assert not tree.ok and tree.text == "all of these hold"
    country_any = tree.children[2]
    assert not country_any.ok and country_any.text == "at least one of these holds"
    assert [leaf.ok for leaf in leaves(country_any)] == [False, False]
    assert country_any.children[0].text == "country in ['BG', 'RS'] (is 'RO')"
    assert tree.children[0].ok and tree.children[0].text == "subscribed to topic 'calls'"
    negated = tree.children[3]
    assert negated.ok and negated.text == "this does not hold" and not negated.children[0].ok


def test_an_unknown_address_is_out_and_says_so_with_its_suppression() -> None:
    verdict = membership(SEGMENT, None, None, "calls", suppression="complained")
    assert not verdict.included and verdict.rule is None
    assert [c.name for c in verdict.failed] == ["address", "suppression"]
    assert "reported our mail as spam" in verdict.checks[1].text


def test_status_topic_and_consent_are_reasons_before_the_rule() -> None:
    at = dt.datetime(2015, 9, 3, 10, tzinfo=dt.UTC)
    consent = [
        ConsentFact("calls", "subscribed", "import:members.csv", "v1", at - dt.timedelta(days=30)),
        ConsentFact("calls", "unsubscribed", "one-click", "", at),
        ConsentFact("news", "subscribed", "form", "v1", at),
    ]
    verdict = membership(SEGMENT, facts(topics=()), "active", "calls", consent=consent)
    assert not verdict.included
    (topic,) = [c for c in verdict.checks if c.name == "topic"]
    assert not topic.ok
    assert (
        topic.text == "not subscribed to the topic 'calls' (unsubscribed 2015-09-03 via one-click)"
    )
    bounced = membership(SEGMENT, facts(), "bounced", "calls")
    assert [c.name for c in bounced.failed] == ["address"]
    assert "bounced: no mail goes to it at all" in bounced.checks[0].text


def test_everyone_in_is_in_for_every_reason() -> None:
    verdict = membership(SEGMENT, facts(), "active", "calls")
    assert verdict.included and verdict.failed == ()
    assert [c.name for c in verdict.checks] == ["address", "topic", "rule"]
    assert verdict.rule is not None and all(leaf.ok for leaf in leaves(verdict.rule)[:3])
    no_rule = membership(
        Segment(name="all-news", topic="news"), facts(topics=("news",)), "active", None
    )
    assert no_rule.included and no_rule.rule is None
    assert no_rule.checks[-1].text == "segment 'all-news' has no rule: its topic decides"
