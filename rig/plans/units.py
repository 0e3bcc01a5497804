"""Quantities with units, as plans write them: ``"90 s"``, ``"15 min"``, ``"2 kWh"``, ``"16 A"``.

A plan is read by people, so every quantity carries its unit in the text and is
parsed into a typed value the runner cannot confuse with another: a
:class:`Duration` is not an :class:`Energy`. Each type stores one canonical unit
(seconds, kWh, amperes, kW) and prints back the way a plan would write it::

    >>> Duration.parse("15 min").seconds
    900.0
    >>> str(Energy.parse("2500 Wh"))
    '2.5 kWh'

Every quantity is finite, non-negative and at most its kind's :attr:`~_Quantity.LIMIT`
(a week; 1000 kWh; 1000 A; 1000 kW), far beyond any bench but small enough that a
typo such as ``2^63 s`` or ``.inf`` is refused at load instead of keeping a wait
spinning forever.

Only a duration may be a bare number (seconds), because ``within: 3`` is common and
unambiguous; an energy, current or power without its unit is an error. Validation
errors carry ``offset`` in their context, the column of the offending part of the
text, so the YAML loader can point at the unit that is wrong rather than at the key.

The classes are pydantic field types themselves: a model field annotated
``Duration`` accepts ``"90 s"`` and serialises back to ``"90 s"``, and its JSON
Schema is a string pattern (plus a number, for durations) that editors check as
the plan is typed. :data:`RateLimit` is the one field that takes either of two
kinds, told apart by the unit.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

_QUANTITY = re.compile(r"\s*(?P<number>[-+]?(?:\d+\.?\d*|\.\d+))\s*(?P<unit>\S*)\s*$")


@functools.total_ordering
class _Quantity:
    """A non-negative amount in the type's canonical unit; immutable, ordered within its kind.

    (A plain class rather than a dataclass, so that pydantic serialises it — defaults
    in the JSON Schema included — as the text a plan would write.)
    """

    __slots__ = ("_value",)

    NOUN: ClassVar[str]
    EXAMPLES: ClassVar[str]
    UNITS: ClassVar[dict[str, float]]
    """Unit symbol → factor to the canonical unit; the canonical unit has factor 1."""
    BARE_NUMBER_UNIT: ClassVar[str | None] = None
    LIMIT: ClassVar[float]
    """The largest amount a plan may give, in the canonical unit."""

    def __init__(self, value: float) -> None:
        self._value = float(value)

    @property
    def value(self) -> float:
        return self._value

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.value == self.value

    def __lt__(self, other: Self) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.value < other.value

    def __hash__(self) -> int:
        return hash((type(self), self.value))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"

    @classmethod
    def parse(cls, text: str | float) -> Self:
        """Parse ``text`` (or a number, where the type allows); raise :class:`QuantityError`."""
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            raise QuantityError(f"expected {cls._expected()}, got {text!r}", 0)
        if not isinstance(text, str):
            if cls.BARE_NUMBER_UNIT is None:
                raise QuantityError(f"give a unit: expected {cls._expected()}, got {text!r}", 0)
            return cls._make(_as_float(text), cls.BARE_NUMBER_UNIT, 0)
        match = _QUANTITY.match(text)
        if match is None:
            raise QuantityError(f"expected {cls._expected()}, got {text!r}", 0)
        unit = match["unit"] or cls.BARE_NUMBER_UNIT
        if unit is None:
            raise QuantityError(
                f"give a unit: expected {cls._expected()}, got {text!r}", match.end("number")
            )
        return cls._make(float(match["number"]), unit, match.start("unit"))

    @classmethod
    def _make(cls, number: float, unit: str, unit_offset: int) -> Self:
        if unit not in cls.UNITS:
            other = next((q for q in _KINDS if unit in q.UNITS), None)
            what = f"'{unit}' is a unit of {other.NOUN}" if other else f"unknown unit '{unit}'"
            raise QuantityError(f"{what}: expected {cls._expected()}", unit_offset)
        if not math.isfinite(number):
            raise QuantityError(f"{cls.NOUN} must be a finite number", 0)
        if number < 0:
            raise QuantityError(f"{cls.NOUN} must not be negative", 0)
        quantity = cls(number * cls.UNITS[unit])
        if quantity.value > cls.LIMIT:
            raise QuantityError(f"{cls.NOUN} must be at most {cls(cls.LIMIT)}", 0)
        return quantity

    @classmethod
    def _expected(cls) -> str:
        return f"{cls.NOUN} such as {cls.EXAMPLES} (units: {', '.join(cls.UNITS)})"

    def __str__(self) -> str:
        canonical = next(unit for unit, factor in self.UNITS.items() if factor == 1)
        return f"{self.value:g} {canonical}"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validator(cls), serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return _json_schema(cls)


class QuantityError(ValueError):
    """Text that is not the expected quantity; ``offset`` is where in the text it goes wrong."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class Duration(_Quantity):
    """A length of time, in seconds."""

    NOUN = "a duration"
    EXAMPLES = "'90 s', '15 min' or '2 h'"
    UNITS: ClassVar[dict[str, float]] = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}
    BARE_NUMBER_UNIT = "s"
    LIMIT = 7 * 24 * 3600.0

    @property
    def seconds(self) -> float:
        return self.value

    def __str__(self) -> str:
        for unit in ("h", "min", "s"):
            count = self.value / self.UNITS[unit]
            if count >= 1 and count == round(count):
                return f"{count:g} {unit}"
        return f"{self.value:g} s"


