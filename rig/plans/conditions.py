"""What a plan waits for: ``pilot.state == C``, ``contactor == closed``.

A plan never sleeps to let something happen; it waits for a state, with a timeout
(``wait_for``). The state is written as a small expression over a declared
vocabulary of *observables* — what the runner can read from the bench and the
actors at any moment (:data:`OBSERVABLES`). The grammar is deliberately tiny and
parsed here by hand (no ``eval``)::

    condition  := conjunct ("or" conjunct)*
    conjunct   := comparison ("and" comparison)*
    comparison := "(" condition ")" | observable operator value
    operator   := == | != | < | <= | > | >=

An observable with named states (``pilot.state``, ``contactor``) compares only with
``==``/``!=`` against one of its states; a numeric one (``load.current_a``, in the
unit its name ends with) compares with a number. Every mistake is a
:class:`ConditionError` carrying the 0-based ``offset`` of the offending character,
so the loader points at the column inside the expression.

The runner consumes a :class:`Condition`: it reads the observables named in
:attr:`Condition.observables` and asks :meth:`Condition.holds`.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from drivers.kinds import PilotState

Reading = str | float


@dataclass(frozen=True)
class Observable:
    """Something the runner can read while a plan runs.

    ``states`` lists the values of an observable with named states; ``None`` marks a
    numeric observable, in ``unit``.
    """

    name: str
    meaning: str
    states: tuple[str, ...] | None = None
    unit: str = ""


#: The vocabulary of conditions: every name a ``wait_for`` may use.
OBSERVABLES: dict[str, Observable] = {
    o.name: o
    for o in (
        Observable("pilot.state", "J1772 pilot state", tuple(PilotState)),
        Observable("pilot.duty_pct", "advertised PWM duty cycle", unit="%"),
        Observable("pilot.ampacity_a", "current the duty cycle advertises", unit="A"),
        Observable("contactor", "the EVSE contactor", ("open", "closed")),
        Observable("load.input", "the load's input switch", ("on", "off")),
        Observable("load.current_a", "current the load measures", unit="A"),
        Observable("load.power_w", "real power the load measures", unit="W"),
        Observable("meter.energy_kwh", "EUMD energy since plug-in", unit="kWh"),
        Observable("meter.power_w", "EUMD real power", unit="W"),
        Observable("premise_meter.energy_kwh", "premise meter energy since plug-in", unit="kWh"),
        Observable("esi.binding", "the ESI's binding", ("none", "pending", "accepted", "refused")),
        Observable("outbox.pending", "session records the ESI has not delivered yet"),
    )
}

_COMPARE: dict[str, Callable[[Reading, Reading], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class ConditionError(ValueError):
    """A condition that does not parse; ``offset`` is the 0-based index of the problem."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Comparison:
    """``observable op value``."""

    observable: str
    op: str
    value: Reading

    def holds(self, readings: Mapping[str, Reading]) -> bool:
        return _COMPARE[self.op](readings[self.observable], self.value)

    def __str__(self) -> str:
        value = f"{self.value:g}" if isinstance(self.value, float) else self.value
        return f"{self.observable} {self.op} {value}"


@dataclass(frozen=True)
class AllOf:
    """Every part holds (``and``)."""

    parts: tuple[Node, ...]

    def holds(self, readings: Mapping[str, Reading]) -> bool:
        return all(part.holds(readings) for part in self.parts)

    def __str__(self) -> str:
        return " and ".join(_grouped(part) for part in self.parts)


@dataclass(frozen=True)
class AnyOf:
    """At least one part holds (``or``)."""

    parts: tuple[Node, ...]

    def holds(self, readings: Mapping[str, Reading]) -> bool:
        return any(part.holds(readings) for part in self.parts)

    def __str__(self) -> str:
        return " or ".join(str(part) for part in self.parts)


Node = Comparison | AllOf | AnyOf


def _grouped(node: Node) -> str:
    return f"({node})" if isinstance(node, AnyOf) else str(node)


@dataclass(frozen=True)
class Condition:
    """A parsed condition: its source text, its tree, and the observables it reads."""

    text: str
    root: Node

    @property
    def observables(self) -> frozenset[str]:
        return frozenset(_names(self.root))

    def holds(self, readings: Mapping[str, Reading]) -> bool:
        """Evaluate with ``readings`` (observable name → current value)."""
        return self.root.holds(readings)

    def __str__(self) -> str:
        return str(self.root)


