"""From a validated bench file to open drivers: configuration picks the class, not code.

Each instrument section names its driver (``map:`` for meters, ``dialect:`` for the
load and the pilot); each driver registers itself under that name (:mod:`drivers.registry`),
and this module translates the bench file's transport settings into each driver's
constructor arguments:

==============  =================================  ======================================
section         transport                          driver call
==============  =================================  ======================================
eumd, premise,  ``modbus_tcp`` host, port, unit    ``open_meter(map, tcp_link(host, port))``
reference       ``modbus_rtu`` port, baud, parity  ``open_meter(map, rtu_link(port, ...))``
load            VISA ``resource``                  ``open_load(dialect, resource)``
pilot           ``can`` interface/channel/bitrate  ``open_pilot({"dialect": "can", ...})``
                ``serial`` port, baudrate          ``open_pilot({"dialect": ..., "url": port})``
==============  =================================  ======================================

Every driver is named after its role in the bench file (``eumd``, ``premise_meter``,
``reference``, ``load``, ``pilot``), so every error says which instrument it is about.

Opening the load and the pilot also arms their communication watchdogs with the bench
file's ``watchdog_ms`` (docs/bench.md, "Watchdogs"); :func:`open_role` returns what
each reported, so ``rig bench check`` can show it. Given the run's clock, the EUMD
refuses an energy step larger than :data:`EUMD_MAX_POWER_W` allows over the time
between two readings (:mod:`drivers.meter.plausibility`).
:func:`open_bench` opens them all and hands them to a :class:`~rig.bench.safe.Bench`;
if one fails to open, the ones already open are closed before the error propagates.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

from drivers.kinds import Load, Meter, Pilot, Watchdog
from drivers.load import open_load
from drivers.meter import LinkSettings, open_meter, rtu_link, tcp_link
from drivers.pilot import open_pilot, pilot_keywords
from rig.bench.config import BenchConfig, LoadConfig, ModbusMeterConfig, PilotConfig
from rig.bench.safe import Bench
from rig.bench.transports import CanLink, ModbusRtu, ModbusTcp
from rig.clock import Clock

log = logging.getLogger("rig.bench")

Instrument = Meter | Load | Pilot

#: The most a J1772 AC portal can deliver: 80 A at 240 V + 10 % (ANSI C84.1 range B).
#: An EUMD total growing faster than this between two readings is implausible.
EUMD_MAX_POWER_W = 80.0 * 264.0


def meter_link(transport: ModbusTcp | ModbusRtu) -> LinkSettings:
    """The meter driver's link settings for a bench-file transport, value for value."""
    if isinstance(transport, ModbusTcp):
        return tcp_link(transport.host, transport.port, transport.timeout_s)
    return rtu_link(
        transport.port,
        baudrate=transport.baudrate,
        parity=transport.parity,
        stopbits=transport.stopbits,
        bytesize=transport.bytesize,
        timeout_s=transport.timeout_s,
    )


def build_meter(role: str, spec: ModbusMeterConfig, clock: Clock | None = None) -> Meter:
    t = spec.transport
    options: dict[str, Any] = {}
    if role == "eumd" and clock is not None:
        options |= {"clock": clock, "max_power_w": EUMD_MAX_POWER_W}
    meter: Meter = open_meter(spec.map, meter_link(t), unit=t.unit, name=role, **options)
    return meter


def build_load(spec: LoadConfig) -> Load:
    options: dict[str, Any] = {"backend": spec.visa_library}
    if spec.timeout_s is not None:
        options["timeout_s"] = spec.timeout_s
    load: Load = open_load(spec.dialect, spec.resource, name="load", **options)
    return load


def pilot_settings(spec: PilotConfig) -> dict[str, Any]:
    """The mapping :func:`drivers.pilot.open_pilot` takes: ``dialect`` plus its keywords."""
    t = spec.transport
    settings: dict[str, Any] = {"dialect": spec.dialect}
    if isinstance(t, CanLink):
        settings |= {
            "interface": t.interface,
            "channel": t.channel,
            "bitrate": t.bitrate,
            "base_id": t.base_id,
        }
        if t.options:
            settings["options"] = dict(t.options)
    else:
        settings |= {"url": t.port, "baudrate": t.baudrate}
    if t.timeout_s is not None and "timeout_s" in pilot_keywords(spec.dialect):
        settings["timeout_s"] = t.timeout_s
    return settings


def build_pilot(spec: PilotConfig) -> Pilot:
    return open_pilot(pilot_settings(spec), name="pilot")


def roles(config: BenchConfig) -> list[str]:
    """The instrument roles of ``config``, in bench-file order."""
    return [*config.meters(), "load", "pilot"]


def open_role(
    config: BenchConfig, role: str, clock: Clock | None = None
) -> tuple[Instrument, Watchdog | None]:
    """Open the driver for one role (``eumd``, ``premise_meter``, ``load``, ``pilot``).

    A load or pilot comes back with its watchdog armed to ``config.watchdog_ms``, and
    what it reported; a meter (passive) with ``None``.
    """
    driven: Load | Pilot
    if role == "load":
        driven = build_load(config.load)
    elif role == "pilot":
        driven = build_pilot(config.pilot)
    else:
        spec = config.meters().get(role)
        if spec is None:
            raise KeyError(f"bench '{config.bench}' has no instrument '{role}'")
        return build_meter(role, spec, clock), None
    try:
        watchdog = driven.arm_watchdog(config.watchdog_ms)
    except BaseException:
        driven.close()
        raise
    return driven, watchdog


def open_bench(config: BenchConfig, clock: Clock | None = None, **bench_options: Any) -> Bench:
    """Open every driver of ``config`` and wrap them in a :class:`Bench` (not yet entered).

    Use it as ``with open_bench(config) as bench:`` so safe state runs on every exit.
    ``clock`` (the run's) turns on the EUMD's energy-step plausibility check.
    """
    opened: dict[str, Instrument] = {}
    watchdogs: dict[str, Watchdog] = {}
    try:
        for role in roles(config):
            opened[role], watchdog = open_role(config, role, clock)
            if watchdog is not None:
                watchdogs[role] = watchdog
                if not watchdog.armed:
                    log.info("%s: no communication watchdog armed: %s", role, watchdog.how)
    except BaseException:
        for instrument in opened.values():
            with suppress(Exception):  # the open error is the one to report
                instrument.close()
        raise
    eumd: Meter = opened["eumd"]  # type: ignore[assignment]
    premise: Meter | None = opened.get("premise_meter")  # type: ignore[assignment]
    reference: Meter | None = opened.get("reference")  # type: ignore[assignment]
    load: Load = opened["load"]  # type: ignore[assignment]
    pilot: Pilot = opened["pilot"]  # type: ignore[assignment]
    return Bench(
        config.bench,
        eumd=eumd,
        premise_meter=premise,
        reference=reference,
        load=load,
        pilot=pilot,
        watchdogs=watchdogs,
        **bench_options,
    )
