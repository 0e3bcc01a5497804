"""ITECH IT8600 series programmable AC/DC load (IT8615, IT8616, IT8617, …).

Settings use the short SCPI forms of the ITECH source subsystem. All four readings
come from one ``MEAS?`` query, which replies with a comma-separated list.

**Assumed ``MEAS?`` field order** (five fields; check it against your firmware's
programming guide and change :data:`MEAS_FIELDS` if it differs)::

    voltage V rms, current A rms, real power W, apparent power VA, power factor
    e.g.  230.02,15.998,3496.1,3679.9,0.950

The apparent power is not part of :class:`~drivers.kinds.LoadReading`, but the
driver still requires all five fields, so a cut-off list is an error, not a
reading.

========================  ==========================  =====================
sent                      meaning                     reply
========================  ==========================  =====================
``FUNC CURR``             constant-current mode       --
``CURR 16.000``           CC setpoint, A rms          --
``CURR?``                 CC setpoint                 ``16.000``
``PFAC 0.950``            power factor                --
``PFAC?``                 power factor                ``0.950``
``INP:STAT 1`` / ``0``    input on / off              --
``INP:STAT?``             input state                 ``1`` / ``0``
``MEAS?``                 all readings, CSV           see above
``*IDN?``                 identity                    ``ITECH Ltd.,IT8615,…``
``SYST:ERR?``             next error-queue entry      ``0,"No error"``
========================  ==========================  =====================

**No communication watchdog.** The IT8600 programming guide's protections
(``[SOURce:]CURRent:PROTection:STATe`` and its power and voltage siblings) switch the
input off on an over-current, over-power or over-voltage, not when the controller
goes silent, and the guide lists no communication watchdog. :meth:`arm_watchdog`
therefore reports ``armed=False`` and says what covers the bench instead; it still
runs the keep-alive, which feeds a watchdog the bench armed outside the driver (the
simulated IT8615's ``watchdog_ms``).
"""

from __future__ import annotations

from drivers.load.dialect import CsvQuery, LoadCommands, ScpiLoad
from drivers.load.registry import DIALECTS

MEAS_FIELDS: tuple[str | None, ...] = ("voltage", "current", "power", None, "power_factor")


@DIALECTS.register("it8600")
class It8600(ScpiLoad):
    """ITECH IT8600 series AC load in constant-current mode."""

    dialect = "it8600"
    no_watchdog = (
        "the ITECH IT8600 has no communication watchdog (its software OCP/OPP/OVP "
        "switch the input off on a fault, not on a silent controller): the bench's "
        "E-stop and interlock loop, which drop the EVSE supply, cover a controller "
        "that dies"
    )
    commands = LoadCommands(
        constant_current="FUNC CURR",
        set_current="CURR {amps}",
        current_setpoint="CURR?",
        set_power_factor="PFAC {pf}",
        power_factor_setpoint="PFAC?",
        input_on="INP:STAT 1",
        input_off="INP:STAT 0",
        input_state="INP:STAT?",
        measure=CsvQuery(command="MEAS?", fields=MEAS_FIELDS),
    )
