"""The recorder: every instrument read the runner makes, kept as a timeline.

The oracle judges a session from what the bench *measured* (:mod:`rig.record`), so
the runner never reads an instrument without keeping the answer. Each read goes
through the :class:`Recorder`, which appends it to the session record at the bench
clock's time of the read:

- :meth:`Recorder.pilot` — a :class:`~rig.record.PilotSample`, and a
  :class:`~rig.record.ContactorSample` whenever the contactor is first seen or
  seen to move (a transition is recorded at the instant it was seen, so the J-05
  timing is as fine as the runner's sampling around changes);
- :meth:`Recorder.load` — a :class:`~rig.record.LoadSample`;
- :meth:`Recorder.eumd` and :meth:`Recorder.premise` — a
  :class:`~rig.record.MeterSample` of the register total and its resolution (after
  each EUMD read, the bench's reference standard too, :meth:`Recorder.reference`). A
  meter that does not answer gives ``None`` (and no sample): the EUMD unavailable
  of BR-04 is a state of the session, not an exception.

The last reading of each kind stays at hand (``last_pilot`` …) for the actors and
for ``wait_for`` observables, so nothing is read twice for the same moment; so does
the last *look* at the EUMD (:attr:`Recorder.eumd_look`, answered or not) and the
load's input state (:meth:`Recorder.load_input`), which supervision
(:mod:`rig.runner.supervision`) judges.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from drivers.errors import InstrumentError
from drivers.kinds import LoadReading, Meter, MeterSnapshot, PilotStatus
from rig.bench.safe import Bench
from rig.clock import Clock
from rig.record import (
    ContactorSample,
    LoadSample,
    MeterSample,
    MeterTimeline,
    PilotSample,
    SessionRecord,
)
from rig.runner.supervision import MeterLook

log = logging.getLogger("rig.runner")


def meter_timeline(
    meter_id: str, meter: Meter, accuracy_pct: float, instrument: str = ""
) -> MeterTimeline:
    """An empty timeline describing ``meter``'s register (acc32 if it rolls over).

    A SunSpec driver knows where its acc32 counter wraps only once it has walked the
    map (at its first read), so :func:`_read` describes the register again from the
    driver after every read; what is known here is only a first guess.
    """
    timeline = MeterTimeline(meter_id, accuracy_pct, "float32", 0.0, instrument=instrument)
    _describe_register(timeline, meter)
    return timeline


def register_wrap(meter: Meter) -> float | None:
    """Where ``meter``'s energy register wraps, as its driver knows it now (``None``: never)."""
    rollover: float | None = getattr(meter, "energy_rollover_wh", None)
    return rollover


def _describe_register(timeline: MeterTimeline, meter: Meter) -> None:
    rollover = register_wrap(meter)
    timeline.register = "float32" if rollover is None else "acc32"
    timeline.rollover_wh = rollover


class Recorder:
    """Reads the bench and records every reading into ``record``; see the module docstring."""

    def __init__(self, bench: Bench, clock: Clock, record: SessionRecord) -> None:
        self.bench = bench
        self.clock = clock
        self.record = record
        self.last_pilot: PilotStatus | None = None
        self.last_load: LoadReading | None = None
        self.last_eumd: MeterSnapshot | None = None
        self.first_eumd: MeterSnapshot | None = None
        self.first_premise: MeterSnapshot | None = None
        self.last_premise: MeterSnapshot | None = None
        self.eumd_look: MeterLook | None = None
        self.last_input: bool | None = None

    def pilot(self) -> PilotStatus:
        status = self.bench.pilot.status()
        t = self.clock.now()
        self.record.pilot.append(
            PilotSample(
                t, status.state, status.high_v, status.low_v, status.duty_pct, status.frequency_hz
            )
        )
        closed = bool(status.contactor_closed)
        contactor = self.record.contactor
        if not contactor or contactor[-1].closed != closed:
            contactor.append(ContactorSample(t, closed))
        self.last_pilot = status
        return status

    def load(self) -> LoadReading:
        reading = self.bench.load.measure()
        self.record.load.append(
            LoadSample(self.clock.now(), reading.voltage_v, reading.current_a, reading.power_w)
        )
        self.last_load = reading
        return reading

    def load_input(self) -> bool:
        """Whether the load's input is on, as the load reports it."""
        self.last_input = self.bench.load.input_enabled()
        return self.last_input

    def eumd(self) -> MeterSnapshot | None:
        t = self.clock.now()
        try:
            snapshot = _read(self.bench.eumd, self.record.eumd, self.clock)
        except InstrumentError as error:
            self.eumd_look = MeterLook(t, None, str(error))
            return None
        self.eumd_look = MeterLook(t, snapshot.current_a)
        self.first_eumd = self.first_eumd or snapshot
        self.last_eumd = snapshot
        self.reference()
        return snapshot

    def reference(self) -> None:
        """The reference standard, read right after the EUMD so both count the same span."""
        if self.bench.reference is None:
            return
        with suppress(InstrumentError):  # a missing reading widens J-04's timing term
            _read(self.bench.reference, self.record.reference, self.clock)

    def premise(self) -> MeterSnapshot | None:
        if self.bench.premise_meter is None:
            return None
        try:
            snapshot = _read(self.bench.premise_meter, self.record.premise_meter, self.clock)
        except InstrumentError:
            return None
        self.first_premise = self.first_premise or snapshot
        self.last_premise = snapshot
        return snapshot

    def meters(self) -> None:
        self.eumd()
        self.premise()


def _read(meter: Meter, timeline: MeterTimeline | None, clock: Clock) -> MeterSnapshot:
    """One snapshot, kept in ``timeline``; a meter that does not answer raises (and is logged)."""
    try:
        snapshot = meter.snapshot()
    except InstrumentError as error:
        log.info("%s did not answer: %s", meter.name, error)
        raise
    if timeline is not None:
        _describe_register(timeline, meter)
        if not timeline.samples:
            timeline.resolution_wh = snapshot.energy_resolution_wh
        timeline.samples.append(
            MeterSample(clock.now(), snapshot.import_energy_wh, snapshot.energy_resolution_wh)
        )
    return snapshot