class Energy(_Quantity):
    """An amount of energy, in kWh."""

    NOUN = "an energy"
    EXAMPLES = "'2 kWh' or '500 Wh'"
    UNITS: ClassVar[dict[str, float]] = {"Wh": 0.001, "kWh": 1.0, "MWh": 1000.0}
    LIMIT = 1000.0

    @property
    def kwh(self) -> float:
        return self.value


class Current(_Quantity):
    """An RMS current, in amperes."""

    NOUN = "a current"
    EXAMPLES = "'16 A' or '500 mA'"
    UNITS: ClassVar[dict[str, float]] = {"mA": 0.001, "A": 1.0}
    LIMIT = 1000.0

    @property
    def amps(self) -> float:
        return self.value


class Power(_Quantity):
    """A real power, in kW."""

    NOUN = "a power"
    EXAMPLES = "'7.2 kW' or '1500 W'"
    UNITS: ClassVar[dict[str, float]] = {"W": 0.001, "kW": 1.0}
    LIMIT = 1000.0

    @property
    def kw(self) -> float:
        return self.value


_KINDS: tuple[type[_Quantity], ...] = (Duration, Energy, Current, Power)


def _validator(*kinds: type[_Quantity]) -> Callable[[Any], _Quantity]:
    """Validate a plan value as one of ``kinds``, chosen by its unit."""

    def validate(value: Any) -> _Quantity:
        if isinstance(value, kinds):
            return value
        unit = _unit_of(value)
        kind = next((kind for kind in kinds if unit in kind.UNITS), kinds[0])
        try:
            return kind.parse(value)
        except QuantityError as error:
            message = str(error)
            if len(kinds) > 1 and unit not in kind.UNITS:
                message = "expected " + " or ".join(k._expected() for k in kinds)
                message += f", got {value!r}"
            context = {"message": message, "offset": error.offset}
            raise PydanticCustomError("quantity", "{message}", context) from None

    return validate


def _as_float(number: int | float) -> float:
    """``number`` as a float; an integer too large for one becomes infinity (and is refused)."""
    try:
        return float(number)
    except OverflowError:
        return math.inf


def _json_schema(*kinds: type[_Quantity]) -> dict[str, Any]:
    units = [unit for kind in kinds for unit in kind.UNITS]
    pattern = r"^\s*[+]?(\d+\.?\d*|\.\d+)\s*(" + "|".join(units) + r")\s*$"
    description = " or ".join(f"{kind.NOUN} such as {kind.EXAMPLES}" for kind in kinds)
    text = {"type": "string", "pattern": pattern}
    if any(kind.BARE_NUMBER_UNIT for kind in kinds):
        limit = min(kind.LIMIT for kind in kinds)
        number = {"type": "number", "minimum": 0, "maximum": limit}
        return {"anyOf": [text, number], "description": description}
    return {**text, "description": description}


def _unit_of(value: Any) -> str | None:
    match = _QUANTITY.match(value) if isinstance(value, str) else None
    return match["unit"] if match else None


#: A charging-rate limit a utility may state either way: ``"16 A"`` or ``"3.8 kW"``.
RateLimit = Annotated[
    Current | Power,
    PlainValidator(_validator(Current, Power)),
    PlainSerializer(str),
    WithJsonSchema(_json_schema(Current, Power)),
]
