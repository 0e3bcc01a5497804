"""A synthetic but realistic results file, written with the real writer.

(One module of some 450 lines on purpose: it is one made-up run, read top to
bottom, whose series, measurements and billing must agree with one another.)

The report's tests, its benchmark and anyone who wants to see a report without a
bench need results that look like a real run's: a simulated bench with its
instruments (one of them out of calibration, on request), plans across the six
scenarios and the programs, one-hour sessions sampled every ten seconds, DR, ALM,
price and fault events, an interval table, utility and clearinghouse records, and
— on request — a failing plan (a billed amount the oracle disagrees with) and a
marginal one (a contactor that closed in 2.9 s of its 3 s). Everything is derived
from ``seed``; nothing here is random across calls.

:func:`write_sample_run` writes one run's file with :class:`~rig.results.ResultsWriter`,
so whatever the report reads went through the same validation a real run's would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rig.results import (
    BenchIdentity,
    EventRecord,
    InstrumentIdentity,
    IntervalRecord,
    PlanEndRecord,
    PlanStartRecord,
    ResultsWriter,
    RunEndRecord,
    RunRecord,
    SeriesRecord,
    ServiceRecord,
    StepRecord,
)
from rig.results.measurements import Limits, Measurement, overall_verdict
from rig.results.series import SeriesKind

START = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)
SESSION_S = 3600
STEADY_S = 30  # the runner's steady sampling on a virtual clock (rig.runner.loop)
REGISTER_WH = 1_234_567.8  # the EUMD's register total at plug-in
INTERVAL_S = 900
RATE = Decimal("0.120")


@dataclass(frozen=True)
class Template:
    plan: str
    scenario: str
    title: str
    covers: tuple[str, ...]
    event: str = ""


TEMPLATES = (
    Template("sc1-home", "sc1", "Enrolled PEV at its owner's premise", ("SC-1", "BR-02", "BR-03")),
    Template("sc2-host-pays", "sc2", "Other premise, host pays", ("SC-2", "BR-11")),
    Template("sc3-pev-pays", "sc3", "Other premise, PEV customer pays, netted", ("SC-3", "BR-09")),
    Template("sc4-guest-rate", "sc4", "Roaming, guest rate", ("SC-4", "BR-06", "BR-10")),
    Template("sc4-home-rate", "sc4", "Roaming, home rate", ("SC-4", "BR-06", "BR-12")),
    Template("sc5-not-enrolled", "sc5", "Unenrolled PEV cannot bind", ("SC-5", "BR-05")),
    Template("sc6-workplace", "sc6", "Workplace portal, direct billing", ("SC-6", "BR-07")),
    Template("br01-utility-down", "sc1", "Utility unreachable", ("BR-01",), "fault"),
    Template("pg-tou-boundary", "sc1", "Session across a TOU boundary", ("PG-TOU", "BR-08")),
    Template("pg-dlc", "sc1", "DR event limits charging", ("PG-DLC",), "dr"),
    Template("pg-rtp", "sc1", "Hourly price published ahead", ("PG-RTP",), "price"),
    Template("pg-alm", "sc1", "ALM lowers the allowed rate", ("PG-ALM",), "alm"),
)
ELECTRICAL = ("J-01", "J-02", "J-03", "J-04", "J-05", "J-06")


def _bench(expired_calibration: bool) -> BenchIdentity:
    due_ok = dt.date(2027, 6, 30)
    return BenchIdentity(
        name="sim",
        file="fixtures/benches/sim.yaml",
        file_sha256="5f1c" * 16,
        simulated=True,
        instruments=(
            InstrumentIdentity(
                role="eumd",
                driver="sdm630",
                idn="Eastron SDM630 (simulated)",
                serial="SIM-EUMD-1",
                firmware="1.7",
                calibration_due=due_ok,
                accuracy_class="C12.20 0.5",
                calibration_certificate="CAL-EUMD-2026-0117",
            ),
            InstrumentIdentity(
                role="premise_meter",
                driver="sunspec",
                idn="SunSpec 203 (simulated)",
                serial="SIM-PREM-1",
                firmware="2.0",
                calibration_due=dt.date(2025, 12, 31) if expired_calibration else due_ok,
                accuracy_class="C12.20 0.2",
            ),
            InstrumentIdentity(
                role="load",
                driver="chroma63800",
                idn="Chroma,63803,SIM-LOAD-1,1.02",
                serial="SIM-LOAD-1",
                firmware="1.02",
                calibration_certificate="CAL-LOAD-2026-0042",
            ),
            InstrumentIdentity(role="pilot", driver="can", idn="rig pilot sim", serial="SIM-P-1"),
        ),
    )


def _sample_times(t0: float, changes: list[float]) -> list[float]:
    """When the runner reads the bench: every 30 s, densely for 6 s after each change."""
    dense = [0.025, 0.05, 0.075, 0.1, 0.15, 0.2] + [0.25 * i for i in range(1, 25)]
    times = {float(t) for t in range(0, SESSION_S + 1, STEADY_S)}
    times |= {c + d for c in changes for d in (0.0, *dense) if c + d <= SESSION_S}
    return [t0 + t for t in sorted(times)]


def _series(
    t0: float, template: Template, rng: random.Random
) -> dict[SeriesKind, list[list[float]]]:
    """Three of the runner's series (advertised ampacity, load current, EUMD register)
    and the four the report also charts (pilot state, load power and energy, billed
    energy); the runner's pilot duty is left out, the pilot state says more."""
    changes = [0.0, 12.0, SESSION_S / 2, SESSION_S - 30.0]
    if template.event == "dr":
        changes += [1200.0, 2100.0]
    ampacity: list[list[float]] = []
    current: list[list[float]] = []
    power: list[list[float]] = []
    register: list[list[float]] = []
    load: list[list[float]] = []
    billed: list[list[float]] = []
    e_meter = e_load = 0.0
    previous = t0
    for t in _sample_times(t0, changes):
        rel = t - t0
        amps = 32.0 if rel < SESSION_S / 2 else 16.0
        if template.event == "dr" and 1200 <= rel < 2100:
            amps = 0.0
        if rel < 12 or rel >= SESSION_S - 30:
            amps = 0.0
        drawn = max(0.0, min(amps, 30.0) + rng.uniform(-0.3, 0.3)) if amps else 0.0
        e_meter += drawn * 240.0 * (t - previous) / 3600.0
        e_load += drawn * 240.0 * (t - previous) / 3600.0 * 1.002
        previous = t
        ampacity.append([t, amps])
        current.append([t, round(drawn, 3)])
        power.append([t, round(drawn * 240.0, 1)])
        register.append([t, round(REGISTER_WH + e_meter, 1)])
        load.append([t, round(e_load, 1)])
        billed_wh = e_meter - e_meter % 1.0 if rel % INTERVAL_S < 1 else None
        billed.append([t, round(billed_wh / 1000, 3) if billed_wh is not None else billed[-1][1]])
    pilot = [[t0, 0], [t0 + 5, 1], [t0 + 12, 2], [t0 + SESSION_S - 20, 1], [t0 + SESSION_S, 0]]
    if template.event == "fault":
        pilot.insert(3, [t0 + 1800, 4])
    return {
        SeriesKind.PILOT_STATE: pilot,
        SeriesKind.ADVERTISED_AMPACITY: ampacity,
        SeriesKind.LOAD_CURRENT: current,
        SeriesKind.LOAD_POWER: power,
        SeriesKind.EUMD_REGISTER: register,
        SeriesKind.LOAD_ENERGY: load,
        SeriesKind.BILLED_ENERGY: billed,
    }


