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
"""

from __future__ import annotations

from drivers.load.dialect import LoadCommands, ScpiLoad, SeparateQueries


class Chroma63800(ScpiLoad):
    """Chroma 63800 series AC load in constant-current mode."""

    dialect = "chroma63800"
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
