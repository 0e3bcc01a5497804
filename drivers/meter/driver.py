"""What every meter driver is: a name, a :class:`ModbusLink`, and the energy-step guard.

A register map's driver (:mod:`drivers.meter.sdm630`, :mod:`drivers.meter.sunspec`)
subclasses :class:`ModbusMeter`, reads its registers through :attr:`ModbusMeter.link`
and implements :meth:`~ModbusMeter.snapshot` and :meth:`~ModbusMeter.identity`; it
registers itself by map name in :data:`drivers.meter.registry.METER_MAPS`.
"""

from __future__ import annotations

from drivers.clock import Clock
from drivers.kinds import Identity, MeterSnapshot
from drivers.meter.modbus_link import ModbusLink
from drivers.meter.plausibility import STEP_MARGIN_S, EnergyStepGuard


class ModbusMeter:
    """A :class:`drivers.kinds.Meter` on a Modbus link.

    With both ``clock`` and ``max_power_w`` (the most the bench can draw, W), every
    snapshot's energy total is also held to the energy-step rule of
    :mod:`drivers.meter.plausibility` (``step_margin_s`` added to Δt), through
    :attr:`steps`.
    """

    #: Where the energy register wraps (Wh), or ``None`` if it never does.
    energy_rollover_wh: float | None = None

    def __init__(
        self,
        link: ModbusLink,
        *,
        name: str | None = None,
        clock: Clock | None = None,
        max_power_w: float | None = None,
        step_margin_s: float = STEP_MARGIN_S,
    ) -> None:
        self.link = link
        self.name = name or link.instrument
        self.steps = (
            EnergyStepGuard(self.name, clock, max_power_w, step_margin_s)
            if clock is not None and max_power_w is not None
            else None
        )

    def snapshot(self) -> MeterSnapshot:
        raise NotImplementedError

    def identity(self) -> Identity:
        raise NotImplementedError

    def close(self) -> None:
        self.link.close()
