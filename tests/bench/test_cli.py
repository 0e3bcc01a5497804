"""The ``rig`` command: ``bench check``, ``sim`` (as a real subprocess) and ``demo``.

``rig sim`` is checked the way a third party would use it: wait for the endpoints
file, read the meter with a plain pymodbus client and ask the load ``*IDN?`` on a
raw socket, then stop it with SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymodbus.client import ModbusTcpClient

from rig.bench.simulated import SimulatedBench
from rig.cli import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, main

from .conftest import ROOT, SIM_BENCH

RIG = Path(sys.executable).with_name("rig")


def closed_port() -> int:
    """A local TCP port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def real_bench_file(tmp_path: Path, sim: SimulatedBench, load_resource: str) -> Path:
    """A non-simulated bench file pointing at ``sim``'s meter and pilot and at ``load_resource``."""
    eumd = sim.endpoints["meter"]["modbus_tcp"]
    host, port = eumd.rsplit(":", 1)
    channel = sim.endpoints["pilot"]["channel"]
    path = tmp_path / "lab.yaml"
    path.write_text(
        f"""\
bench: lab-under-test
eumd:
  map: sdm630
  transport: {{kind: modbus_tcp, host: {host}, port: {port}, unit: 1}}
load:
  dialect: chroma63800
  resource: "{load_resource}"
  timeout_s: 0.3
pilot:
  dialect: can
  transport: {{kind: can, interface: slcan, channel: "{channel}", bitrate: 500000}}
""",
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------- bench check


def test_bench_check_on_the_simulated_bench(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "check", "--bench", str(SIM_BENCH)]) == EXIT_OK
    out = capsys.readouterr().out
    for role in ("eumd", "premise_meter", "reference", "load", "pilot"):
        assert f"[ok  ] {role}:" in out
    assert "Chroma ATE" in out and "serial 22040001" in out
    assert "state A" in out and "240." in out
    assert "bench check passed: 5 instruments reachable" in out  # the reference standard too


