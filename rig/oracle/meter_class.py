"""J-04: is the EUMD within its accuracy class? Decided the way calibration labs decide.

The EUMD's energy over the session is compared with a better instrument's count of
the same energy — the bench's **reference standard** (:mod:`drivers.meter.refstd`,
read right after every EUMD read), or, on a bench without one, the **load's** own
power readings integrated over time. The error, in % of the reference figure, is
judged against the EUMD's class (C12.20 0.5: ±0.5 %) by the guard-banded rule of
ILAC-G8 / ISO 14253-1 (:mod:`rig.results.uncertainty`): PASS only when
|error| + U ≤ class, FAIL when |error| − U > class, INCONCLUSIVE between.

The uncertainty budget (each term a half-width, rectangular: ÷√3), in % of the
reference energy:

==================  ======================================================================
term                half-width
==================  ======================================================================
reference class     the reference's class % (bench file ``reference.accuracy_class``)
reference register  √(q₁² + q₂²)/2 over its first and last reading's steps (float64: ~0)
read timing         the load's highest power × (|t_EUMD − t_ref| at the first read + at the
                    last): energy that may have flowed between the two meters' reads
EUMD register       √(q₁² + q₂²)/2 — a float32 kWh register at 1,000,000 kWh steps 62.5 Wh
load accuracy       (no reference) the load's power accuracy % (bench file
                    ``load.power_accuracy_pct``)
load sampling       (no reference) Σ |P₂ − P₁| × Δt / 2 over the load's readings
==================  ======================================================================

U = 2 × √Σ(aᵢ/√3)². The measurement records the error (%), the limits (± class),
the budget, U and the test uncertainty ratio (TUR = class / U), so the results and
the report show how sure the verdict is for a passing EUMD as much as a failing one.

With the default simulated bench (class 0.05 reference, float64 register, reads on
one virtual instant) U ≈ 0.058 %: an EUMD fails above ≈ 0.56 % error (1.12× class
0.5) and passes below ≈ 0.44 % (0.88×). With the load alone (±0.5 %) U ≈ 0.58 % —
more than the class itself (TUR < 1), so no EUMD can pass: every verdict is
INCONCLUSIVE or FAIL, as it honestly must be.

A session with no reference energy (nothing drawn) has no class decision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from drivers.errors import InstrumentReplyError
from rig.domain.checks import CheckKind
from rig.oracle.energy import load_energy, metered_energy
from rig.record import LoadSample, MeterTimeline
from rig.results.measurements import Limits, Measurement, Verdict
from rig.results.uncertainty import Term, Uncertainty


@dataclass(frozen=True)
class Counted:
    """One instrument's energy over the session (Wh) and the budget terms it brings (Wh)."""

    who: str
    wh: float
    terms: tuple[Term, ...] = ()


def register_term(name: str, meter: MeterTimeline) -> Term:
    """The quantisation of a delta of two register readings, as one half-width (Wh)."""
    first, last = meter.samples[0].resolution_wh, meter.samples[-1].resolution_wh
    return Term(name, math.hypot(first, last) / 2, note=f"steps {first:g} and {last:g} Wh")


def named(meter: MeterTimeline) -> str:
    """``EUMD-1001 (sdm630 @ modbus_tcp 127.0.0.1:5020 unit 1)``."""
    return f"{meter.meter_id} ({meter.instrument})" if meter.instrument else meter.meter_id


def read_timing(eumd: MeterTimeline, reference: MeterTimeline, load: Sequence[LoadSample]) -> Term:
    """Energy that may have flowed between the EUMD's and the reference's reads (Wh)."""
    skew_s = abs(eumd.samples[0].t - reference.samples[0].t)
    skew_s += abs(eumd.samples[-1].t - reference.samples[-1].t)
    power_w = max((abs(s.power_w) for s in load), default=0.0)
    return Term("read timing", power_w * skew_s / 3600, note=f"{skew_s:.3f} s at ≤ {power_w:.0f} W")


