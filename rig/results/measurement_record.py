"""A measurement as the results file stores it, its verdict checked when read.

:class:`MeasurementRecord` recomputes the verdict from the stored value and limits,
so a file cannot claim a pass its numbers do not support. Decimals (money) travel
as JSON strings, marked by ``decimal: true``, so no amount ever passes through a
binary float.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from rig.results.base import FrozenModel, JsonValue, RunScoped
from rig.results.measurements import Limits, Measurement, Value, Verdict
from rig.results.uncertainty import Term, Uncertainty


class LimitsModel(FrozenModel):
    low: JsonValue = None
    high: JsonValue = None
    marginal_low: JsonValue = None
    marginal_high: JsonValue = None


class TermModel(FrozenModel):
    name: str
    half_width: float
    divisor: float
    standard: float = Field(description="half_width / divisor, for readers")
    note: str = ""


class UncertaintyModel(FrozenModel):
    """A measurement's uncertainty budget (:mod:`rig.results.uncertainty`) as stored."""

    rule: str
    coverage_k: float
    terms: tuple[TermModel, ...]
    expanded: float = Field(description="U = k × u_c, in the measurement's unit")
    tur: float | None = Field(default=None, description="test uncertainty ratio")

    @classmethod
    def of(cls, u: Uncertainty, limits: Limits | None) -> UncertaintyModel:
        low = None if limits is None or limits.low is None else float(limits.low)
        high = None if limits is None or limits.high is None else float(limits.high)
        return cls(
            rule=u.rule,
            coverage_k=u.coverage_k,
            terms=tuple(
                TermModel(
                    name=t.name,
                    half_width=t.half_width,
                    divisor=t.divisor,
                    standard=t.standard,
                    note=t.note,
                )
                for t in u.terms
            ),
            expanded=u.expanded,
            tur=u.tur(low, high),
        )

    def to_uncertainty(self) -> Uncertainty:
        terms = tuple(Term(t.name, t.half_width, t.divisor, t.note) for t in self.terms)
        return Uncertainty(terms, self.coverage_k, self.rule)


class MeasurementRecord(RunScoped):
    """A :class:`~rig.results.measurements.Measurement` as stored; ``to_measurement`` inverts it."""

    part: ClassVar[str] = "measurements"
    type: Literal["measurement"] = "measurement"
    plan: str
    step: int | None = Field(default=None, ge=0, description="index of the step that measured")
    name: str
    mode: Literal["limits", "equals"]
    value: JsonValue
    unit: str = ""
    limits: LimitsModel | None = None
    expected: JsonValue = None
    decimal: bool = Field(default=False, description="numeric strings here are Decimals")
    verdict: Verdict
    requirements: tuple[str, ...] = ()
    detail: str = Field(default="", description="the check's own explanation, if any")
    message: str = Field(default="", description="one line for a failing reader; empty on PASS")
    series: tuple[str, ...] = Field(default=(), description="names of series in this plan")
    unrecorded: tuple[str, ...] = Field(
        default=(), description="series it rests on that the plan never recorded"
    )
    source: str = Field(
        default="", description="for a check after the steps: the plan check's YAML"
    )
    uncertainty: UncertaintyModel | None = Field(
        default=None, description="uncertainty budget; given, the verdict is guard-banded"
    )

    @model_validator(mode="after")
    def _verdict_follows_from_values(self) -> Self:
        recomputed = self.to_measurement().verdict
        if recomputed is not self.verdict:
            raise ValueError(
                f"measurement {self.name!r} records verdict {self.verdict.value} but its "
                f"value and limits give {recomputed.value}"
            )
        return self

    @classmethod
    def from_measurement(
        cls, run_id: str, plan: str, step: int | None, measurement: Measurement
    ) -> MeasurementRecord:
        m = measurement
        limits = None
        if m.limits is not None:
            limits = LimitsModel(
                low=_encode(m.limits.low),
                high=_encode(m.limits.high),
                marginal_low=_encode(m.limits.marginal_low),
                marginal_high=_encode(m.limits.marginal_high),
            )
        numbers = [m.value, m.expected]
        if m.limits is not None:
            numbers += [m.limits.low, m.limits.high, m.limits.marginal_low, m.limits.marginal_high]
        return cls(
            run_id=run_id,
            plan=plan,
            step=step,
            name=m.name,
            mode=m.mode,
            value=_encode(m.value),
            unit=m.unit,
            limits=limits,
            expected=_encode(m.expected),
            decimal=any(isinstance(n, Decimal) for n in numbers),
            verdict=m.verdict,
            requirements=m.requirements,
            detail=m.detail,
            message=m.message,
            series=m.series,
            uncertainty=None
            if m.uncertainty is None
            else UncertaintyModel.of(m.uncertainty, m.limits),
        )

    def to_measurement(self) -> Measurement:
        decode = _decimal if self.decimal else _plain
        if self.mode == "equals":
            return Measurement.equals(
                self.name,
                decode(self.value),
                decode(self.expected),
                unit=self.unit,
                requirements=self.requirements,
                detail=self.detail,
                series=self.series,
            )
        value = decode(self.value)
        lim = self.limits or LimitsModel()
        return Measurement.within(
            self.name,
            value if isinstance(value, int | float | Decimal) else None,
            self.unit,
            Limits(
                low=_number(decode(lim.low)),
                high=_number(decode(lim.high)),
                marginal_low=_number(decode(lim.marginal_low)),
                marginal_high=_number(decode(lim.marginal_high)),
            ),
            requirements=self.requirements,
            detail=self.detail,
            series=self.series,
            uncertainty=None if self.uncertainty is None else self.uncertainty.to_uncertainty(),
        )


def _encode(value: Value) -> JsonValue:
    return str(value) if isinstance(value, Decimal) else value


def _plain(value: JsonValue) -> Value:
    return value


def _decimal(value: JsonValue) -> Value:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def _number(value: Value) -> int | float | Decimal | None:
    return value if isinstance(value, int | float | Decimal) else None
