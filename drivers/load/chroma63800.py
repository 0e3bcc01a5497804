"""Chroma 63800 series programmable AC/DC load (63802, 63803, 63804, …).

The Chroma ``LOAD`` subsystem. The instrument answers one query at a time: the
driver always reads a reply before it sends the next command. A power factor
applies in constant-current (and constant-power) mode only, so the driver selects
CC mode before the first setpoint; in another mode the load refuses ``LOAD:PFAC``
with a settings-conflict entry in its error queue.

========================  ==========================  =====================
sent                      meaning                     reply
========================  ==========================  =====================
``LOAD:MODE CURR``        constant-current mode       --
``LOAD:CURR 16.000``      CC setpoint, A rms          --
``LOAD:CURR?``            CC setpoint                 ``16.000``
``LOAD:PFAC 0.950``       power factor (CC mode)      --
``LOAD:PFAC?``            power factor                ``0.950``
``LOAD 1`` / ``LOAD 0``   input on / off              --
``LOAD?``                 input state                 ``1`` / ``0``
``MEAS:VOLT?``            voltage, V rms              number
``MEAS:CURR?``            current, A rms              number
``MEAS:POW:REAL?``        real power, W               number
``MEAS:POW:PFAC?``        power factor                number
``*IDN?``                 identity                    ``Chroma ATE,63803,…``
``SYST:ERR?``             next error-queue entry      ``0,"No error"``
========================  ==========================  =====================

**No communication watchdog.** The 63800 programming manual's command set has no
command that switches the input off when the controller goes silent; its
protections (over-current, over-power, over-voltage, over-temperature) react to the
power stage, not to a dead controller. :meth:`arm_watchdog` therefore reports
``armed=False`` and says what covers the bench instead; it still runs the keep-alive,
which feeds a watchdog the bench armed outside the driver (the simulated 63800's
``watchdog_ms``).
"""

from __future__ import annotations

from drivers.load.dialect import LoadCommands, ScpiLoad, SeparateQueries
from drivers.load.registry import DIALECTS


@DIALECTS.register("chroma63800")
class Chroma63800(ScpiLoad):
    """Chroma 63800 series AC load in constant-current mode."""

    dialect = "chroma63800"
    no_watchdog = (
        "the Chroma 63800 has no communication watchdog (its OCP/OPP/OVP/OTP do not "
        "see a dead controller): the bench's E-stop and interlock loop, which drop the "
        "EVSE supply, cover a controller that dies"
    )
    commands = LoadCommands(
        constant_current="LOAD:MODE CURR",
        set_current="LOAD:CURR {amps}",
        current_setpoint="LOAD:CURR?",
        set_power_factor="LOAD:PFAC {pf}",
        power_factor_setpoint="LOAD:PFAC?",
        input_on="LOAD 1",
        input_off="LOAD 0",
        input_state="LOAD?",
        measure=SeparateQueries(
            voltage="MEAS:VOLT?",
            current="MEAS:CURR?",
            power="MEAS:POW:REAL?",
            power_factor="MEAS:POW:PFAC?",
        ),
    )
