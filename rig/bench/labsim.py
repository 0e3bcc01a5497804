"""A lab bench served by `rig sim`: its instruments addressed as real ones, wall clock.

The promise a lab relies on is checked the way a lab engineer would try it: ``rig sim``
runs as its own process (wall clock), and the rig under test reaches its instruments
through a *lab-style* bench file, with no ``simulation:`` section, so every driver,
safe-state and timing path is the one a real bench takes. The physical truth comes
from ``rig sim``'s model probe (:mod:`drivers.sim.probe`), never from the rig's own
read-back::

    with LabSim(tmp_path) as lab:
        subprocess.run([RIG_PYTEST, "test_plans/sc1_home.yaml", "--bench", str(lab.bench_file)])
        assert lab.truth()["pilot_state"] == "A"

``sim_yaml`` may replace the simulated bench ``rig sim`` serves (default:
``fixtures/benches/sim.yaml``); the lab file then points at its EUMD, load and
pilot (the premise meter too, when the simulated bench has one). With
``wire_faults=True`` the EUMD, load and pilot are reached through a
:class:`~rig.bench.wirefault.WireFault` each (``lab.faults["pilot"].drop()``), to
pull a cable or hang an instrument mid-run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from rig.bench.wirefault import WireFault
from rig.bundled import SIM_BENCH

BIN = Path(sys.executable).parent
RIG = BIN / "rig"


def lab_bench_text(endpoints: dict[str, Any], *, name: str = "lab-under-test") -> str:
    """A lab-style bench file (no ``simulation:``) for the endpoints ``rig sim`` wrote."""
    host, port = endpoints["meter"]["modbus_tcp"].rsplit(":", 1)
    lines = [
        f"bench: {name}",
        "eumd:",
        "  map: sdm630",
        f"  transport: {{kind: modbus_tcp, host: {host}, port: {port}, unit: 1}}",
        '  accuracy_class: "C12.20 0.5"',
    ]
    premise = endpoints.get("premise_meter")
    if premise is not None:
        p_host, p_port = premise["modbus_tcp"].rsplit(":", 1)
        lines += [
            "premise_meter:",
            "  map: sunspec",
            f"  transport: {{kind: modbus_tcp, host: {p_host}, port: {p_port}, unit: 1}}",
            '  accuracy_class: "C12.20 0.2"',
        ]
    reference = endpoints.get("reference")
    if reference is not None:
        r_host, r_port = reference["modbus_tcp"].rsplit(":", 1)
        lines += [
            "reference:",
            f"  map: {reference['map']}",
            f"  transport: {{kind: modbus_tcp, host: {r_host}, port: {r_port}, unit: 1}}",
            '  accuracy_class: "0.05"',
        ]
    lines += [
        "load:",
        f"  dialect: {endpoints['load']['dialect']}",
        f'  resource: "{endpoints["load"]["visa"]}"',
        "pilot:",
        "  dialect: can",
        "  transport:",
        "    kind: can",
        "    interface: slcan",
        f'    channel: "{endpoints["pilot"]["channel"]}"',
        "    bitrate: 500000",
    ]
    return "\n".join(lines) + "\n"


class LabSim:
    """``rig sim`` as a subprocess, plus a lab-style bench file pointing at it."""

    def __init__(
        self,
        directory: Path,
        *,
        sim_yaml: Path = SIM_BENCH,
        name: str = "lab",
        wire_faults: bool = False,
    ) -> None:
        self.directory = directory
        self.wire_faults = wire_faults
        self.faults: dict[str, WireFault] = {}
        self.sim_yaml = sim_yaml
        self.endpoints_file = directory / f"{name}-endpoints.json"
        self.bench_file = directory / f"{name}.yaml"
        self.name = name
        self.log_file = directory / f"{name}-sim.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.endpoints: dict[str, Any] = {}

    def start(self, timeout_s: float = 30.0) -> LabSim:
        self.endpoints_file.unlink(missing_ok=True)
        command = [str(RIG), "sim", "--bench", str(self.sim_yaml)]
        command += ["--endpoints", str(self.endpoints_file)]
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ}
            )
        deadline = time.monotonic() + timeout_s
        while not self.endpoints_file.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"rig sim exited: {self.log_file.read_text('utf-8')}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("rig sim did not write its endpoints")
            time.sleep(0.05)
        self.endpoints = json.loads(self.endpoints_file.read_text(encoding="utf-8"))
        addressed = self._through_faults() if self.wire_faults else self.endpoints
        self.bench_file.write_text(lab_bench_text(addressed, name=self.name), "utf-8")
        return self

    def _through_faults(self) -> dict[str, Any]:
        """The endpoints with the EUMD, load and pilot behind a :class:`WireFault` each."""

        def proxy(role: str, host: str, port: str) -> int:
            self.faults[role] = WireFault(host, int(port)).start()
            return self.faults[role].port

        moved: dict[str, Any] = json.loads(json.dumps(self.endpoints))
        host, port = moved["meter"]["modbus_tcp"].rsplit(":", 1)
        moved["meter"]["modbus_tcp"] = f"{host}:{proxy('eumd', host, port)}"
        _, host, port, _ = moved["load"]["visa"].split("::")
        moved["load"]["visa"] = f"TCPIP0::{host}::{proxy('load', host, port)}::SOCKET"
        host, port = moved["pilot"]["channel"].removeprefix("socket://").rsplit(":", 1)
        moved["pilot"]["channel"] = f"socket://{host}:{proxy('pilot', host, port)}"
        return moved

    def truth(self) -> dict[str, Any]:
        """The simulated bench's physical state now (its model, not any driver)."""
        with urllib.request.urlopen(self.endpoints["model"]["truth"], timeout=5) as reply:
            document: dict[str, Any] = json.load(reply)
        return document

    def is_safe(self) -> bool:
        """Load input off (or no current flowing) and pilot in A, by the model."""
        now = self.truth()
        return now["pilot_state"] == "A" and (not now["load_input_on"] or now["current_a"] < 0.5)

    def stop(self) -> None:
        for fault in self.faults.values():
            fault.stop()
        self.faults.clear()
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> LabSim:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
