"""Quantities parse from the text a plan writes, print back the same way, and fail clearly."""

from __future__ import annotations

import pytest

from rig.plans.units import Current, Duration, Energy, Power, QuantityError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90 s", 90),
        ("15 min", 900),
        ("2 h", 7200),
        ("250 ms", 0.25),
        (3, 3),
        (1.5, 1.5),
        ("2h", 7200),
    ],
)
def test_durations(text: str | float, seconds: float) -> None:
    assert Duration.parse(text).seconds == seconds


@pytest.mark.parametrize(
    ("quantity", "text"),
    [
        (Duration(5400), "90 min"),
        (Duration(7200), "2 h"),
        (Duration(2.5), "2.5 s"),
        (Energy(2.5), "2.5 kWh"),
        (Current(16), "16 A"),
        (Power(7.2), "7.2 kW"),
    ],
)
def test_quantities_print_as_a_plan_writes_them(quantity: object, text: str) -> None:
    assert str(quantity) == text


def test_other_kinds_convert_to_their_canonical_unit() -> None:
    assert Energy.parse("2500 Wh") == Energy(2.5)
    assert Energy.parse("0.5 MWh").kwh == 500
    assert Current.parse("500 mA").amps == 0.5
    assert Power.parse("1500 W").kw == 1.5


def test_kinds_do_not_mix() -> None:
    assert Duration(1) != Energy(1)
    assert Energy(1) < Energy(2)
    with pytest.raises(TypeError):
        assert Energy(1) < Duration(2)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kind", "text", "message", "offset"),
    [
        (Duration, "90 sec", "unknown unit 'sec'", 3),
        (Duration, "2 kWh", "'kWh' is a unit of an energy", 2),
        (Duration, "soon", "expected a duration such as", 0),
        (Energy, 10, "give a unit", 0),
        (Energy, "10", "give a unit", 2),
        (Current, "-3 A", "must not be negative", 0),
        (Power, True, "expected a power", 0),
    ],
)
def test_errors_name_the_problem_and_where(
    kind: type[Duration], text: str, message: str, offset: int
) -> None:
    with pytest.raises(QuantityError, match=message) as caught:
        kind.parse(text)
    assert caught.value.offset == offset