def _events(run_id: str, plan: str, t0: float, kind: str) -> list[EventRecord]:
    labels = {
        "dr": (1200.0, 2100.0, "limit 0 kW, notified 15 min ahead"),
        "alm": (1800.0, None, "allowed rate 3.8 kW"),
        "price": (0.0, 3600.0, "0.31 USD/kWh this hour"),
        "fault": (1800.0, 1830.0, "pilot E: short"),
    }
    if kind not in labels:
        return []
    start, end, label = labels[kind]
    return [
        EventRecord(
            run_id=run_id,
            plan=plan,
            kind=kind,
            t=t0 + start,
            t_end=None if end is None else t0 + end,
            label=label,
        )
    ]


STEPS = (
    ("plug_in", "- plug_in", 2.0),
    ("wait_for", "- wait_for: pilot.state == B within 2 s", 0.5),
    ("bind", "- bind", 1.0),
    ("energy_request", "- energy_request", 1.0),
    ("wait_for", "- wait_for: contactor == closed within 5 s", 2.5),
    ("charge", "- charge: 30 min", 1800.0),
    ("set_ampacity", "- set_ampacity: 16 A", 0.1),
    ("charge", "- charge: {until: 6 kWh, within: 2 h}", 1760.0),
    ("unplug", "- unplug", 1.0),
    ("wait_for", "- wait_for: outbox.pending == 0 within 1 min", 3.0),
)


