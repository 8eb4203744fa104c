"""Why one person is in or out of a campaign's audience, as a tree a page can draw.

:func:`newsletter.audiences.domain.segments.explain` gives the same answer as indented text lines;
staff asked "which rule let her in?" and "why did he not get it?", so this module keeps the
structure: each rule node with its result and its children, plus the checks that come before any
rule (the address is known and active, not suppressed, subscribed to the campaign's topic, with the
consent event that made it so). The verdict is the one the SQL compiler and the ledger apply
(audiences/sql/segment_compiler.py ``segment_clause``); tests hold the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from newsletter.audiences.domain.privacy import ConsentFact, refusal
from newsletter.audiences.domain.segments import (
    AllRule,
    AnyRule,
    MemberFacts,
    NotRule,
    Rule,
    Segment,
    explain,
)


@dataclass(frozen=True, slots=True)
class RuleNode:
    ok: bool
    text: str
    children: tuple[RuleNode, ...] = ()


@dataclass(frozen=True, slots=True)
class Check:
    """One condition every recipient must meet, with its outcome in words."""

    name: str  # address | suppression | topic | rule
    ok: bool
    text: str


@dataclass(frozen=True, slots=True)
class Verdict:
    included: bool
    checks: tuple[Check, ...]
    rule: RuleNode | None

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)


def rule_tree(rule: Rule, facts: MemberFacts) -> RuleNode:
    """Evaluate ``rule`` for one member, keeping every node's result. Leaves are worded by
    :func:`explain` itself, so the two can never disagree on a comparison."""
    if isinstance(rule, AllRule | AnyRule):
        subs = rule.all if isinstance(rule, AllRule) else rule.any
        children = tuple(rule_tree(sub, facts) for sub in subs)
        if isinstance(rule, AllRule):
            return RuleNode(all(c.ok for c in children), "all of these hold", children)
        return RuleNode(any(c.ok for c in children), "at least one of these holds", children)
    if isinstance(rule, NotRule):
        inner = rule_tree(rule.not_, facts)
        return RuleNode(not inner.ok, "this does not hold", (inner,))
    ok, lines = explain(rule, facts)
    return RuleNode(ok, lines[0].lstrip()[2:])  # drop the ✓/✗ mark: the node carries it


def _last_consent(consent: Sequence[ConsentFact], topic: str) -> ConsentFact | None:
    events = [c for c in consent if c.topic == topic]
    return max(events, key=lambda c: c.at) if events else None


def membership(
    segment: Segment,
    facts: MemberFacts | None,
    status: str | None,
    topic: str | None,
    *,
    suppression: str | None = None,
    consent: Sequence[ConsentFact] = (),
) -> Verdict:
    """Is this member in ``segment`` for a campaign on ``topic``, and why. ``facts`` None: no
    member has the address. ``suppression``: the reason the address is on the suppression
    list, if it is; ``consent``: the member's consent history."""
    if facts is None:
        checks = [Check("address", False, "no member has this address")]
        if suppression:
            checks.append(Check("suppression", False, refusal(suppression)))
        return Verdict(False, tuple(checks), None)
    checks = [
        Check(
            "address",
            status == "active",
            "the address is active"
            if status == "active"
            else f"the address is {status}: no mail goes to it at all",
        )
    ]
    if suppression:
        checks.append(Check("suppression", False, refusal(suppression)))
    effective = topic or segment.topic
    if effective:
        subscribed = effective in facts.topics
        last = _last_consent(consent, effective)
        how = f" ({last.action} {last.at:%Y-%m-%d} via {last.source})" if last else ""
        text = (
            f"subscribed to the topic {effective!r}{how}"
            if subscribed
            else f"not subscribed to the topic {effective!r}{how or ' (never subscribed)'}"
        )
        checks.append(Check("topic", subscribed, text))
    tree = rule_tree(segment.rule, facts) if segment.rule is not None else None
    if tree is None:
        text = f"segment {segment.name!r} has no rule: its topic decides"
        checks.append(Check("rule", True, text))
    else:
        verdict = "matches" if tree.ok else "does not match"
        checks.append(Check("rule", tree.ok, f"{verdict} the rule of segment {segment.name!r}"))
    return Verdict(all(c.ok for c in checks), tuple(checks), tree)
