"""From a validated bench file to open drivers: configuration picks the class, not code.

Each instrument section names its driver (``map:`` for meters, ``dialect:`` for the
load and the pilot); the driver packages keep the registries (:mod:`rig.bench.registry`)
and this module translates the bench file's transport settings into each driver's
constructor arguments:

==============  =================================  ======================================
section         transport                          driver call
==============  =================================  ======================================
eumd, premise   ``modbus_tcp`` host, port, unit    ``open_meter(map, "tcp://host:port")``
                ``modbus_rtu`` port, baud, parity  ``open_meter(map, port or socket:// URL)``
load            VISA ``resource``                  ``open_load(dialect, resource)``
pilot           ``can`` interface/channel/bitrate  ``open_pilot({"dialect": "can", ...})``
                ``serial`` port, baudrate          ``open_pilot({"dialect": ..., "url": port})``
==============  =================================  ======================================

Every driver is named after its role in the bench file (``eumd``, ``premise_meter``,
``load``, ``pilot``), so every error says which instrument it is about.
:func:`open_bench` opens them all and hands them to a :class:`~rig.bench.safe.Bench`;
if one fails to open, the ones already open are closed before the error propagates.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from drivers.kinds import Load, Meter, Pilot
from drivers.load import open_load
from drivers.meter import open_meter
from drivers.pilot import open_pilot
from rig.bench.config import (
    BenchConfig,
    CanLink,
    LoadConfig,
    MeterConfig,
    ModbusRtu,
    ModbusTcp,
    PilotConfig,
)
from rig.bench.safe import Bench

Instrument = Meter | Load | Pilot


def meter_url(transport: ModbusTcp | ModbusRtu) -> str:
    """The meter driver's URL for a bench-file transport."""
    if isinstance(transport, ModbusTcp):
        return f"tcp://{transport.host}:{transport.port}"
    port = transport.port
    if "://" in port or port.upper().startswith("COM"):
        return port  # socket:// (RTU framing over TCP), rfc2217://, serial://, COMn
    return f"serial://{port}"


def build_meter(role: str, spec: MeterConfig) -> Meter:
    t = spec.transport
    serial: dict[str, Any] = {}
    if isinstance(t, ModbusRtu):
        serial = {"baudrate": t.baudrate, "parity": t.parity, "stopbits": t.stopbits}
    meter: Meter = open_meter(
        spec.map, meter_url(t), unit=t.unit, name=role, timeout_s=t.timeout_s, **serial
    )
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
    if t.timeout_s is not None and spec.dialect != "ev_sim":
        settings["timeout_s"] = t.timeout_s
    return settings


def build_pilot(spec: PilotConfig) -> Pilot:
    return open_pilot(pilot_settings(spec), name="pilot")


def roles(config: BenchConfig) -> list[str]:
    """The instrument roles of ``config``, in bench-file order."""
    found = ["eumd"]
    if config.premise_meter is not None:
        found.append("premise_meter")
    return [*found, "load", "pilot"]


def open_role(config: BenchConfig, role: str) -> Instrument:
    """Open the driver for one role (``eumd``, ``premise_meter``, ``load``, ``pilot``)."""
    if role == "load":
        return build_load(config.load)
    if role == "pilot":
        return build_pilot(config.pilot)
    spec = config.meters().get(role)
    if spec is None:
        raise KeyError(f"bench '{config.bench}' has no instrument '{role}'")
    return build_meter(role, spec)


def open_bench(config: BenchConfig, **bench_options: Any) -> Bench:
    """Open every driver of ``config`` and wrap them in a :class:`Bench` (not yet entered).

    Use it as ``with open_bench(config) as bench:`` so safe state runs on every exit.
    """
    opened: dict[str, Instrument] = {}
    try:
        for role in roles(config):
            opened[role] = open_role(config, role)
    except BaseException:
        for instrument in opened.values():
            with suppress(Exception):  # the open error is the one to report
                instrument.close()
        raise
    eumd: Meter = opened["eumd"]  # type: ignore[assignment]
    premise: Meter | None = opened.get("premise_meter")  # type: ignore[assignment]
    load: Load = opened["load"]  # type: ignore[assignment]
    pilot: Pilot = opened["pilot"]  # type: ignore[assignment]
    return Bench(
        config.bench, eumd=eumd, premise_meter=premise, load=load, pilot=pilot, **bench_options
    )
