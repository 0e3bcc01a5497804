"""Each electrical check passes a good session and fails a crafted bad one, naming why."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from drivers.kinds import PilotState
from rig.oracle.electrical import RULES, ampacity_a, check_electrical
from rig.record import ContactorSample, LoadSample, PilotSample
from rig.results.measurements import Measurement, Verdict

A, B, C, E = PilotState.A, PilotState.B, PilotState.C, PilotState.E
LEVEL = {A: 12.0, B: 9.0, C: 6.0, E: 0.0}


def _at(series: list[tuple[float, object]], t: float) -> object:
    return [value for since, value in series if since <= t][-1]


@dataclass
class Session:
    """A good 32 A session: plug in at 10 s, charge 20–200 s with a drop to 16 A at 100 s,
    unplug at 210 s. Each field is a step function ``[(since, value), …]``."""

    states: list[tuple[float, object]] = field(
        default_factory=lambda: [(0, A), (10, B), (20, C), (200, B), (210, A)]
    )
    duty: list[tuple[float, object]] = field(
        default_factory=lambda: [(0, 100.0), (12, 53.34), (100, 26.67), (205, 100.0)]
    )
    contactor: list[tuple[float, bool]] = field(
        default_factory=lambda: [(0, False), (21, True), (200.05, False)]
    )
    current: list[tuple[float, object]] = field(
        default_factory=lambda: [(0, 0.0), (22, 32.0), (102, 16.0), (200.05, 0.0)]
    )
    high_b: float = 9.0
    frequency_hz: float = 1000.0
    end: float = 215.0

    def measure(self, rules: tuple[str, ...] = RULES) -> list[Measurement]:
        changes = {t for t, _ in self.states} | {t for t, _ in self.duty}
        times = sorted(changes | {float(t) for t in range(int(self.end) + 1)})
        pilot = []
        for t in times:
            state = _at(self.states, t)
            duty = _at(self.duty, t)
            assert isinstance(state, PilotState) and isinstance(duty, float)
            high = self.high_b if state is B else LEVEL[state]
            pwm = 0 < duty < 100
            pilot.append(
                PilotSample(t, state, high, -12.0 if pwm else high, duty, self.frequency_hz)
            )
        load = []
        for second in range(int(self.end) + 1):
            amps = _at(self.current, second)
            assert isinstance(amps, float)
            load.append(LoadSample(float(second), 240.0, amps, 240.0 * amps))
        contactor = [ContactorSample(t, closed) for t, closed in self.contactor]
        return check_electrical(pilot, contactor, load, rules=rules)


def verdicts(measurements: list[Measurement]) -> dict[str, Verdict]:
    return {m.name: m.verdict for m in measurements}


def failing(measurements: list[Measurement]) -> list[str]:
    return [m.message for m in measurements if m.verdict is Verdict.FAIL]


def test_a_good_session_passes_every_check() -> None:
    measured = Session().measure()
    assert failing(measured) == []
    assert set(verdicts(measured)) == {
        "J-01 pilot state sequence",
        "J-02 load current above advertised",
        "J-03 load follows ampacity drop",
        "J-05 contactor close time",
        "J-05 contactor open time",
        "J-05 contactor closed outside C",
        "J-06 pilot high level in A",
        "J-06 pilot high level in B",
        "J-06 pilot high level in C",
        "J-06 pilot low level",
        "J-06 pilot frequency",
    }
    by_name = {m.name: m.value for m in measured}
    assert by_name["J-05 contactor close time"] == pytest.approx(1.0)
    assert by_name["J-05 contactor open time"] == pytest.approx(0.05)
    assert by_name["J-03 load follows ampacity drop"] == pytest.approx(2.0)


def test_j01_plugging_straight_into_c_fails() -> None:
    bad = Session(states=[(0, A), (20, C), (200, B), (210, A)])
    assert failing(bad.measure()) == [
        "FAIL J-01 pilot state sequence: A C B A: A→C at t=20.000 s is not a J1772 transition"
    ]


def test_j01_e_must_stop_charging_at_once() -> None:
    good = Session(
        states=[(0, A), (10, B), (20, C), (150, E), (155, C), (200, B), (210, A)],
        contactor=[(0, False), (21, True), (150.05, False), (156, True), (200.05, False)],
        current=[(0, 0.0), (22, 32.0), (102, 16.0), (150.05, 0.0), (157, 16.0), (200.05, 0.0)],
    )
    assert failing(good.measure()) == []
    assert "J-01 contactor opens on E/F" in verdicts(good.measure())
    late = replace(
        good,
        contactor=[(0, False), (21, True), (151, False), (156, True), (200.05, False)],
        current=[(0, 0.0), (22, 32.0), (102, 16.0), (152, 0.0), (157, 16.0), (200.05, 0.0)],
    )
    messages = failing(late.measure())
    assert (
        "FAIL J-01 contactor opens on E/F: opening on E/F at t=150.000 s took 1.000 s, limit 0.1 s"
        in messages
    )
    assert (
        "FAIL J-01 load current during E/F: load drew 16.00 A at t=151.000 s during E" in messages
    )


def test_j02_drawing_above_advertised_fails() -> None:
    bad = Session(
        current=[(0, 0.0), (22, 32.0), (50, 40.0), (51, 32.0), (102, 16.0), (200.05, 0.0)]
    )
    assert failing(bad.measure()) == [
        "FAIL J-02 load current above advertised: load drew 40.00 A at t=50.000 s, "
        "advertised 32.00 A"
    ]


def test_j03_following_too_slowly_fails() -> None:
    bad = Session(current=[(0, 0.0), (22, 32.0), (108, 16.0), (200.05, 0.0)])
    messages = failing(bad.measure())
    assert messages == [
        "FAIL J-02 load current above advertised: load drew 32.00 A at t=106.000 s, "
        "advertised 16.00 A",
        "FAIL J-03 load follows ampacity drop: following the ampacity drop at t=100.000 s "
        "took 8.000 s, limit 5.0 s",
    ]


def test_j05_slow_contactor_fails_both_ways() -> None:
    bad = Session(contactor=[(0, False), (24.5, True), (200.5, False)])
    assert failing(bad.measure()) == [
        "FAIL J-05 contactor close time: closing on C at t=20.000 s took 4.500 s, limit 3.0 s",
        "FAIL J-05 contactor open time: opening after C at t=200.000 s took 0.500 s, limit 0.1 s",
    ]


def test_j05_contactor_closing_in_b_fails() -> None:
    bad = Session(contactor=[(0, False), (15, True), (200.05, False)])
    assert "FAIL J-05 contactor closed outside C: contactor closed at t=15.000 s in state B" in (
        failing(bad.measure())
    )


def test_a_plan_may_check_some_rules_only() -> None:
    bad = Session(contactor=[(0, False), (24.5, True), (200.5, False)], high_b=10.0)
    assert {r for m in bad.measure(("J-06",)) for r in m.requirements} == {"J-06"}
    assert failing(bad.measure(("J-01", "J-02"))) == []


def test_j06_levels_and_frequency() -> None:
    assert failing(Session(high_b=10.0, frequency_hz=1030.0).measure()) == [
        "FAIL J-06 pilot high level in B: measured 10.0 V, expected within [8.36, 9.56] V",
        "FAIL J-06 pilot frequency: measured 1030.0 Hz, expected within [980.0, 1020.0] Hz",
    ]


@pytest.mark.parametrize(
    ("duty", "amps"),
    [(2.0, 0.0), (5.0, 0.0), (9.0, 6.0), (50.0, 30.0), (85.0, 51.0), (90.0, 65.0),
     (96.5, 80.0), (98.0, 0.0), (100.0, 0.0)],
)  # fmt: skip
def test_j02_table(duty: float, amps: float) -> None:
    assert ampacity_a(duty) == pytest.approx(amps)
