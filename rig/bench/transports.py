"""How the bench reaches each instrument: the transports a bench file may name.

Each transport is a strict pydantic model told apart by its ``kind`` (pydantic's
discriminated union): ``modbus_tcp`` or ``modbus_rtu`` for a meter, ``can`` or
``serial`` for the pilot. The load needs none: its VISA resource string says it
all. ``describe()`` is how ``rig bench check`` and the bench lease name a
transport. The instruments that use them are in :mod:`rig.bench.config`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A bench-file section: an unknown key is an error, values are frozen and finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- transports


class ModbusTcp(Strict):
    """Modbus TCP: ``host:port`` and the unit (device) id behind it."""

    kind: Literal["modbus_tcp"]
    host: str = "127.0.0.1"
    port: int = Field(default=502, ge=0, le=65535, description="0: simulator picks a free port")
    unit: int = Field(default=1, ge=0, le=247)
    timeout_s: float | None = Field(default=None, gt=0, le=30, description="None: driver's")

    def describe(self) -> str:
        return f"modbus_tcp {self.host}:{self.port} unit {self.unit}"


class ModbusRtu(Strict):
    """Modbus RTU over RS-485: a serial port (a device path or a pyserial URL such as
    ``socket://127.0.0.1:7001``), line settings and the unit id."""

    kind: Literal["modbus_rtu"]
    port: str
    baudrate: int = Field(default=9600, ge=300, le=4_000_000)
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    bytesize: Literal[7, 8] = 8
    unit: int = Field(default=1, ge=0, le=247)
    timeout_s: float | None = Field(default=None, gt=0, le=30, description="None: driver's")

    def describe(self) -> str:
        line = f"{self.baudrate} {self.bytesize}{self.parity}{self.stopbits}"
        return f"modbus_rtu {self.port} {line} unit {self.unit}"


ModbusTransport = Annotated[ModbusTcp | ModbusRtu, Field(discriminator="kind")]


class CanLink(Strict):
    """A CAN bus through python-can: ``interface`` and ``channel`` exactly as python-can
    names them (``pcan``/``PCAN_USBBUS1``, ``kvaser``/``0``, ``slcan``/``/dev/ttyACM0``
    or ``slcan``/``socket://host:port``, ``socketcan``/``can0``)."""

    kind: Literal["can"]
    interface: str = "slcan"
    channel: str
    bitrate: int = Field(default=500_000, ge=10_000, le=1_000_000)
    base_id: int = Field(default=0x600, ge=0, le=0x7FF, description="device identifier block")
    timeout_s: float | None = Field(default=None, gt=0, le=30)
    options: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="extra keyword arguments for can.Bus"
    )

    def describe(self) -> str:
        return f"can {self.interface} {self.channel} {self.bitrate} bit/s"


class SerialLine(Strict):
    """A serial line (8N1) through pyserial: a device path or a pyserial URL such as
    ``socket://host:port`` or ``rfc2217://host:port``."""

    kind: Literal["serial"]
    port: str
    baudrate: int = Field(default=9600, ge=300, le=4_000_000)
    timeout_s: float | None = Field(default=None, gt=0, le=30)

    def describe(self) -> str:
        return f"serial {self.port} {self.baudrate} 8N1"


PilotTransport = Annotated[CanLink | SerialLine, Field(discriminator="kind")]
