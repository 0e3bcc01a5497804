"""J-04: metered, measured and billed energy agree — within a tolerance worked out, not guessed.

Three independent figures for one session's energy:

* **EUMD** — the revenue meter's register at the end minus at the start. The
  subtraction is done pair by pair over every recorded reading with
  :func:`drivers.meter.energy.energy_delta`, so an acc32 counter that wrapped
  (SunSpec, at ``2**32 × 10**SF`` Wh) is counted once per wrap and a meter that
  went backwards is a failure, not a negative session.
* **Load** — the programmable load's own power readings, integrated over time by
  the trapezoid rule.
* **Billed** — the energy on the payer's bill lines.

The tolerance of each comparison is the sum of what can honestly separate the two
figures, and it is *recorded as the measurement's limits* (centre: the EUMD), so a
report shows not only that they agreed but how closely they had to:

These are *agreement* checks: they catch a session that lost, doubled or misbilled
energy. Whether the EUMD itself is within its accuracy class is a separate,
guard-banded decision against the bench's reference standard (or the load), with a
stated uncertainty: :mod:`rig.oracle.meter_class`, the last measurement
:func:`check_energy` returns ("J-04 EUMD accuracy vs reference").

=============  ==================================================================
term           value
=============  ==================================================================
meter class    accuracy class % × EUMD energy (C12.20 0.5: ±0.5 %)
register       (step at first reading + step at last reading) / 2 — a float32 kWh
               register at 1,000,000 kWh steps 62.5 Wh, so a session there can
               be off by that much without any fault
load           the load's measurement accuracy % × load energy (load vs EUMD), as the
               bench file declares it (``load.power_accuracy_pct``): no default here
sampling       Σ |P₂ − P₁| × Δt / 2 over successive load readings: the most the
               trapezoid can be off if power stepped anywhere between two readings
billing        ½ Wh per interval (the ESI reports whole Wh) (billed vs EUMD)
interval edges 0 — the ESI interpolates the register at each metering boundary
               (:mod:`rig.esi.session`); that moves at most ``edge_error_wh``
               between neighbouring intervals, and the session's total telescopes
               to the EUMD delta, so billed vs EUMD gains no term
=============  ==================================================================

A tariff's ``step_size`` rounds the billed energy *up* to whole steps: that is no
uncertainty but a known amount, so it moves the **expected** billed energy (EUMD +
the rounding :func:`rig.oracle.tariff.expected_bill` worked out from the intervals),
and the tolerance around it stays the honest one above. Counted as tolerance it put
every correct bill with a large step at the edge (MARGINAL) and let a bill that
forgot the rounding pass.

The outer ``marginal_fraction`` of each tolerance is marginal: the figures agree, but
close enough to the edge that the lab should look at the meter.

**Contiguity.** The ESI's intervals must abut: each starts where the previous one
ended. A hole is energy no interval carries — what the ESI loses when the EUMD is
unavailable mid-session (BR-04) — so :func:`check_contiguous` names it: the span
and the energy the load drew in it ("3.599 kWh the load drew from 16:00:00 to
16:30:00 is in no interval").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from drivers.errors import InstrumentReplyError
from drivers.meter.energy import energy_delta
from rig.domain.checks import CheckKind
from rig.record import LoadSample, MeteringInterval, MeterTimeline
from rig.results.measurements import Limits, Measurement

_REQUIREMENTS = ("J-04",)


@dataclass(frozen=True)
class EnergyTolerances:
    load_accuracy_pct: float
    """The load's power measurement accuracy, ± % of reading (its datasheet); the runner
    passes the bench file's ``load.power_accuracy_pct``
    (:attr:`rig.record.SessionRecord.load_accuracy_pct`). No default: an instrument's
    accuracy is the bench's to state."""
    interval_rounding_wh: float = 0.5
    """Half the resolution the ESI reports interval energy in."""
    marginal_fraction: float = 0.2


@dataclass(frozen=True)
class MeteredEnergy:
    """The EUMD's energy over the session and its register uncertainty (Wh)."""

    wh: float
    register_wh: float
    rolled_over: bool


def metered_energy(meter: MeterTimeline) -> MeteredEnergy:
    """Sum of pairwise deltas over the meter's readings (raises on a meter gone backwards)."""
    samples = meter.samples
    if len(samples) < 2:
        raise ValueError(f"{meter.meter_id}: fewer than two readings, no energy to compare")
    deltas = [
        energy_delta(
            a.import_wh, b.import_wh, rollover_wh=meter.rollover_wh, instrument=meter.meter_id
        )
        for a, b in pairwise(samples)
    ]
    return MeteredEnergy(
        wh=sum(d.wh for d in deltas),
        register_wh=(samples[0].resolution_wh + samples[-1].resolution_wh) / 2,
        rolled_over=any(d.rolled_over for d in deltas),
    )