def _measurements(
    template: Template, failing: bool, marginal: bool, metered: Decimal, billed_amount: Decimal
) -> list[tuple[int | None, Measurement]]:
    K = SeriesKind
    close = 2.9 if marginal else 1.2
    expected_amount = (metered * RATE).quantize(Decimal("0.01"))
    reqs = template.covers
    return [
        (4, Measurement.within("J-05 contactor close time", close, "s",
                               Limits(0.0, 3.0, None, 2.7), requirements=("J-05",))),
        (8, Measurement.within("J-05 contactor open time", 0.04, "s", Limits(0.0, 0.1),
                               requirements=("J-05",))),
        (0, Measurement.within("J-06 pilot high, state B", 9.02, "V", Limits(8.36, 9.56),
                               requirements=("J-06",))),
        (5, Measurement.within("J-06 pilot high, state C", 5.98, "V", Limits(5.48, 6.49),
                               requirements=("J-06",))),
        (5, Measurement.within("J-06 pilot frequency", 1000.4, "Hz", Limits(980.0, 1020.0),
                               requirements=("J-06",))),
        (None, Measurement.equals("J-01 pilot sequence", "A B C B A", "A B C B A",
                                  requirements=("J-01",))),
        (5, Measurement.within("J-02 load current vs advertised", 30.3, "A", Limits(high=32.0),
                               requirements=("J-02",),
                               series=(K.LOAD_CURRENT, K.ADVERTISED_AMPACITY))),
        (6, Measurement.within("J-03 load follows lower ampacity", 1.8, "s", Limits(0.0, 5.0),
                               requirements=("J-03",), series=(K.LOAD_CURRENT,))),
        (None, Measurement.within("J-04 metered vs load energy", 0.2, "%",
                                  Limits(-0.7, 0.7, -0.5, 0.5), requirements=("J-04",),
                                  series=(K.EUMD_REGISTER, K.LOAD_ENERGY, K.BILLED_ENERGY))),
        (2, Measurement.equals("payer account", "ACC-ALICE", "ACC-ALICE", requirements=reqs)),
        (2, Measurement.equals("tariff", "HPL-PEV-TOU", "HPL-PEV-TOU", requirements=reqs)),
        (2, Measurement.equals("incentive applied", True, True, requirements=reqs)),
        (None, Measurement.equals("rate per interval", RATE, RATE, unit="USD/kWh",
                                  requirements=reqs)),
        (9 if failing else None, Measurement.equals(
            "billed amount", billed_amount, expected_amount, unit="USD", requirements=reqs,
            detail=(f"billed {billed_amount} USD for {metered} kWh at mid_peak, oracle prices "
                    f"it {expected_amount} USD at {RATE} USD/kWh") if failing else "")),
    ]  # fmt: skip


def _write_plan(
    out: ResultsWriter,
    run_id: str,
    index: int,
    template: Template,
    rng: random.Random,
    *,
    failing: bool,
    marginal: bool,
    unique: bool,
) -> None:
    plan = template.plan if not unique else f"{template.plan}-{index:04d}"
    begin = START + dt.timedelta(hours=index)
    t0 = begin.timestamp()
    out.write(
        PlanStartRecord(
            run_id=run_id,
            plan=plan,
            file=f"test_plans/{template.plan.replace('-', '_')}.yaml",
            file_sha256=hashlib.sha256(template.plan.encode()).hexdigest(),
            title=template.title,
            scenario=template.scenario,
            requirements=(*template.covers, *ELECTRICAL),
            started_at=begin,
            utility_protocol="rest",
            utility_data="two_utilities",
        )
    )
    clock = begin
    for i, (kind, source, took) in enumerate(STEPS):
        end = clock + dt.timedelta(seconds=took)
        bad = failing and i == len(STEPS) - 1
        out.write(
            StepRecord(
                run_id=run_id,
                plan=plan,
                index=i,
                kind=kind,
                source_line=9 + i,
                source=source,
                started_at=clock,
                ended_at=end,
                outcome="passed",
                message="outbox delivered 4 intervals after 2 retries" if bad else "",
            )
        )
        clock = end
    series = _series(t0, template, rng)
    register = series[SeriesKind.EUMD_REGISTER]
    metered = Decimal(str(round((register[-1][1] - REGISTER_WH) / 1000, 3)))
    amount = (metered * RATE).quantize(Decimal("0.01")) + (Decimal("0.42") if failing else 0)
    measurements = _measurements(template, failing, marginal, metered, amount)
    for step, measurement in measurements:
        out.measurement(run_id, plan, step, measurement)
    for kind, points in series.items():
        out.write(
            SeriesRecord(
                run_id=run_id,
                plan=plan,
                name=kind.value,
                unit=kind.unit,
                kind=kind,
                points=tuple((float(t), float(v)) for t, v in points),
            )
        )
    for event in _events(run_id, plan, t0, template.event):
        out.write(event)
    _write_billing(out, run_id, plan, begin, register, template, amount)
    out.write(
        PlanEndRecord(
            run_id=run_id,
            plan=plan,
            ended_at=clock,
            verdict=overall_verdict(m for _, m in measurements),
            message="billed amount differs from the oracle's" if failing else "",
        )
    )


