"""The supervisor's logic: looks judged against the commands, with ramps and bands."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from drivers.kinds import PilotState
from rig.runner.supervision import Bands, Commanded, MeterLook, Seen, Supervisor

A, B, C, E = PilotState.A, PilotState.B, PilotState.C, PilotState.E
PLUGGED = Commanded(pilot_state=B, advertised_a=0.0, setpoint_a=0.0, input_on=False)
CHARGING = Commanded(pilot_state=C, advertised_a=32.0, setpoint_a=32.0, input_on=True)


def charging_seen(t: float, **changes: Any) -> Seen:
    """A look at a bench charging at 32 A as commanded, with ``changes``."""
    seen = Seen(t=t, pilot_state=C, contactor_closed=True, load_current_a=32.1, input_on=True)
    return replace(seen, **changes)


def charging_since(t: float, origin: float = 0.0) -> Supervisor:
    supervisor = Supervisor(Bands(meter_accuracy_pct=0.5), origin=origin)
    supervisor.note(origin, PLUGGED)
    supervisor.note(t, CHARGING)
    return supervisor


def test_a_bench_as_commanded_passes() -> None:
    supervisor = charging_since(10.0)
    assert supervisor.look(charging_seen(100.0)) is None
    # within the band: 32 A ± (0.5 A + 2 %) = 30.86–33.14 A
    assert supervisor.look(charging_seen(101.0, load_current_a=31.0)) is None
    assert supervisor.look(charging_seen(102.0, load_current_a=33.1)) is None


def test_load_off_and_pilot_a_are_named_with_the_time() -> None:
    supervisor = charging_since(10.0)
    change = supervisor.look(
        charging_seen(
            192.4, pilot_state=A, contactor_closed=False, load_current_a=0.0, input_on=False
        )
    )
    assert change is not None
    message = str(change)
    assert message.startswith("bench changed under the plan at 00:03:12: ")
    assert "pilot C→A" in change.differences
    assert "load input went off (expected on)" in change.differences
    assert "contactor opened (expected closed)" in change.differences
    assert "load current 0.00 A outside 30.86–33.14 A (commanded 32.0 A)" in change.differences
    assert change.expected == "pilot C, contactor closed, load input on, 32.0 A"
    assert change.measured == "pilot A, contactor open, load input off, 0.00 A"


def test_elapsed_time_counts_from_the_first_note() -> None:
    supervisor = Supervisor()
    supervisor.note(1000.0, CHARGING)
    change = supervisor.look(charging_seen(1000.0 + 3600 + 61, pilot_state=E))
    assert change is not None and str(change) == (
        "bench changed under the plan at 01:01:01: pilot C→E"
    )


def test_a_current_outside_its_band_alone_is_a_change() -> None:
    supervisor = charging_since(10.0)
    change = supervisor.look(charging_seen(100.0, load_current_a=16.0))
    assert change is not None
    assert change.differences == ("load current 16.00 A outside 30.86–33.14 A (commanded 32.0 A)",)
    nan = supervisor.look(charging_seen(101.0, load_current_a=float("nan")))
    assert nan is not None


def test_the_old_values_pass_while_the_bench_follows_a_command() -> None:
    supervisor = charging_since(10.0)
    # 0.5 s after the command: pilot already C, contactor still open, nothing drawn yet
    assert supervisor.look(charging_seen(10.5, contactor_closed=False, load_current_a=0.0)) is None
    # ramping: anything between the old 0 A and the new 32 A
    assert supervisor.look(charging_seen(12.0, load_current_a=14.0)) is None
    # the pilot and the input are set directly: after 1 s only the new values pass
    late = supervisor.look(charging_seen(11.5, pilot_state=B, contactor_closed=False))
    assert late is not None and late.differences[0] == "pilot C→B"
    # after 6 s the contactor and the current must be where the commands put them
    stuck = supervisor.look(charging_seen(16.5, contactor_closed=False, load_current_a=0.0))
    assert stuck is not None
    assert stuck.differences[0] == "contactor opened (expected closed)"


def test_a_lower_ampacity_caps_the_expected_current() -> None:
    """J1772: the vehicle may draw at most what the duty advertises."""
    supervisor = charging_since(10.0)
    limited = Commanded(pilot_state=C, advertised_a=16.0, setpoint_a=32.0, input_on=True)
    assert limited.current_a == 16.0
    supervisor.note(100.0, limited)
    assert supervisor.look(charging_seen(103.0, load_current_a=20.0)) is None  # ramping down
    change = supervisor.look(charging_seen(107.0, load_current_a=32.0))
    assert change is not None
    assert change.differences == ("load current 32.00 A outside 15.18–16.82 A (commanded 16.0 A)",)
    below_six = Commanded(pilot_state=C, advertised_a=5.0, setpoint_a=32.0, input_on=True)
    assert (below_six.contactor_closed, below_six.current_a) == (False, 0.0)


def test_a_commanded_pilot_fault_is_not_a_change() -> None:
    supervisor = charging_since(10.0)
    faulted = Commanded(pilot_state=E, advertised_a=32.0, setpoint_a=32.0, input_on=False)
    supervisor.note(100.0, faulted)
    quiet = charging_seen(100.05, pilot_state=E, input_on=False)  # contactor opens within 6 s
    assert supervisor.look(quiet) is None
    after = charging_seen(
        160.0, pilot_state=E, contactor_closed=False, load_current_a=0.0, input_on=False
    )
    assert supervisor.look(after) is None


def test_a_contactor_the_device_cannot_see_is_not_judged() -> None:
    supervisor = charging_since(10.0)
    assert supervisor.look(charging_seen(100.0, contactor_closed=None)) is None
    assert supervisor.look(charging_seen(101.0, input_on=None)) is None


def test_a_silent_meter_is_a_change_unless_commanded() -> None:
    supervisor = charging_since(10.0)
    silent = MeterLook(t=100.0, current_a=None, error="eumd: no response")
    change = supervisor.look(charging_seen(100.0, meter=silent))
    assert change is not None
    assert change.differences == ("EUMD stopped answering (eumd: no response)",)
    assert change.measured.endswith("EUMD silent")

    commanded = charging_since(10.0)
    commanded.meter_silenced = True  # meter_unavailable
    assert commanded.look(charging_seen(100.0, meter=silent)) is None


def test_a_meter_silent_for_less_than_the_patience_is_a_transient() -> None:
    supervisor = charging_since(10.0)
    supervisor.bands = replace(supervisor.bands, meter_silence_s=30.0)
    silent = MeterLook(t=100.0, current_a=None, error="eumd: no response")
    assert supervisor.look(charging_seen(100.0, meter=silent)) is None
    back = MeterLook(t=105.0, current_a=32.0)
    assert supervisor.look(charging_seen(105.0, meter=back)) is None
    again = MeterLook(t=120.0, current_a=None, error="eumd: no response")
    assert supervisor.look(charging_seen(120.0, meter=again)) is None  # counts from 120 s
    lasting = MeterLook(t=150.0, current_a=None, error="eumd: no response")
    change = supervisor.look(charging_seen(150.0, meter=lasting))
    assert change is not None
    assert change.differences == ("EUMD stopped answering for 30 s (eumd: no response)",)


def test_a_dead_meter_current_is_a_change() -> None:
    supervisor = charging_since(10.0)
    dead = MeterLook(t=100.0, current_a=0.0)
    change = supervisor.look(charging_seen(100.0, meter=dead))
    assert change is not None
    assert change.differences == ("EUMD current 0.00 A outside 30.70–33.30 A (commanded 32.0 A)",)
    # its band adds the meter's accuracy class (0.5 %): 32 A ± (0.5 A + 2.5 %)
    assert supervisor.look(charging_seen(101.0, meter=MeterLook(t=101.0, current_a=33.25))) is None


def test_a_meter_reading_is_judged_once_at_the_time_it_was_taken() -> None:
    """A reading at hand while the commands change is not judged against the new commands."""
    supervisor = charging_since(10.0)
    reading = MeterLook(t=100.0, current_a=32.0)
    assert supervisor.look(charging_seen(100.0, meter=reading)) is None
    supervisor.note(200.0, PLUGGED)  # unplugged-like: nothing drawn from 200 s on
    later = Seen(
        t=230.0,
        pilot_state=B,
        contactor_closed=False,
        load_current_a=0.0,
        input_on=False,
        meter=reading,  # still the 100 s reading of 32 A
    )
    assert supervisor.look(later) is None
    dead_then = charging_since(10.0)
    stale = MeterLook(t=100.0, current_a=0.0)
    assert dead_then.look(charging_seen(100.0, meter=stale)) is not None
    assert dead_then.look(charging_seen(101.0, meter=stale)) is None  # reported once


def test_nothing_noted_means_nothing_judged() -> None:
    assert Supervisor().look(charging_seen(0.0, pilot_state=A)) is None


@pytest.mark.parametrize(
    "seconds, shown", [(0.0, "00:00:00"), (59.9, "00:00:59"), (7322, "02:02:02")]
)
def test_elapsed_times_read_as_hours_minutes_seconds(seconds: float, shown: str) -> None:
    supervisor = Supervisor(origin=0.0)
    supervisor.note(0.0, CHARGING)
    change = supervisor.look(charging_seen(seconds, pilot_state=A))
    assert change is not None and f" at {shown}: " in str(change)
