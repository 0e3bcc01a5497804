"""SunSpec meters: find the map, walk the model chain, read with scale factors.

SunSpec puts a self-describing map in holding registers (function code 03):

1. **Discovery.** The two registers ``0x5375 0x6E53`` ("SunS") mark the start of
   the map, at 40000 by convention (some devices use 0 or 50000; all three are
   probed in that order).
2. **Model chain.** After the marker come models, each a header of two registers,
   model ID and length L, followed by L registers. The next model starts right after.
   ID 0xFFFF ends the chain.
3. **Common model 1** (L = 66) names the device: manufacturer ``Mn`` (16 registers of
   text), model ``Md`` (16), options (8), version ``Vr`` (8), serial ``SN`` (16).
4. **Meter models 201-204** (single-phase, split-phase, wye, delta; all L = 105, same
   layout) hold int16 values, each with an int16 scale factor: value × 10^SF. Energy
   totals are acc32 (two registers, unsigned, high word first) with ``TotWh_SF``.
   Offsets below count from the model's ID register, so ``TotWhImp`` is at model
   address + 46 and ``TotWh_SF`` at + 54.

"Not implemented" has a sentinel per type: 0x8000 for int16 and sunssf, 0 for
acc32, NaN for float32 (models 211-214, the float versions, which this driver does
not read; it says so with :class:`~drivers.errors.UnsupportedFeature`). A sentinel
where the snapshot needs a value is a typed error, never a silent zero. The one
exception is an acc32 total of 0 right after a count in the upper half of the range:
that is the counter wrapping through 0 (:func:`drivers.meter.energy.is_rollover`),
a reading like any other.

A snapshot is one FC03 read from the meter model's ID register through
``TotWh_SF`` (55 registers), so values and their scale factors are consistent.
The acc32 total wraps after 2^32 × 10^TotWh_SF Wh (``energy_rollover_wh``, see
:mod:`drivers.meter.energy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final, Literal

from drivers.clock import Clock
from drivers.errors import InstrumentRejected, InstrumentReplyError, UnsupportedFeature
from drivers.kinds import Identity, MeterSnapshot
from drivers.meter.driver import ModbusMeter
from drivers.meter.energy import (
    ACC32_MODULUS,
    acc32_resolution_wh,
    acc32_rollover_wh,
    is_rollover,
)
from drivers.meter.modbus_link import ModbusLink
from drivers.meter.plausibility import STEP_MARGIN_S, check_value
from drivers.meter.registry import METER_MAPS

SUNS_MARKER: Final = (0x5375, 0x6E53)
BASE_ADDRESSES: Final = (40000, 0, 50000)
END_MODEL_ID: Final = 0xFFFF
COMMON_MODEL_ID: Final = 1
METER_MODELS: Final = {201: "single-phase", 202: "split-phase", 203: "wye", 204: "delta"}
FLOAT_METER_MODELS: Final = frozenset({211, 212, 213, 214})
MAX_MODELS: Final = 64

INT16_NOT_IMPLEMENTED: Final = 0x8000
ACC32_NOT_IMPLEMENTED: Final = 0

PointType = Literal["int16", "uint16", "acc32", "sunssf", "string"]


@dataclass(frozen=True)
class Point:
    """A SunSpec point: offset from the model ID register, type, size, scale-factor point."""

    name: str
    offset: int
    type: PointType
    size: int = 1
    scale_factor: str | None = None


# Common model 1 (offsets from its ID register).
MN: Final = Point("Mn", 2, "string", 16)
MD: Final = Point("Md", 18, "string", 16)
OPT: Final = Point("Opt", 34, "string", 8)
VR: Final = Point("Vr", 42, "string", 8)
SN: Final = Point("SN", 50, "string", 16)
DA: Final = Point("DA", 66, "uint16")
COMMON_POINTS: Final = (MN, MD, OPT, VR, SN, DA)
COMMON_READ_COUNT: Final = 67  # ID through DA

# Meter models 201-204 (offsets from the model ID register).
A: Final = Point("A", 2, "int16", scale_factor="A_SF")
APH_A: Final = Point("AphA", 3, "int16", scale_factor="A_SF")
A_SF: Final = Point("A_SF", 6, "sunssf")
PH_V: Final = Point("PhV", 7, "int16", scale_factor="V_SF")
PH_V_PH_A: Final = Point("PhVphA", 8, "int16", scale_factor="V_SF")
V_SF: Final = Point("V_SF", 15, "sunssf")
HZ: Final = Point("Hz", 16, "int16", scale_factor="Hz_SF")
HZ_SF: Final = Point("Hz_SF", 17, "sunssf")
W: Final = Point("W", 18, "int16", scale_factor="W_SF")
W_PH_A: Final = Point("WphA", 19, "int16", scale_factor="W_SF")
W_SF: Final = Point("W_SF", 22, "sunssf")
TOT_WH_EXP: Final = Point("TotWhExp", 38, "acc32", 2, "TotWh_SF")
TOT_WH_IMP: Final = Point("TotWhImp", 46, "acc32", 2, "TotWh_SF")
TOT_WH_SF: Final = Point("TotWh_SF", 54, "sunssf")
METER_POINTS: Final = (
    A,
    APH_A,
    A_SF,
    PH_V,
    PH_V_PH_A,
    V_SF,
    HZ,
    HZ_SF,
    W,
    W_PH_A,
    W_SF,
    TOT_WH_EXP,
    TOT_WH_IMP,
    TOT_WH_SF,
)
METER_MODEL_LENGTH: Final = 105
SNAPSHOT_COUNT: Final = TOT_WH_SF.offset + 1  # ID register through TotWh_SF: 55

#: The snapshot: which points feed which MeterSnapshot field (voltage falls back to
#: phase A when the average is not implemented).
SNAPSHOT_FIELDS: Final = (
    ("voltage_v", (PH_V, PH_V_PH_A)),
    ("current_a", (A, APH_A)),
    ("power_w", (W, W_PH_A)),
    ("frequency_hz", (HZ,)),
)


@dataclass(frozen=True)
class ModelEntry:
    """One model in the chain: its ID, the address of its ID register, its length."""

    model_id: int
    address: int
    length: int


@dataclass(frozen=True)
class SunSpecMap:
    """What discovery found: the base address and the model chain."""

    base: int
    models: tuple[ModelEntry, ...]

    def find(self, model_ids: set[int] | frozenset[int] | dict[int, str]) -> ModelEntry | None:
        return next((m for m in self.models if m.model_id in model_ids), None)


def int16(word: int) -> int:
    return word - 0x10000 if word & 0x8000 else word


def text(words: list[int]) -> str:
    """SunSpec string registers: two ASCII bytes each, NUL padded."""
    raw = b"".join(w.to_bytes(2, "big") for w in words)
    return raw.split(b"\x00", 1)[0].decode("ascii", errors="replace").strip()


@METER_MAPS.register("sunspec")
class SunSpecMeter(ModbusMeter):
    """Driver for a SunSpec meter (common model 1, meter model 201-204) on a :class:`ModbusLink`.

    ``base`` skips discovery's probing when the bench file knows the map's address.
    Discovery runs on first use and is cached; :meth:`discover` re-runs it.
    """

    map_name: ClassVar[str] = "sunspec"

    def __init__(
        self,
        link: ModbusLink,
        *,
        name: str | None = None,
        base: int | None = None,
        clock: Clock | None = None,
        max_power_w: float | None = None,
        step_margin_s: float = STEP_MARGIN_S,
    ) -> None:
        super().__init__(
            link, name=name, clock=clock, max_power_w=max_power_w, step_margin_s=step_margin_s
        )
        self._base = base
        self._map: SunSpecMap | None = None
        self._meter: ModelEntry | None = None
        self._labels: dict[str, str] = {}
        #: Where the acc32 import total wraps; known after discovery.
        self.energy_rollover_wh = None
        #: The last import count a snapshot returned (to tell a wrap to 0 from the sentinel).
        self._last_count: int | None = None

    # -- discovery --------------------------------------------------------------

    def discover(self) -> SunSpecMap:
        """Find "SunS", walk the model chain, pick the meter model."""
        base = self._find_base()
        models: list[ModelEntry] = []
        address = base + 2
        while True:
            if len(models) >= MAX_MODELS or address + 2 > 0x10000:
                raise InstrumentReplyError(
                    self.name, f"SunSpec model chain from {base} does not end (no 0xFFFF)"
                )
            model_id, length = self.link.read_holding(address, 2)
            if model_id == END_MODEL_ID:
                break
            models.append(ModelEntry(model_id, address, length))
            address += 2 + length
        found = SunSpecMap(base, tuple(models))
        meter = found.find(METER_MODELS)
        if meter is None:
            ids = [m.model_id for m in models]
            if found.find(FLOAT_METER_MODELS):
                raise UnsupportedFeature(
                    self.name,
                    f"float SunSpec meter models (211-214) are not supported; chain {ids}",
                )
            raise UnsupportedFeature(
                self.name, f"no SunSpec meter model 201-204 at base {base}; chain {ids}"
            )
        if meter.length < SNAPSHOT_COUNT - 2:
            raise InstrumentReplyError(
                self.name, f"meter model {meter.model_id} is only {meter.length} registers long"
            )
        self._map, self._meter = found, meter
        named = [*((field, points[0]) for field, points in SNAPSHOT_FIELDS)]
        named.append(("import_energy_wh", TOT_WH_IMP))
        #: How errors name each field's register, made once per discovery.
        self._labels = {f: f"{p.name} (register {meter.address + p.offset})" for f, p in named}
        self.energy_rollover_wh = acc32_rollover_wh(self._energy_sf(meter))
        return found

    def _find_base(self) -> int:
        candidates = (self._base,) if self._base is not None else BASE_ADDRESSES
        for base in candidates:
            try:
                marker = self.link.read_holding(base, 2)
            except InstrumentRejected:
                continue
            if tuple(marker) == SUNS_MARKER:
                return base
        raise UnsupportedFeature(
            self.name,
            f'no SunSpec "SunS" marker at {", ".join(map(str, candidates))} '
            f"on {self.link.url} (unit {self.link.unit})",
        )

    def _energy_sf(self, meter: ModelEntry) -> int:
        (word,) = self.link.read_holding(meter.address + TOT_WH_SF.offset, 1)
        if word == INT16_NOT_IMPLEMENTED:
            raise InstrumentReplyError(self.name, "TotWh_SF is 0x8000 (not implemented)")
        return int16(word)

    @property
    def sunspec_map(self) -> SunSpecMap:
        if self._map is None:
            return self.discover()
        return self._map

    @property
    def meter_model(self) -> ModelEntry:
        if self._meter is None:
            self.discover()
        assert self._meter is not None
        return self._meter

    # -- readings ----------------------------------------------------------------

    def snapshot(self) -> MeterSnapshot:
        """V, I, P, f and TotWhImp from one FC03 read of the meter model."""
        model = self.meter_model
        words = self.link.read_holding(model.address, SNAPSHOT_COUNT)
        sent, received = self.link.last_exchange
        if words[0] != model.model_id:
            raise InstrumentReplyError(
                self.name,
                f"register {model.address} now holds model ID {words[0]}, "
                f"not {model.model_id}: the map changed under the driver",
                sent=sent,
                received=received,
            )
        values: dict[str, float] = {}
        for field, points in SNAPSHOT_FIELDS:
            values[field] = check_value(
                self.name,
                field,
                self._scaled(words, field, points, sent, received),
                register=self._labels[field],
                sent=sent,
                received=received,
            )
        count = (words[TOT_WH_IMP.offset] << 16) | words[TOT_WH_IMP.offset + 1]
        if count == ACC32_NOT_IMPLEMENTED and not self._wrapped_to_zero():
            raise self._not_implemented(TOT_WH_IMP, sent, received, "import_energy_wh")
        sf = self._sf(words, TOT_WH_SF, sent, received, "import_energy_wh")
        step = acc32_resolution_wh(sf)
        self.energy_rollover_wh = acc32_rollover_wh(sf)
        if self.steps is not None:
            self.steps.check(
                count * step,
                resolution_wh=step,
                rollover_wh=self.energy_rollover_wh,
                register=self._labels["import_energy_wh"],
                sent=sent,
                received=received,
            )
        self._last_count = count
        return MeterSnapshot(
            voltage_v=values["voltage_v"],
            current_a=values["current_a"],
            power_w=values["power_w"],
            frequency_hz=values["frequency_hz"],
            import_energy_wh=count * step,
            energy_resolution_wh=step,
        )

    def _wrapped_to_zero(self) -> bool:
        """A count of 0 is the wrap, not the sentinel, right after an upper-half count."""
        return self._last_count is not None and is_rollover(self._last_count, 0, ACC32_MODULUS)

    def _scaled(
        self,
        words: list[int],
        field: str,
        points: tuple[Point, ...],
        sent: bytes,
        received: bytes,
    ) -> float:
        for point in points:
            raw = words[point.offset]
            if raw == INT16_NOT_IMPLEMENTED:
                continue
            assert point.scale_factor is not None
            sf_point = _SF_POINTS[point.scale_factor]
            return int16(raw) * 10.0 ** self._sf(words, sf_point, sent, received, field)
        raise self._not_implemented(points[0], sent, received, field)

    def _sf(self, words: list[int], point: Point, sent: bytes, received: bytes, field: str) -> int:
        raw = words[point.offset]
        if raw == INT16_NOT_IMPLEMENTED:
            raise self._not_implemented(point, sent, received, field)
        sf = int16(raw)
        if not -10 <= sf <= 10:
            raise InstrumentReplyError(
                self.name,
                f"{field} scale factor {point.name} = {sf} is not a SunSpec scale factor",
                sent=sent,
                received=received,
            )
        return sf

    def _not_implemented(
        self, point: Point, sent: bytes, received: bytes, field: str
    ) -> InstrumentReplyError:
        sentinel = "0" if point.type == "acc32" else "0x8000"
        model = self.meter_model
        return InstrumentReplyError(
            self.name,
            f"{field} from {point.name} (register {model.address + point.offset}) "
            f"reads {sentinel}, "
            f"SunSpec's 'not implemented': model {model.model_id} does not measure it",
            sent=sent,
            received=received,
        )

    def identity(self) -> Identity:
        """Manufacturer, model, serial and firmware version from common model 1."""
        common = self.sunspec_map.find({COMMON_MODEL_ID})
        if common is None:
            return Identity("", f"SunSpec meter model {self.meter_model.model_id}")
        words = self.link.read_holding(common.address, min(COMMON_READ_COUNT, common.length + 2))

        def field(point: Point) -> str:
            return text(words[point.offset : point.offset + point.size])

        return Identity(field(MN), field(MD), serial=field(SN), firmware=field(VR))


_SF_POINTS: Final = {p.name: p for p in METER_POINTS if p.type == "sunssf"}