def _write_billing(
    out: ResultsWriter,
    run_id: str,
    plan: str,
    begin: dt.datetime,
    energy: list[list[float]],
    template: Template,
    total_amount: Decimal,
) -> None:
    at = {round(t - begin.timestamp(), 3): wh for t, wh in energy}
    readings = [
        Decimal(str(round((at[float(i * INTERVAL_S)] - REGISTER_WH) / 1000, 3))) for i in range(5)
    ]
    priced = Decimal(0)
    for i in range(4):
        kwh = readings[i + 1] - readings[i]
        amount = kwh * RATE  # the interval's own price, exact
        priced += amount
        start = begin + dt.timedelta(seconds=i * INTERVAL_S)
        end = start + dt.timedelta(seconds=INTERVAL_S)
        out.write(
            IntervalRecord(
                run_id=run_id,
                plan=plan,
                start=start,
                end=end,
                metered_kwh=kwh,
                billed_kwh=kwh,
                account="ACC-ALICE",
                tariff="HPL-PEV-TOU",
                rate_period="mid_peak",
                rate=RATE,
                amount=amount,
                line_rounding=total_amount - priced if i == 3 else None,
                currency="USD",
            )
        )
    out.write(
        ServiceRecord.of(
            run_id,
            plan,
            "utility",
            "binding",
            {"bound": True, "incentive": True, "scenario": template.scenario.upper(),
             "payer_account_id": "ACC-ALICE", "tariff_id": "HPL-PEV-TOU"},
        )
    )  # fmt: skip
    out.write(
        ServiceRecord.of(
            run_id,
            plan,
            "utility",
            "grant",
            {"status": "confirmed", "energy_requested_kwh": "6", "power_available_kw": "7.2"},
        )
    )
    if template.scenario == "sc4":
        out.write(
            ServiceRecord.of(
                run_id,
                plan,
                "clearinghouse",
                "posting",
                {"charge_id": f"CH-{plan}", "roaming_utility_id": "SGE", "home_utility_id": "HPL",
                 "account_id": "ACC-ALICE", "kwh": str(readings[-1]),
                 "customer_amount": str(total_amount), "currency": "USD"},
            )
        )  # fmt: skip
        out.write(
            ServiceRecord.of(
                run_id,
                plan,
                "clearinghouse",
                "settlement",
                {"roaming_utility_id": "SGE", "home_utility_id": "HPL",
                 "rows": [{"option": "guest_rate", "sessions": 1, "kwh": str(readings[-1])}]},
            )
        )  # fmt: skip


def write_sample_run(
    path: Path,
    *,
    plans: int = len(TEMPLATES),
    run_id: str = "sample-run",
    worker: str = "",
    seed: int = 1,
    failing: bool = True,
    expired_calibration: bool = True,
) -> Path:
    """Write one synthetic run of ``plans`` plans to ``path`` (see the module doc).

    With ``failing``, the third plan fails (a billed amount off by 0.42 USD) and the
    fifth is marginal. Plans cycle through :data:`TEMPLATES`; beyond one cycle
    their IDs get a numeric suffix so each stays unique.
    """
    rng = random.Random(seed)
    path.unlink(missing_ok=True)
    with ResultsWriter(path) as out:
        out.write(
            RunRecord(
                run_id=run_id,
                started_at=START,
                software_version="v0.1.0-sample",
                bench=_bench(expired_calibration),
                seed=seed,
                operator="sample",
                approver="sample approver",
                software_dirty=False,
                host="sample-host",
                worker=worker,
            )
        )
        for i in range(plans):
            _write_plan(
                out,
                run_id,
                i,
                TEMPLATES[i % len(TEMPLATES)],
                rng,
                failing=failing and i == 2,
                marginal=failing and i == 4,
                unique=plans > len(TEMPLATES),
            )
        out.write(RunEndRecord(run_id=run_id, ended_at=START + dt.timedelta(hours=plans)))
    return path
