"""Generic SCPI electronic load: the standard SCPI-1999 command tree.

For a load that follows the SCPI instrument-class conventions (Keysight-style
source and measure subsystems). Long forms are in brackets; the driver sends the
short forms in the first column.

============================  ==========================================  ==========
sent                          long form                                   reply
============================  ==========================================  ==========
``FUNC CURR``                 ``[SOURce:]FUNCtion[:MODE] CURRent``        --
``SOUR:CURR 16.000``          ``[SOURce:]CURRent[:LEVel][:IMMediate]``    --
``SOUR:CURR?``                                                            ``16.000``
``INP ON`` / ``INP OFF``      ``INPut[:STATe] ON|OFF``                    --
``INP?``                      ``INPut[:STATe]?``                          ``1`` / ``0``
``MEAS:VOLT?``                ``MEASure[:SCALar]:VOLTage[:AC]?``          volts rms
``MEAS:CURR?``                ``MEASure[:SCALar]:CURRent[:AC]?``          amps rms
``MEAS:POW?``                 ``MEASure[:SCALar]:POWer[:AC][:REAL]?``     watts
``MEAS:POW:PFAC?``            ``MEASure[:SCALar]:POWer[:AC]:PFACtor?``    -1 … 1
``*IDN?`` / ``SYST:ERR?``     IEEE 488.2 / SCPI mandatory                 text
``SYST:COMM:WATC 1.000``      ``SYSTem:COMMunicate:WATChdog[:TIMe]``      --
============================  ==========================================  ==========

SCPI-1999 standardises no communication watchdog. ``SYST:COMM:WATC <seconds>`` is the
rig's convention for one (input off after that long without a command; 0 disables),
spoken by the simulated generic load; :meth:`arm_watchdog` sends it, and a load that
refuses it (``-113 Undefined header``) is reported as having no watchdog, never as
armed.

SCPI defines no power-factor *setting* for loads, so :meth:`set_power_factor`
raises :class:`~drivers.errors.UnsupportedFeature`; the power factor is still
measured.
"""

from __future__ import annotations

from drivers.load.dialect import LoadCommands, ScpiLoad, SeparateQueries
from drivers.load.registry import DIALECTS


@DIALECTS.register("scpi")
class GenericScpiLoad(ScpiLoad):
    """Any load speaking the standard SCPI source/input/measure subsystems."""

    dialect = "scpi"
    commands = LoadCommands(
        constant_current="FUNC CURR",
        set_current="SOUR:CURR {amps}",
        current_setpoint="SOUR:CURR?",
        input_on="INP ON",
        input_off="INP OFF",
        input_state="INP?",
        watchdog="SYST:COMM:WATC {seconds}",
        measure=SeparateQueries(
            voltage="MEAS:VOLT?",
            current="MEAS:CURR?",
            power="MEAS:POW?",
            power_factor="MEAS:POW:PFAC?",
        ),
    )
