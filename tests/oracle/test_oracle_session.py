"""check_session end to end on one SC-3 session record, correct and with a wrong rate."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from tariff_cases import STRADDLE, STRADDLE_LINES, TARIFFS, facts, line, local

from rig.domain.checks import CheckKind
from rig.oracle import UnknownTariff, check_session
from rig.record import (
    BindingAnswer,
    LoadSample,
    MeterSample,
    MeterTimeline,
    ServiceRecords,
    SessionRecord,
    UtilitySession,
)
from rig.results.measurements import Verdict, overall_verdict

CREDIT = line(
    local(25, 15, 52), local(25, 16, 22), "-4.000", "0.20", "-0.80",
    period="flat", account="ACC-HOST-2", kind="netting", tariff="FLAT-RES",
)  # fmt: skip


START = local(25, 15, 52).timestamp()


def premise_meter(end_kwh: float) -> MeterTimeline:
    """A premise revenue meter from 52,000 kWh; its class 0.5 %, register step 1 Wh."""
    return MeterTimeline(
        "premise", 0.5, "acc32", 1.0, rollover_wh=2.0**32,
        samples=[MeterSample(START, 52_000_000.0, 1.0),
                 MeterSample(START + 1800, end_kwh * 1000, 1.0)],
    )  # fmt: skip


def sc3_record(lines: list) -> SessionRecord:  # type: ignore[type-arg]
    start = START
    return SessionRecord(
        plan_id="sc3_other_premise_pev_pays",
        facts=facts(),
        # 8 kW for 30 minutes: 4.000 kWh, as the EUMD and the intervals say.
        load=[LoadSample(start + 60 * m, 240.0, 33.33, 8000.0) for m in range(31)],
        eumd=MeterTimeline(
            "eumd", 0.5, "float32", 0.06,
            samples=[MeterSample(start, 1_000_000.0, 0.06),
                     MeterSample(start + 1800, 1_004_000.0, 0.06)],
        ),
        # The bench's class 0.05 reference standard in series counted the same 4.000 kWh.
        reference=MeterTimeline(
            "reference", 0.05, "float32", 1e-6,
            samples=[MeterSample(start, 500_000.0, 1e-6),
                     MeterSample(start + 1800, 504_000.0, 1e-6)],
        ),
        intervals=list(STRADDLE),
        binding=BindingAnswer(True, True, "SC-3", "ACC-PEV-1", "TOU-PEV"),
        services=ServiceRecords(
            session=UtilitySession("S-1", "SC-3", "ACC-PEV-1", "TOU-PEV", incentive=True),
            bill_lines=lines,
        ),
    )  # fmt: skip


def test_a_correct_session_passes() -> None:
    measured = check_session(sc3_record([*STRADDLE_LINES, CREDIT]), TARIFFS)
    assert [m.message for m in measured if not m.passed] == []
    assert overall_verdict(measured) is Verdict.PASS
    names = {m.name for m in measured}
    assert {"payer", "rate per interval", "netting energy", "J-04 billed energy vs EUMD"} <= names
    assert {"SC-3", "J-04", "BR-12", "PG-TOU"} <= {r for m in measured for r in m.requirements}


def test_the_premise_meter_must_have_counted_the_pev() -> None:
    record = sc3_record([*STRADDLE_LINES, CREDIT])
    # PEV 4.000 kWh plus 0.6 kWh of base load: the host's meter saw it all.
    record.premise_meter = premise_meter(52_004.6)
    [counted] = [m for m in check_session(record, TARIFFS) if m.name.startswith("SC-3 premise")]
    assert counted.verdict is Verdict.PASS
    # 3.5 kWh on the premise meter cannot include 4.000 kWh of PEV energy:
    # tolerance 0.5 % × 3.5 + 0.5 % × 4.0 kWh + 1 Wh + 0.06 Wh = 0.0386 kWh.
    record.premise_meter = premise_meter(52_003.5)
    [short] = [m for m in check_session(record, TARIFFS) if m.name.startswith("SC-3 premise")]
    assert short.message == (
        "FAIL SC-3 premise meter counted the PEV: premise meter 3.5000 kWh, less than the "
        "EUMD's 4.0000 kWh by more than 0.0386 kWh"
    )


def test_a_wrong_rate_fails_the_plan() -> None:
    wrong = dataclasses.replace(STRADDLE_LINES[0], rate=Decimal("0.31"), rate_period="on_peak")
    measured = check_session(sc3_record([wrong, STRADDLE_LINES[1], CREDIT]), TARIFFS)
    assert overall_verdict(measured) is Verdict.FAIL
    assert [m.message for m in measured if not m.passed] == [
        "FAIL rate per interval: interval 1: billed rate 0.31 USD/kWh at on_peak, "
        "expected 0.12 at off_peak"
    ]


def test_a_tariff_missing_from_the_data_set_is_named() -> None:
    with pytest.raises(UnknownTariff, match="GUEST-B"):
        check_session(sc3_record([]), {k: v for k, v in TARIFFS.items() if k != "GUEST-B"})


def test_the_load_accuracy_is_the_benchs_declared_one() -> None:
    """J-04 load vs EUMD uses the load's accuracy from the bench file, not a constant 0.5 %."""
    record = sc3_record([*STRADDLE_LINES, CREDIT])
    # 4.000 kWh: class 0.5 % → 20 Wh, register 0.06 Wh, sampling 0: load 0.5 % adds 20 Wh.
    [default] = [m for m in check_session(record, TARIFFS) if m.name == "J-04 load energy vs EUMD"]
    assert "load 0.0200" in default.detail
    record.load_accuracy_pct = 0.05  # a bench whose load (or reference) is ±0.05 %
    [declared] = [m for m in check_session(record, TARIFFS) if m.name == "J-04 load energy vs EUMD"]
    assert "load 0.0020" in declared.detail
    assert declared.limits is not None and declared.limits.high == pytest.approx(
        4.0 + (20 + 0.06 + 2) / 1000
    )


def test_each_measurement_says_which_check_it_answers() -> None:
    measured = check_session(sc3_record([*STRADDLE_LINES, CREDIT]), TARIFFS)
    answers = {m.name: m.answers for m in measured}
    assert answers["payer"] is CheckKind.PAYER
    assert answers["bill payer"] is CheckKind.PAYER
    assert answers["rate per interval"] is CheckKind.TARIFF
    assert answers["billed amount"] is CheckKind.AMOUNT
    assert answers["incentive indicated"] is CheckKind.PEV_NOTIFIED
    assert answers["netting energy"] is CheckKind.PREMISE_NETTING
    assert answers["intervals missing from bill"] is CheckKind.INTERVALS
    assert answers["J-04 billed energy vs EUMD"] is CheckKind.ENERGY_AGREEMENT
    assert answers["J-04 energy in no interval"] is None  # the oracle's own, always judged
