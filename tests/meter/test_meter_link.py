"""Meter URLs, the registry, and RS-485 line timing on the simulator's RTU link."""

from __future__ import annotations

import time

import pytest

from drivers.errors import InstrumentTimeout
from drivers.meter import SDM630, SunSpecMeter, meter_class, parse_link
from drivers.meter.link_settings import char_time_s, frame_gap_s
from tests.meter.conftest import MeterBench


@pytest.mark.parametrize(
    ("url", "kind", "target", "port"),
    [
        ("tcp://10.0.0.7:1502", "tcp", "10.0.0.7", 1502),
        ("10.0.0.7", "tcp", "10.0.0.7", 502),
        ("meter.lab:503", "tcp", "meter.lab", 503),
        ("socket://127.0.0.1:5020", "rtu-tcp", "127.0.0.1", 5020),
        ("rtu+tcp://gw.lab:4001", "rtu-tcp", "gw.lab", 4001),
        ("/dev/ttyUSB0", "rtu-serial", "/dev/ttyUSB0", 0),
        ("serial:///dev/ttyS1?baud=19200&parity=E", "rtu-serial", "/dev/ttyS1", 0),
        ("COM3", "rtu-serial", "COM3", 0),
        ("rfc2217://gw.lab:2217", "rtu-serial", "rfc2217://gw.lab:2217", 0),
    ],
)
def test_parse_link(url: str, kind: str, target: str, port: int) -> None:
    settings = parse_link(url)
    assert (settings.kind, settings.target, settings.port) == (kind, target, port)
    assert 0 < settings.timeout_s < 1.0


def test_serial_settings_from_query_and_keywords() -> None:
    s = parse_link("serial:///dev/ttyS1?baud=19200&parity=e&timeout=0.3")
    assert (s.baudrate, s.parity, s.timeout_s) == (19200, "E", 0.3)
    s = parse_link("/dev/ttyS1", baudrate=2400, parity="O", stopbits=2)
    assert (s.baudrate, s.parity, s.stopbits) == (2400, "O", 2)
    # The default RTU timeout grows with the wire time of the longest frame pair.
    assert parse_link("/dev/ttyS1", baudrate=2400).timeout_s > parse_link("/dev/ttyS1").timeout_s


@pytest.mark.parametrize(
    "url", ["ftp://host", "tcp://", "socket://:5020", "/dev/ttyS1?parity=X", "tcp://h:99999"]
)
def test_bad_urls_are_refused_with_the_url(url: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_link(url)
    assert repr(url) in str(info.value)


def test_registry() -> None:
    assert meter_class("sdm630") is SDM630
    assert meter_class(" SunSpec ") is SunSpecMeter


def _rtu_wire_s(request_chars: int, reply_chars: int, baud: int) -> float:
    return (request_chars + reply_chars) * char_time_s(baud) + 2 * frame_gap_s(baud)


def test_rtu_line_timing_matches_the_wire(bench: MeterBench) -> None:
    baud = 38400
    sim = bench.simulator("rtu", line_baud=baud)
    meter = bench.driver(sim, timeout_s=0.5)
    meter.snapshot()
    polls = 8
    started = time.perf_counter()
    for _ in range(polls):
        meter.snapshot()
    elapsed = time.perf_counter() - started
    wire = polls * _rtu_wire_s(8, 5 + 2 * 74, baud)  # FC04 request; reply of 74 registers
    # The window opens when the warm-up reply arrives, inside that reply's closing
    # 3.5-character silence, so up to one silence of it lies before the window.
    assert wire - frame_gap_s(baud) <= elapsed < wire * 1.25


def test_rtu_line_timing_makes_a_slow_baud_time_out(bench: MeterBench) -> None:
    sim = bench.simulator("rtu", line_baud=2400)  # a 74-register reply takes 0.7 s
    meter = bench.driver(sim, timeout_s=0.2, retries=0)
    with pytest.raises(InstrumentTimeout):
        meter.snapshot()
