"""Measurements: what a check saw, what it expected, and the verdict that follows.

Every check the rig makes ends in a :class:`Measurement` (after OpenHTF): a name, the
measured value with its unit, what was expected, the requirement IDs it evidences and
a :class:`Verdict`. The verdict is *computed* from the value and the expectation, never
set by hand, so a result file cannot claim a pass its numbers do not support.

Two kinds of expectation:

**Limits** (:meth:`Measurement.within`), for numbers. ``low`` and ``high`` are both
inclusive and either may be absent (a one-sided limit). Inside the limits a
*marginal band* may be declared with ``marginal_low`` / ``marginal_high``::

     FAIL   |  MARGINAL   |         PASS          |  MARGINAL  |  FAIL
    --------+-------------+-----------------------+------------+--------
           low      marginal_low            marginal_high     high

A value within the limits but outside the marginal bounds (between a limit and its
marginal bound) is **MARGINAL**: it is within limits, so it still passes the plan, but it is
close enough to the edge that a lab should look (a meter drifting toward the end of
its accuracy class, a contactor that closes in 2.9 s of its 3 s). Only **FAIL** fails
a plan; :func:`overall_verdict` says so in one place.

**Equality** (:meth:`Measurement.equals`), for anything else: the payer account, a
tariff ID, whether an incentive applied. PASS when measured equals expected,
otherwise FAIL; never marginal.

**Limits with an uncertainty** (:meth:`Measurement.within` given ``uncertainty=``), for
a measurement that a lab signs: the verdict follows the guard-banded rule of
:mod:`rig.results.uncertainty` — PASS only when the value is inside the limits by at
least the expanded uncertainty U, FAIL when it is outside them by more than U, and
**INCONCLUSIVE** in between: the bench cannot tell. INCONCLUSIVE is never a pass
(:attr:`Verdict.passed` is false) and never a failure: a plan with one and no FAIL is
INCONCLUSIVE (:func:`overall_verdict`). No marginal band applies there: the guard
band is the margin.

A failing measurement explains itself: :attr:`Measurement.message` names the
measured and the expected value, or the check's own ``detail`` where a bare pair of
values would not say enough ("interval 3: billed rate 0.31 USD/kWh at on_peak,
expected 0.12 at off_peak").

Money is :class:`~decimal.Decimal` throughout; limits compare Decimal and float
exactly (Python compares the two without rounding either).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any, Literal, TypedDict, TypeVar, Unpack

from rig.domain.checks import Answers
from rig.results.uncertainty import Uncertainty

Number = int | float | Decimal
#: What a measurement may hold: a number, a text (an account ID), a flag, or nothing.
Value = Number | str | bool | None
N = TypeVar("N", float, Decimal)


class Verdict(StrEnum):
    """The outcome of one measurement. MARGINAL passes; FAIL fails; INCONCLUSIVE does neither."""

    PASS = "PASS"
    MARGINAL = "MARGINAL"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"

    @property
    def passed(self) -> bool:
        """PASS or MARGINAL. INCONCLUSIVE is not a pass: nobody may read it as one."""
        return self in (Verdict.PASS, Verdict.MARGINAL)


def _is_number(value: Value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@dataclass(frozen=True)
class Limits:
    """Inclusive numeric limits with an optional marginal band inside them."""

    low: Number | None = None
    high: Number | None = None
    marginal_low: Number | None = None
    marginal_high: Number | None = None

    def __post_init__(self) -> None:
        bounds = [
            b for b in (self.low, self.marginal_low, self.marginal_high, self.high) if b is not None
        ]
        if any(later < earlier for earlier, later in pairwise(bounds)):
            raise ValueError(
                "limits must satisfy low ≤ marginal_low ≤ marginal_high ≤ high, got "
                f"{self.low}, {self.marginal_low}, {self.marginal_high}, {self.high}"
            )

    @classmethod
    def around(cls, centre: N, tolerance: N, *, marginal_fraction: float | None = None) -> Limits:
        """``centre ± tolerance``; the outer ``marginal_fraction`` of the tolerance is marginal.

        ``Limits.around(10.0, 1.0, marginal_fraction=0.2)`` passes 9.2…10.8, is marginal
        in 9…9.2 and 10.8…11, and fails outside 9…11. Centre and tolerance are both
        floats or both Decimals.
        """
        if tolerance < 0:
            raise ValueError(f"a tolerance cannot be negative, got {tolerance}")
        if marginal_fraction is None:
            return cls(low=centre - tolerance, high=centre + tolerance)
        if not 0.0 <= marginal_fraction <= 1.0:
            raise ValueError(f"marginal_fraction must be within 0…1, got {marginal_fraction}")
        keep = 1.0 - marginal_fraction
        inner = (
            tolerance * Decimal(str(keep)) if isinstance(tolerance, Decimal) else tolerance * keep
        )
        return cls(
            low=centre - tolerance,
            high=centre + tolerance,
            marginal_low=centre - inner,
            marginal_high=centre + inner,
        )

    def judge(self, value: Number) -> Verdict:
        """The verdict for ``value`` (NaN always fails: it is not a measurement)."""
        if value != value:  # NaN
            return Verdict.FAIL
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            return Verdict.FAIL
        if (self.marginal_low is not None and value < self.marginal_low) or (
            self.marginal_high is not None and value > self.marginal_high
        ):
            return Verdict.MARGINAL
        return Verdict.PASS

    def judge_guarded(self, value: Number, expanded: float) -> Verdict:
        """The guard-banded verdict for ``value`` measured with expanded uncertainty ``expanded``.

        PASS when ``[value − U, value + U]`` lies within the limits, FAIL when it lies
        wholly outside them, INCONCLUSIVE otherwise (ILAC-G8, ISO 14253-1). NaN fails.
        """
        if value != value:  # NaN
            return Verdict.FAIL
        v = float(value)
        low = None if self.low is None else float(self.low)
        high = None if self.high is None else float(self.high)
        if (low is not None and v + expanded < low) or (high is not None and v - expanded > high):
            return Verdict.FAIL
        if (low is not None and v - expanded < low) or (high is not None and v + expanded > high):
            return Verdict.INCONCLUSIVE
        return Verdict.PASS

    def describe(self, unit: str = "") -> str:
        """The limits as a reader would write them: ``[9, 11] V``, ``≤ 5 s``, ``≥ 0 A``."""
        suffix = f" {unit}" if unit else ""
        if self.low is not None and self.high is not None:
            return f"[{self.low}, {self.high}]{suffix}"
        if self.high is not None:
            return f"≤ {self.high}{suffix}"
        if self.low is not None:
            return f"≥ {self.low}{suffix}"
        return "any value"


class About(TypedDict, total=False):
    """What a measurement says besides its value: see :class:`Measurement`'s fields."""

    requirements: Iterable[str]
    detail: str
    series: Iterable[str]
    answers: Answers | None
    uncertainty: Uncertainty | None