def load_energy(load: Sequence[LoadSample]) -> tuple[float, float]:
    """The load's energy (Wh) by the trapezoid rule, and the sampling bound on its error."""
    energy = bound = 0.0
    for a, b in pairwise(load):
        hours = (b.t - a.t) / 3600.0
        energy += (a.power_w + b.power_w) / 2 * hours
        bound += abs(b.power_w - a.power_w) / 2 * hours
    return energy, bound


def _load_wh_between(load: Sequence[LoadSample], start: float, end: float) -> float:
    """The load's energy (Wh) from ``start`` to ``end``, its readings clipped to the span."""
    inside = [s for s in load if start <= s.t <= end]
    before = [s for s in load if s.t < start][-1:]
    after = [s for s in load if s.t > end][:1]
    samples = [LoadSample(start, 0, 0, before[0].power_w)] if before else []
    samples += inside + ([LoadSample(end, 0, 0, after[0].power_w)] if after else [])
    return load_energy(samples)[0]


def check_contiguous(
    intervals: Sequence[MeteringInterval], load: Sequence[LoadSample]
) -> list[Measurement]:
    """J-04/BR-09: the intervals abut; a hole is named with the energy the load drew in it."""
    ordered = sorted(intervals, key=lambda i: i.start)
    holes = [(a.end, b.start) for a, b in pairwise(ordered) if b.start != a.end]
    if not ordered:
        return []
    wh = [_load_wh_between(load, *sorted((a.timestamp(), b.timestamp()))) for a, b in holes]
    detail = "; ".join(
        f"{w / 1000:.3f} kWh the load drew from {a:%H:%M:%S} to {b:%H:%M:%S} is in no interval"
        if a < b
        else f"intervals overlap from {b:%H:%M:%S} to {a:%H:%M:%S} ({w / 1000:.3f} kWh twice)"
        for (a, b), w in zip(holes, wh, strict=True)
    )
    return [
        Measurement.equals(
            "J-04 energy in no interval",
            round(sum(wh) / 1000, 3),
            0.0,
            unit="kWh",
            requirements=("J-04", "BR-09"),
            detail=detail or f"{len(ordered)} intervals, each starting where the last ended",
        )
    ]


def _agreement(
    name: str,
    value_wh: float,
    eumd_wh: float,
    terms: dict[str, float],
    marginal_fraction: float,
    step_wh: float = 0.0,
) -> Measurement:
    """``value`` against the EUMD plus a known step rounding, within the summed ``terms``."""
    centre_wh = eumd_wh + step_wh
    tolerance_wh = sum(terms.values())
    limits = Limits.around(
        centre_wh / 1000, tolerance_wh / 1000, marginal_fraction=marginal_fraction
    )
    budget = " + ".join(f"{term} {wh / 1000:.4f}" for term, wh in terms.items())
    against = f"EUMD {eumd_wh / 1000:.4f} kWh"
    if step_wh:
        against += f" + step rounding {step_wh / 1000:.4f} = {centre_wh / 1000:.4f} kWh"
    return Measurement.within(
        name,
        value_wh / 1000,
        "kWh",
        limits,
        requirements=_REQUIREMENTS,
        answers=CheckKind.ENERGY_AGREEMENT,
        detail=(
            f"{value_wh / 1000:.4f} kWh against {against}: differs by "
            f"{abs(value_wh - centre_wh) / 1000:.4f} kWh, tolerance {tolerance_wh / 1000:.4f} kWh"
            f" ({budget})"
        ),
    )


def check_energy(
    eumd: MeterTimeline,
    load: Sequence[LoadSample],
    billed_kwh: Decimal | None,
    *,
    intervals: int,
    tolerances: EnergyTolerances,
    step_extra_kwh: Decimal = Decimal(0),
) -> list[Measurement]:
    """J-04 measurements: load vs EUMD, and (when billed) billed vs EUMD + ``step_extra_kwh``.

    ``step_extra_kwh`` is the energy the tariff's step size added to the bill (the
    oracle's :attr:`~rig.oracle.tariff.ExpectedBill.total_kwh` − ``metered_kwh``).
    """
    try:
        metered = metered_energy(eumd)
    except (InstrumentReplyError, ValueError) as error:
        return [Measurement.equals("J-04 EUMD energy", str(error), "a session delta")]
    class_wh = eumd.accuracy_pct / 100 * metered.wh
    measured_wh, sampling_wh = load_energy(load)
    measurements = [
        _agreement(
            "J-04 load energy vs EUMD",
            measured_wh,
            metered.wh,
            {
                "meter class": class_wh,
                "register": metered.register_wh,
                "load": tolerances.load_accuracy_pct / 100 * measured_wh,
                "sampling": sampling_wh,
            },
            tolerances.marginal_fraction,
        )
    ]
    if billed_kwh is not None:
        measurements.append(
            _agreement(
                "J-04 billed energy vs EUMD",
                float(billed_kwh) * 1000,
                metered.wh,
                {
                    "meter class": class_wh,
                    "register": metered.register_wh,
                    "billing": intervals * tolerances.interval_rounding_wh,
                },
                tolerances.marginal_fraction,
                step_wh=float(step_extra_kwh) * 1000,
            )
        )
    return measurements