def _names(node: Node) -> list[str]:
    if isinstance(node, Comparison):
        return [node.observable]
    return [name for part in node.parts for name in _names(part)]


_TOKEN = re.compile(
    r"\s*(?:(?P<number>[-+]?(?:\d+\.?\d*|\.\d+))(?![\w.])|(?P<name>[A-Za-z_][\w.]*)"
    r"|(?P<op>==|!=|<=|>=|<|>)|(?P<paren>[()]))"
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    offset: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            offset = len(text) - len(text[position:].lstrip())
            raise ConditionError(f"unexpected character {text[offset]!r}", offset)
        tokens.append(_Token(match.lastgroup, match[match.lastgroup], match.start(match.lastgroup)))
        position = match.end()
    tokens.append(_Token("end", "", len(text.rstrip())))
    return tokens


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def condition(self) -> Node:
        parts = [self.conjunct()]
        while self.peek().text == "or":
            self.take()
            parts.append(self.conjunct())
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def conjunct(self) -> Node:
        parts = [self.comparison()]
        while self.peek().text == "and":
            self.take()
            parts.append(self.comparison())
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def comparison(self) -> Node:
        token = self.take()
        if token.text == "(":
            inner = self.condition()
            closing = self.take()
            if closing.text != ")":
                raise ConditionError(f"expected ')', got {_shown(closing)}", closing.offset)
            return inner
        if token.kind != "name":
            raise ConditionError(f"expected an observable, got {_shown(token)}", token.offset)
        observable = _observable(token)
        op = self.take()
        if op.kind != "op":
            raise ConditionError(
                f"expected one of == != < <= > >= after {token.text}, got {_shown(op)}",
                op.offset,
            )
        return Comparison(observable.name, op.text, _value(observable, op, self.take()))


def _shown(token: _Token) -> str:
    return "the end" if token.kind == "end" else repr(token.text)


def _observable(token: _Token) -> Observable:
    if token.text in OBSERVABLES:
        return OBSERVABLES[token.text]
    message = f"unknown observable {token.text!r}"
    close = difflib.get_close_matches(token.text, OBSERVABLES, n=1)
    message += f" (did you mean '{close[0]}'?)" if close else f"; known: {', '.join(OBSERVABLES)}"
    raise ConditionError(message, token.offset)


def _value(observable: Observable, op: _Token, token: _Token) -> Reading:
    if observable.states is None:
        if token.kind != "number":
            raise ConditionError(
                f"{observable.name} is a number{_in(observable)}: compare it with a number, "
                f"got {_shown(token)}",
                token.offset,
            )
        return float(token.text)
    if op.text not in ("==", "!="):
        raise ConditionError(
            f"{observable.name} has named states: compare it with == or !=", op.offset
        )
    if token.text not in observable.states:
        raise ConditionError(
            f"{observable.name} is one of {', '.join(observable.states)}; got {_shown(token)}",
            token.offset,
        )
    return token.text


def _in(observable: Observable) -> str:
    return f" (in {observable.unit})" if observable.unit else ""


def parse_condition(text: str) -> Condition:
    """Parse ``text``; raise :class:`ConditionError` at the first mistake."""
    parser = _Parser(text)
    if parser.peek().kind == "end":
        raise ConditionError("empty condition: write e.g. 'pilot.state == C'", 0)
    root = parser.condition()
    rest = parser.peek()
    if rest.kind != "end":
        raise ConditionError(f"expected 'and', 'or' or the end, got {_shown(rest)}", rest.offset)
    return Condition(text, root)


def _validate(value: Any) -> Condition:
    if isinstance(value, Condition):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "condition",
            "a condition is text such as 'pilot.state == C', got {value!r}",
            {"value": value},
        )
    try:
        return parse_condition(value)
    except ConditionError as error:
        raise PydanticCustomError(
            "condition", "{message}", {"message": str(error), "offset": error.offset}
        ) from None


_VOCABULARY = "; ".join(
    f"{o.name} ({'|'.join(o.states) if o.states else o.unit or 'count'})"
    for o in OBSERVABLES.values()
)

#: A pydantic field holding a :class:`Condition`, written as its text.
ConditionField = Annotated[
    Condition,
    PlainValidator(_validate),
    PlainSerializer(lambda condition: condition.text),
    WithJsonSchema(
        {
            "type": "string",
            "description": "a condition over the observables, joined by and/or: " + _VOCABULARY,
            "examples": ["pilot.state == C", "load.current_a >= 15 and contactor == closed"],
        }
    ),
]