def _told(about: About) -> dict[str, Any]:
    """``about`` as :class:`Measurement`'s fields (the ID lists as tuples)."""
    told: dict[str, Any] = dict(about)
    for key in ("requirements", "series"):
        if key in told:
            told[key] = tuple(told[key])
    return told


@dataclass(frozen=True)
class Measurement:
    """One named, judged observation. Build it with :meth:`within` or :meth:`equals`.

    ``series`` names recorded time series (in the same plan of the results file) that
    back the value up, so a report can plot what the check looked at. ``answers`` is
    the plan check (or step) the measurement answers, declared by whoever takes it
    (:mod:`rig.domain.checks`); the results file keeps where it was filed instead
    (a measurement's ``step`` or ``source``).
    """

    name: str
    value: Value
    mode: Literal["limits", "equals"]
    unit: str = ""
    limits: Limits | None = None
    expected: Value = None
    requirements: tuple[str, ...] = ()
    detail: str = ""
    series: tuple[str, ...] = ()
    answers: Answers | None = None
    uncertainty: Uncertainty | None = None
    """The measurement's uncertainty budget; given, the verdict is guard-banded."""
    verdict: Verdict = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", self._judge())

    def _judge(self) -> Verdict:
        if self.mode == "equals":
            return Verdict.PASS if self.value == self.expected else Verdict.FAIL
        if not _is_number(self.value):
            return Verdict.FAIL  # nothing (or no number) measured against numeric limits
        assert isinstance(self.value, int | float | Decimal)
        if self.uncertainty is not None:
            return (self.limits or Limits()).judge_guarded(self.value, self.uncertainty.expanded)
        return (self.limits or Limits()).judge(self.value)

    @classmethod
    def within(
        cls, name: str, value: Number | None, unit: str, limits: Limits, **about: Unpack[About]
    ) -> Measurement:
        """A numeric measurement judged against ``limits`` (``None``: nothing measured)."""
        return cls(name=name, value=value, mode="limits", unit=unit, limits=limits, **_told(about))

    @classmethod
    def equals(
        cls, name: str, measured: Value, expected: Value, *, unit: str = "", **about: Unpack[About]
    ) -> Measurement:
        """A measurement that passes only when ``measured == expected``."""
        return cls(
            name=name, value=measured, mode="equals", unit=unit, expected=expected, **_told(about)
        )

    @classmethod
    def none_of(
        cls,
        name: str,
        problems: Sequence[str],
        unit: str,
        *,
        requirements: Iterable[str] = (),
        answers: Answers | None = None,
    ) -> Measurement:
        """A count of problems that must be zero; on failure the detail names the first three."""
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return cls.within(
            name,
            len(problems),
            unit,
            Limits(high=0),
            requirements=requirements,
            detail="; ".join(problems[:3]) + more,
            answers=answers,
        )

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    @property
    def message(self) -> str:
        """Empty when passing; otherwise one line naming measured against expected."""
        if self.verdict is Verdict.PASS:
            return ""
        unit = f" {self.unit}" if self.unit else ""
        if self.detail:
            what = self.detail
        elif self.mode == "equals":
            what = f"measured {self.value!s}{unit}, expected {self.expected!s}{unit}"
        else:
            limits = (self.limits or Limits()).describe(self.unit)
            band = {
                Verdict.MARGINAL: "near the edge of",
                Verdict.INCONCLUSIVE: "too close to tell (guard-banded) for",
            }.get(self.verdict, "expected within")
            what = f"measured {self.value!s}{unit}, {band} {limits}"
        return f"{self.verdict.value} {self.name}: {what}"


def overall_verdict(measurements: Iterable[Measurement]) -> Verdict:
    """A plan's verdict: FAIL if any measurement fails *or none was recorded*.

    Otherwise INCONCLUSIVE if any is inconclusive (the plan neither passes nor fails:
    the bench could not tell), then MARGINAL if any is marginal (the plan passes, with
    a warning), else PASS.
    """
    verdicts = {m.verdict for m in measurements}
    if not verdicts or Verdict.FAIL in verdicts:
        return Verdict.FAIL
    for verdict in (Verdict.INCONCLUSIVE, Verdict.MARGINAL):
        if verdict in verdicts:
            return verdict
    return Verdict.PASS
