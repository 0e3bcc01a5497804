"""nsayer ev_sim dialect: report parsing and the ADC/count conversions. No I/O."""

from __future__ import annotations

import math

import pytest

from drivers.kinds import PilotState, PilotStatus
from drivers.pilot import evsim
from drivers.pilot.protocol import ProtocolError

#: The example report in the device's README.
README_LINE = (
    "{ state_changes=2000, low_count=50000, high_count=100000, low_adc=172, high_adc=844 }"
)


def test_readme_example_converts_as_documented() -> None:
    report = evsim.parse_report(README_LINE)
    assert report == evsim.Report(2000, 50000, 100000, 172, 844)
    status = evsim.to_status(report)
    assert status.high_v == pytest.approx(9.216)  # (844 − 556) × 32 mV
    assert status.low_v == pytest.approx(-12.288)  # (172 − 556) × 32 mV
    assert status.duty_pct == pytest.approx(100.0 * 100000 / 150000)
    assert status.frequency_hz == 1000.0  # 2000 crossings / 2 / 1 s
    assert status.state is PilotState.B
    assert math.isnan(status.proximity_ohm)
    assert status.contactor_closed is None


@pytest.mark.parametrize(
    "line",
    [
        '{"state": "C", "state_changes": 2000, "low_count": 1, "high_count": 1,'
        ' "low_adc": 181, "high_adc": 743}',
        '{ state: "C", state_changes: 2000, low_count: 1, high_count: 1,'
        " low_adc: 181, high_adc: 743 }",
        "{ state=C, state_changes=2000, low_count=1, high_count=1, low_adc=181, high_adc=743 }",
    ],
    ids=["json", "colon", "equals"],
)
def test_firmware_variants_parse_alike(line: str) -> None:
    report = evsim.parse_report(line)
    assert report.state is PilotState.C
    assert (report.low_adc, report.high_adc) == (181, 743)


def test_firmware_that_reports_volts() -> None:
    line = (
        '{ state: "B", state_changes: 2000, low_count: 10, high_count: 10,'
        " min_volts: -11.950, max_volts: 8.990 }"
    )
    status = evsim.to_status(evsim.parse_report(line))
    assert (status.low_v, status.high_v, status.state) == (-11.95, 8.99, PilotState.B)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "one {...}"),
        ("state_changes=2000", "one {...}"),
        (README_LINE.replace(", high_adc=844", ""), "lacks high_adc"),
        (README_LINE.replace("low_adc=172", "low_adc=??"), "malformed"),
        (README_LINE.replace("low_adc=172", "low_adc=1.5"), "not an integer"),
        (README_LINE.replace("high_adc=844", "high_adc=4000"), "out of range"),
        (README_LINE.replace("low_count=50000", "low_count=-1"), "out of range"),
        (README_LINE.replace("{ ", "{ state=Q, "), "A-F"),
        ("[1, 2]", "one {...}"),
        (README_LINE[: len(README_LINE) // 2], "one {...}"),
    ],
)
def test_bad_reports_are_refused(line: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        evsim.parse_report(line)


def test_steady_pilot_has_no_frequency() -> None:
    high = evsim.Report(0, 0, 150000, evsim.volts_to_adc(9.0), evsim.volts_to_adc(9.0))
    assert (evsim.to_status(high).duty_pct, evsim.to_status(high).frequency_hz) == (
        100.0,
        0.0,
    )
    low = evsim.Report(0, 150000, 0, evsim.volts_to_adc(-12.0), evsim.volts_to_adc(-12.0))
    assert evsim.to_status(low).duty_pct == 0.0
    assert evsim.to_status(low).state is PilotState.F


@pytest.mark.parametrize(
    ("volts", "state"),
    [
        (12.0, PilotState.A),
        (9.0, PilotState.B),
        (6.0, PilotState.C),
        (3.0, PilotState.D),
        (0.0, PilotState.E),
        (-12.0, PilotState.F),
    ],
)
def test_state_from_level(volts: float, state: PilotState) -> None:
    assert evsim.state_from_level(volts) is state


@pytest.mark.parametrize("volts", [-12.0, -11.95, 0.0, 3.0, 5.987, 9.0, 12.0])
def test_adc_quantisation_is_within_half_a_count(volts: float) -> None:
    assert abs(evsim.adc_to_volts(evsim.volts_to_adc(volts)) - volts) <= 0.016 + 1e-9


def test_window_scales_frequency() -> None:
    report = evsim.Report(1000, 1, 1, 181, 931)
    assert evsim.to_status(report, window_s=0.5).frequency_hz == 1000.0


def test_simulator_report_round_trip() -> None:
    status = PilotStatus(PilotState.C, 6.0, -12.0, 53.3, 1000.0, 150.0, True)
    report = evsim.from_status(status, with_state=True)
    line = evsim.format_report(report)
    assert line.startswith("{ state=C, state_changes=2000, ")
    back = evsim.to_status(evsim.parse_report(line))
    assert back.state is PilotState.C
    assert back.duty_pct == pytest.approx(53.3, abs=0.01)
    assert back.high_v == pytest.approx(6.0, abs=0.017)
    assert "state=" not in evsim.format_report(evsim.from_status(status))
