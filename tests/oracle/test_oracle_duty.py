"""J-02 on the EVSE's side: the measured duty is the commanded one (rig.oracle.duty)."""

from __future__ import annotations

import pytest

from drivers.kinds import PilotState
from rig.domain.checks import CheckKind
from rig.oracle.duty import check_commanded_duty, commanded_duty
from rig.record import CurrentSample, PilotSample

B, C, E = PilotState.B, PilotState.C, PilotState.E


def _pilot(t: float, duty: float, state: PilotState = C) -> PilotSample:
    return PilotSample(t, state, 6.0, -12.0, duty, 1000.0 if 0 < duty < 100 else 0.0)


@pytest.mark.parametrize(
    ("amps", "duty"), [(0.0, 100.0), (5.9, 100.0), (6.0, 10.0), (32.0, 53.333), (51.0, 85.0),
                       (80.0, 96.0), (100.0, 96.0)],
)  # fmt: skip
def test_the_j1772_table(amps: float, duty: float) -> None:
    assert commanded_duty(amps) == pytest.approx(duty, abs=1e-3)


def test_a_pilot_carrying_the_commanded_duty_passes() -> None:
    commanded = [CurrentSample(10.0, 32.0), CurrentSample(100.0, 16.0)]
    pilot = [_pilot(5.0, 100.0, B), _pilot(10.2, 53.3), _pilot(60.0, 53.35), _pilot(100.3, 53.3),
             _pilot(101.0, 26.7), _pilot(150.0, 26.62, E)]  # fmt: skip
    (m,) = check_commanded_duty(pilot, commanded)
    assert m.passed, m.message
    assert m.requirements == ("J-02",) and m.answers is CheckKind.ELECTRICAL


def test_an_offset_duty_fails_naming_both() -> None:
    commanded = [CurrentSample(10.0, 32.0)]
    pilot = [_pilot(11.0, 53.33), _pilot(20.0, 55.0)]  # +1.67 points: 33 A advertised
    (m,) = check_commanded_duty(pilot, commanded)
    assert not m.passed
    assert m.value == pytest.approx(1.667, abs=1e-3)
    assert "55.00 %" in m.detail and "53.33 %" in m.detail


def test_pwm_where_none_was_commanded_fails() -> None:
    commanded = [CurrentSample(10.0, 32.0), CurrentSample(20.0, 0.0)]
    pilot = [_pilot(11.0, 53.33), _pilot(25.0, 53.33)]  # the stop never reached the pilot
    (m,) = check_commanded_duty(pilot, commanded)
    assert not m.passed and m.value == 100.0
    assert "no PWM" in m.detail