def test_bench_check_reports_each_watchdog_and_warns_where_there_is_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "check", "--bench", str(SIM_BENCH)]) == EXIT_OK
    out = capsys.readouterr().out
    pilot = out[out.index("] pilot:") :]
    assert "watchdog: armed, 1000 ms" in pilot
    load = out[out.index("] load:") : out.index("] pilot:")]
    assert "warning: no communication watchdog armed: the Chroma 63800 has no" in load
    ev_sim = tmp_path / "ev_sim.yaml"
    text = SIM_BENCH.read_text("utf-8")
    start = text.index("\npilot:")
    end = text.index("\n", text.index("bitrate: 500000", start))
    serial = "\npilot:\n  dialect: ev_sim\n  transport: {kind: serial, port: auto, baudrate: 9600}"
    ev_sim.write_text(text[:start] + serial + text[end:], "utf-8")
    assert main(["bench", "check", "--bench", str(ev_sim)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "warning: no communication watchdog armed: nsayer ev_sim has no" in out


def test_bench_check_names_the_instrument_it_cannot_reach(
    tmp_path: Path, sim: SimulatedBench, capsys: pytest.CaptureFixture[str]
) -> None:
    resource = f"TCPIP0::127.0.0.1::{closed_port()}::SOCKET"
    bench_file = real_bench_file(tmp_path, sim, resource)
    assert main(["bench", "check", "--bench", str(bench_file)]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert "[ok  ] eumd:" in captured.out and "[ok  ] pilot:" in captured.out
    assert "[FAIL] load:" in captured.out
    assert f"cannot reach: load [chroma63800 at {resource}]" in captured.out
    assert "next: check the load is powered" in captured.out
    assert "cannot reach load" in captured.err


def test_bench_check_everything_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    path = tmp_path / "dead.yaml"
    path.write_text(
        f"""\
bench: dead
eumd: {{map: sunspec, transport: {{kind: modbus_tcp, host: 127.0.0.1, port: {port}}}}}
load: {{dialect: it8600, resource: "TCPIP0::127.0.0.1::{port}::SOCKET"}}
pilot:
  dialect: serial
  transport: {{kind: serial, port: "socket://127.0.0.1:{port}"}}
""",
        encoding="utf-8",
    )
    assert main(["bench", "check", "--bench", str(path)]) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "bench check FAILED: cannot reach eumd, load, pilot" in out


def test_bad_bench_file_is_rejected_before_anything_is_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        path = tmp_path / "typo.yaml"
        path.write_text(
            f"""\
bench: typo
eumd: {{map: sdm630, transport: {{kind: modbus_tcp, host: 127.0.0.1, port: {port}}}}}
load: {{dialect: chroma63800, resource: "TCPIP0::127.0.0.1::{port}::SOCKET"}}
pilot:
  dialect: can
  transport: {{kind: can, interface: slcan, chanel: "socket://127.0.0.1:{port}"}}
""",
            encoding="utf-8",
        )
        assert main(["bench", "check", "--bench", str(path)]) == EXIT_BAD_INPUT
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody tried to connect
    err = capsys.readouterr().err
    assert f"{path}:6:" in err and "did you mean 'channel'" in err
    assert "nothing was opened or started" in err


# --------------------------------------------------------------------------- rig sim


@pytest.fixture
def rig_sim(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    endpoints = tmp_path / "endpoints.json"
    process = subprocess.Popen(
        [str(RIG), "sim", "--bench", str(SIM_BENCH), "--endpoints", str(endpoints)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process, endpoints
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=5)


def wait_for_file(path: Path, process: subprocess.Popen[str], within_s: float = 15.0) -> None:
    deadline = time.monotonic() + within_s
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"rig sim exited early: {process.communicate()}")
        if time.monotonic() > deadline:
            pytest.fail("rig sim wrote no endpoints file")
        time.sleep(0.05)


def test_rig_sim_serves_third_party_clients_until_sigterm(
    rig_sim: tuple[subprocess.Popen[str], Path],
) -> None:
    process, endpoints_file = rig_sim
    wait_for_file(endpoints_file, process)
    endpoints = json.loads(endpoints_file.read_text())
    assert endpoints["meter"]["map"] == "sdm630" and endpoints["meter"]["unit"] == 1
    assert endpoints["pilot"]["interface"] == "slcan"

    host, port = endpoints["meter"]["modbus_tcp"].split(":")
    client = ModbusTcpClient(host, port=int(port), timeout=1)
    assert client.connect()  # type: ignore[no-untyped-call]
    reply = client.read_input_registers(0x0000, count=2, device_id=endpoints["meter"]["unit"])
    client.close()  # type: ignore[no-untyped-call]
    assert not reply.isError()
    (voltage,) = struct.unpack(">f", struct.pack(">HH", *reply.registers))
    assert 230.0 < voltage < 250.0  # the 240 V supply of sim.yaml

    _, host, port, _ = endpoints["load"]["visa"].split("::")
    with socket.create_connection((host, int(port)), timeout=2) as raw:
        raw.sendall(b"*IDN?\n")
        answer = raw.makefile("r").readline()
    assert answer.startswith("Chroma ATE,")

    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "simulated bench stopped" in out
    assert not endpoints_file.exists()


def test_rig_sim_refuses_a_real_bench(capsys: pytest.CaptureFixture[str]) -> None:
    lab = ROOT / "fixtures" / "benches" / "lab-example.yaml"
    assert main(["sim", "--bench", str(lab)]) == EXIT_BAD_INPUT
    assert "not a simulated bench" in capsys.readouterr().err


# --------------------------------------------------------------------------- rig demo


def test_rig_demo_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--one-charge", "--bench", str(SIM_BENCH)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "step" in out and "meter Wh" in out
    steps = ("A  idle", "B  plugged in", "C  contactor closed", "charging, 15 min", "A  unplugged")
    for step in steps:
        assert step in out
    assert "safe state confirmed" in out
    assert "within class C12.20 0.5" in out


def test_rig_without_a_command_shows_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
    assert "usage: rig" in capsys.readouterr().err


def test_entry_point_is_installed() -> None:
    assert RIG.exists() and os.access(RIG, os.X_OK)


def test_rig_serve_is_wired(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["serve", "--help"])
    assert caught.value.code == 0
    assert "--endpoints" in capsys.readouterr().out
