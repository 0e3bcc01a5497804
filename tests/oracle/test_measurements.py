"""Measurements: verdicts follow from values and limits; failures explain themselves."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rig.results.measurements import Limits, Measurement, Verdict, overall_verdict


def test_limits_with_marginal_band() -> None:
    limits = Limits.around(10.0, 1.0, marginal_fraction=0.2)
    assert limits.judge(10.0) is Verdict.PASS
    assert limits.judge(10.8) is Verdict.PASS
    assert limits.judge(10.9) is Verdict.MARGINAL
    assert limits.judge(9.0) is Verdict.MARGINAL  # inclusive limit
    assert limits.judge(8.99) is Verdict.FAIL
    assert limits.judge(float("nan")) is Verdict.FAIL
    assert Limits.around(10, 1, marginal_fraction=0.5).judge(10.6) is Verdict.MARGINAL
    money = Limits.around(Decimal("1.00"), Decimal("0.10"), marginal_fraction=0.5)
    assert money.marginal_high == Decimal("1.050")


def test_one_sided_limits_and_decimals() -> None:
    assert Limits(high=5.0).judge(-1e9) is Verdict.PASS
    assert Limits(low=Decimal("0.10")).judge(Decimal("0.09")) is Verdict.FAIL
    assert Limits.around(Decimal("1.00"), Decimal("0.01")).judge(Decimal("1.01")) is Verdict.PASS
    assert Limits(high=3).describe("s") == "≤ 3 s"


def test_limits_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="low ≤ marginal_low"):
        Limits(low=2, high=1)


def test_marginal_passes_and_fail_message_names_values() -> None:
    marginal = Measurement.within("contactor close", 2.9, "s", Limits(high=3.0, marginal_high=2.5))
    assert marginal.verdict is Verdict.MARGINAL and marginal.passed
    failed = Measurement.within("contactor close", 3.2, "s", Limits(high=3.0))
    assert failed.message == "FAIL contactor close: measured 3.2 s, expected within ≤ 3.0 s"
    assert Measurement.within("energy", None, "kWh", Limits(low=0)).verdict is Verdict.FAIL


def test_equality_measurement_and_custom_detail() -> None:
    payer = Measurement.equals("payer", "ACC-HOST-2", "ACC-PEV-1", requirements=["SC-3"])
    assert payer.verdict is Verdict.FAIL
    assert "measured ACC-HOST-2, expected ACC-PEV-1" in payer.message
    detailed = Measurement.equals("rate", Decimal("0.31"), Decimal("0.12"), detail="interval 3")
    assert detailed.message == "FAIL rate: interval 3"
    assert Measurement.equals("flag", None, None).message == ""


def test_overall_verdict_fails_when_nothing_measured() -> None:
    ok = Measurement.equals("x", 1, 1)
    edge = Measurement.within("y", 2.9, "s", Limits(high=3.0, marginal_high=2.5))
    assert overall_verdict([]) is Verdict.FAIL
    assert overall_verdict([ok]) is Verdict.PASS
    assert overall_verdict([ok, edge]) is Verdict.MARGINAL
    assert overall_verdict([edge, Measurement.equals("z", 1, 2)]) is Verdict.FAIL