def _pct(term: Term, of_wh: float) -> Term:
    return Term(term.name, term.half_width / of_wh * 100, term.divisor, term.note)


def _reason(verdict: Verdict, error: float, expanded: float, limit: float) -> str:
    if verdict is Verdict.PASS:
        return f"|error| + U = {abs(error) + expanded:.3f} % ≤ {limit:g} %: in class"
    if verdict is Verdict.FAIL:
        return f"|error| − U = {abs(error) - expanded:.3f} % > {limit:g} %: out of class"
    return (
        f"|error| ± U = {abs(error) - expanded:.3f}…{abs(error) + expanded:.3f} % straddles "
        f"{limit:g} %: cannot tell"
    )


def class_decision(
    eumd: Counted, reference: Counted, class_pct: float, against: str
) -> Measurement:
    """The guard-banded measurement of the EUMD's error against ``reference`` (see the module)."""
    error = round((eumd.wh - reference.wh) / reference.wh * 100, 4)  # judged as recorded
    budget = Uncertainty(tuple(_pct(t, reference.wh) for t in (*reference.terms, *eumd.terms)))
    limits = Limits(low=-class_pct, high=class_pct)
    verdict = limits.judge_guarded(error, budget.expanded)
    tur = budget.tur(-class_pct, class_pct)
    ratio = f"TUR {tur:.1f}:1" if tur is not None else "TUR ∞"
    return Measurement.within(
        f"J-04 EUMD accuracy vs {against}",
        error,
        "%",
        limits,
        requirements=("J-04",),
        answers=CheckKind.ENERGY_AGREEMENT,
        uncertainty=budget,
        detail=(
            f"EUMD meter {eumd.who} {error:+.3f} % vs {reference.who}: "
            f"{eumd.wh / 1000:.4f} kWh against {reference.wh / 1000:.4f} kWh; "
            f"{_reason(verdict, error, budget.expanded, class_pct)} "
            f"(class ±{class_pct:g} %, {budget.describe('%')}, {ratio}, {budget.rule})"
        ),
    )


def check_meter_class(
    eumd: MeterTimeline,
    reference: MeterTimeline | None,
    load: Sequence[LoadSample],
    load_accuracy_pct: float,
) -> list[Measurement]:
    """The EUMD's class, guard-banded against the reference standard, else the load.

    Nothing when the EUMD's or the reference's count is unusable (their own checks
    say why) or when nothing was drawn (no error to speak of).
    """
    try:
        metered = metered_energy(eumd)
        against = _reference(eumd, reference, load, load_accuracy_pct)
    except (InstrumentReplyError, ValueError):
        return []
    if against is None or against[0].wh <= 0:
        return []
    counted = Counted(named(eumd), metered.wh, (register_term("EUMD register", eumd),))
    return [class_decision(counted, against[0], eumd.accuracy_pct, against[1])]


def _reference(
    eumd: MeterTimeline,
    reference: MeterTimeline | None,
    load: Sequence[LoadSample],
    load_accuracy_pct: float,
) -> tuple[Counted, str] | None:
    """The reference standard's count when it was read twice or more, else the load's."""
    if reference is not None and len(reference.samples) >= 2:
        counted = metered_energy(reference).wh
        pct = reference.accuracy_pct
        terms: tuple[Term, ...] = (
            Term("reference class", pct / 100 * counted, note=f"class {pct:g} %"),
            register_term("reference register", reference),
            read_timing(eumd, reference, load),
        )
        return Counted(named(reference), counted, terms), "reference"
    if len(load) < 2:
        return None
    load_wh, sampling_wh = load_energy(load)
    terms = (
        Term("load accuracy", load_accuracy_pct / 100 * load_wh, note=f"±{load_accuracy_pct:g} %"),
        Term("load sampling", sampling_wh, note="Σ|ΔP|·Δt/2"),
    )
    return Counted(f"the load (±{load_accuracy_pct:g} %)", load_wh, terms), "load"
