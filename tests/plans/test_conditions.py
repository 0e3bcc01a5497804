"""Conditions parse without eval, evaluate against readings, and fail at the right column."""

from __future__ import annotations

import pytest

from rig.plans.conditions import OBSERVABLES, ConditionError, parse_condition


def test_a_comparison() -> None:
    condition = parse_condition("pilot.state == C")
    assert condition.observables == {"pilot.state"}
    assert condition.holds({"pilot.state": "C"})
    assert not condition.holds({"pilot.state": "B"})


def test_numbers_compare_numerically() -> None:
    condition = parse_condition("meter.energy_kwh >= 2")
    assert condition.holds({"meter.energy_kwh": 2.0})
    assert not condition.holds({"meter.energy_kwh": 1.999})


def test_and_binds_tighter_than_or_and_parentheses_group() -> None:
    loose = parse_condition("pilot.state == E or pilot.state == F and contactor == open")
    grouped = parse_condition("(pilot.state == E or pilot.state == F) and contactor == open")
    readings = {"pilot.state": "E", "contactor": "closed"}
    assert loose.holds(readings)
    assert not grouped.holds(readings)
    assert str(grouped) == "(pilot.state == E or pilot.state == F) and contactor == open"


def test_every_observable_is_documented() -> None:
    assert all(observable.meaning for observable in OBSERVABLES.values())
    for name, observable in OBSERVABLES.items():
        value = observable.states[0] if observable.states else "1"
        op = "==" if observable.states else ">="
        assert parse_condition(f"{name} {op} {value}").observables == {name}


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("pilot.stat == C", "unknown observable 'pilot.stat' (did you mean 'pilot.state'?)", 0),
        ("pilot.state == G", "pilot.state is one of A, B, C, D, E, F; got 'G'", 15),
        ("pilot.state > C", "pilot.state has named states: compare it with == or !=", 12),
        ("load.current_a >= lots", "load.current_a is a number (in A)", 18),
        ("load.current_a 15", "expected one of == != < <= > >= after load.current_a, got '15'", 15),
        ("contactor == closed and", "expected an observable, got the end", 23),
        ("(contactor == closed", "expected ')', got the end", 20),
        ("contactor == closed contactor", "expected 'and', 'or' or the end", 20),
        ("contactor == closed; rm -rf /", "unexpected character ';'", 19),
        ("__import__('os')", "unexpected character", 11),
        ("  ", "empty condition", 0),
    ],
)
def test_errors_point_at_the_offending_character(text: str, message: str, offset: int) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(text)
    assert message in str(caught.value)
    assert caught.value.offset == offset
