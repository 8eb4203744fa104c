"""Limits on what a template may cost: time, output size and work.

Jinja's sandbox (jinja.palletsprojects.com, "Sandbox") limits what a template may reach, not
what it may cost; these limits add the cost.

Jinja's sandbox stops a template reaching Python internals, but not one that never ends or
fills memory: only ``range()`` is capped (``MAX_RANGE`` = 100,000), and ``'a' * 10**8``,
nested loops or a macro that doubles a string on every call all run (checked on Jinja 3.1.6).
Campaign templates are written by staff in a browser, so a slip must not freeze the sender.

:class:`GuardedEnvironment` counts work and checks size where a template can multiply it:

- every ``for`` loop step (the parser wraps each loop's iterable), every call from template
  code (methods, macros, globals) and every filter is a *step*; a step checks the time budget;
- ``*``, ``**``, ``%`` and ``+`` are intercepted (Jinja's ``intercepted_binops``) and refused
  before they build a string or list beyond the output cap;
- string methods and filters that pad or repeat (``ljust``, ``center``, ``replace``, ``batch``,
  ``format`` ...) are refused when asked for more than the cap, and ``namespace`` refuses to
  hold an oversized value, so no accumulator can grow unseen;
- :func:`render` streams the output with ``generate()`` and stops at the output cap.

Every limit raises a :class:`LimitExceeded` (a Jinja ``SecurityError``), which compose turns
into :class:`~newsletter.errors.TemplateSecurityError` naming the template.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes
from jinja2.environment import Template
from jinja2.exceptions import SecurityError
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment, safe_range
from jinja2.utils import Namespace

#: Methods of str that build a result as long as one of their number arguments.
_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
_GUARD_ITER = "_guard_iter"
_GUARD_SIZE = "_guard_size"


class LimitExceeded(SecurityError):
    """A template ran too long, did too much work or produced too much output."""


@dataclass(frozen=True)
class Limits:
    #: Wall-clock budget of one render (2 s: a real template takes ~10 ms).
    seconds: float = 2.0
    #: Characters one template may produce, and the largest string or list it may build.
    max_output: int = 1_000_000
    #: Loop steps, calls and filters of one render.
    max_steps: int = 1_000_000
    #: A watchdog, not a clock: it never changes what a successful render produces.
    timer: Callable[[], float] = time.perf_counter


@dataclass
class _Budget:
    limits: Limits
    started: float
    steps: int = field(default=0)

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise LimitExceeded(f"template did more than {self.limits.max_steps:,} steps")
        if self.limits.timer() - self.started > self.limits.seconds:
            raise LimitExceeded(f"template ran longer than {self.limits.seconds:g} s")


_BUDGET: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)
_DEFAULT = Limits()


def _limits() -> Limits:
    budget = _BUDGET.get()
    return budget.limits if budget is not None else _DEFAULT


def _step() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.step()


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict) else 0


def _refuse_if_large(size: int, what: str = "a value") -> None:
    cap = _limits().max_output
    if size > cap:
        raise LimitExceeded(f"{what} of {size:,} characters/items exceeds the cap of {cap:,}")


def _guard_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _step()
        yield item


def _guard_size(value: Any) -> Any:
    _step()
    _refuse_if_large(_size(value), "a concatenated string")
    return value


def _sized(concat: nodes.Concat) -> nodes.Filter:
    return nodes.Filter(concat, _GUARD_SIZE, [], [], None, None, lineno=concat.lineno)


def _range(*args: int) -> range:
    try:
        return safe_range(*args)
    except OverflowError as exc:
        raise LimitExceeded(str(exc)) from exc


class _GuardedNamespace(Namespace):
    """``namespace()`` whose attributes cannot grow past the cap (the one template accumulator
    that survives loop iterations)."""

    def __setitem__(self, name: str, value: Any) -> None:
        _refuse_if_large(_size(value), f"namespace value {name!r}")
        super().__setitem__(name, value)


#: Filters whose number arguments size their result (``batch(10**8, 'x')``, ``indent(10**9)``).
_SIZING_FILTERS = frozenset({"batch", "slice", "indent", "truncate", "wordwrap", "format"})


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    # Filters declared with pass_context & co. get that object first, then the value.
    offset = 1 if hasattr(func, "jinja_pass_arg") else 0

    def guarded(*args: Any, **kwargs: Any) -> Any:
        _step()
        value, extra = (args[offset], args[offset + 1 :]) if len(args) > offset else (None, ())
        if name in _SIZING_FILTERS and any(
            isinstance(a, int) and abs(a) > MAX_RANGE for a in (*extra, *kwargs.values())
        ):
            raise LimitExceeded(f"filter {name!r} asked for a size over {MAX_RANGE:,}")
        if name == "join" and value is not None and not isinstance(value, str):
            # Sum the parts before joining: the join itself would build the whole string
            # (5 GB from a list of 5,000 one-megabyte strings) before any check after it.
            items = list(_guard_iter(value))
            separator = str(extra[0]) if extra else str(kwargs.get("d", ""))
            total = sum(len(str(item)) for item in items)
            _refuse_if_large(total + len(separator) * max(len(items) - 1, 0), "join()")
            args = (*args[:offset], items, *args[offset + 1 :])
        if name == "replace" and isinstance(value, str) and len(extra) >= 2:
            old, new = str(extra[0]), str(extra[1])
            _refuse_if_large(len(value) + value.count(old) * len(new), "replace()")
        result = func(*args, **kwargs)
        _refuse_if_large(_size(result), f"the result of filter {name!r}")
        return result

    for attr in ("jinja_pass_arg", "__name__", "__doc__"):
        if hasattr(func, attr):
            setattr(guarded, attr, getattr(func, attr))
    return guarded


class GuardedEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # lipsum() writes megabytes in one call; range() keeps the sandbox's MAX_RANGE.
        self.globals.pop("lipsum", None)
        self.globals["range"] = _range
        self.globals["namespace"] = _GuardedNamespace
        self.filters.pop("center", None)  # pads to any width; nothing in an email needs it
        self.filters = {n: _guard_filter(n, f) for n, f in self.filters.items()}
        self.filters[_GUARD_ITER] = _guard_iter
        self.filters[_GUARD_SIZE] = _guard_size

    def add_filters(self, filters: Mapping[str, Callable[..., Any]]) -> None:
        """Register filters behind the same guard as the built-in ones."""
        self.filters.update({n: _guard_filter(n, f) for n, f in filters.items()})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        # ``a ~ b`` (Jinja's Concat) is no binop, so call_binop never sees it: each operand is
        # checked before the join and the joined result after, so ``{% set s = s ~ s %}``
        # stops at the cap instead of doubling to half a gigabyte.
        for concat in list(tree.find_all(nodes.Concat)):
            concat.nodes = [
                nodes.Filter(n, _GUARD_SIZE, [], [], None, None, lineno=n.lineno)
                for n in concat.nodes
            ]
        for parent in list(tree.find_all(nodes.Node)):
            for name, child in parent.iter_fields():
                if isinstance(child, nodes.Concat):
                    setattr(parent, name, _sized(child))
                elif isinstance(child, list):
                    setattr(
                        parent,
                        name,
                        [_sized(c) if isinstance(c, nodes.Concat) else c for c in child],
                    )
        # Count the steps of every loop, whatever it iterates over.
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, _GUARD_ITER, [], [], None, None, lineno=loop.iter.lineno
            )
        return tree

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _step()
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(times, int) and _size(seq):
                    _refuse_if_large(_size(seq) * times, "a repeated string or list")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and max(left.bit_length(), 1) * right > 4096:
                raise LimitExceeded("a power too large for a template")
        elif operator == "%" and isinstance(left, str):
            values = right if isinstance(right, tuple) else (right,)
            if any(isinstance(v, int) and abs(v) > MAX_RANGE for v in values):
                raise LimitExceeded(f"% formatting with a width over {MAX_RANGE:,}")
        result = super().call_binop(context, operator, left, right)
        _refuse_if_large(_size(result), f"the result of {operator!r}")
        return result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _step()
        for value in (*args, *kwargs.values()):
            _refuse_if_large(_size(value), "an argument")
        # The sandbox hands out str.format wrapped; the wrapper keeps the bound method.
        target = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(target, "__self__", None)
        method = getattr(target, "__name__", "")
        if isinstance(owner, str):
            if method in {"format", "format_map"}:
                raise LimitExceeded("str.format is not available in templates")
            if method in _PADDING and any(isinstance(a, int) and a > MAX_RANGE for a in args):
                raise LimitExceeded(f"str.{method} asked for a width over {MAX_RANGE:,}")
            if method == "replace" and len(args) >= 2 and all(isinstance(a, str) for a in args):
                _refuse_if_large(len(owner) + owner.count(args[0]) * len(args[1]), "replace()")
        result = super().call(__context, __obj, *args, **kwargs)
        _refuse_if_large(_size(result), "a call result")
        return result


def render(template: Template, context: Mapping[str, Any], limits: Limits = _DEFAULT) -> str:
    """Render within ``limits``, streaming so the output cap stops a runaway early."""
    budget = _Budget(limits, limits.timer())
    token = _BUDGET.set(budget)
    try:
        out: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > limits.max_output:
                raise LimitExceeded(f"template output is over {limits.max_output:,} characters")
            budget.step()
            out.append(chunk)
        return "".join(out)
    finally:
        _BUDGET.reset(token)
