"""What this repository's tests need beyond the installed rig: pytester and the
real-instrument options.

The plan plugin (:mod:`rig.pytest_plugin`) is not loaded here: installing the rig
registers it with pytest (``pytest11`` entry point), so ``pytest test_plans`` runs the
YAML test plans (``docs/running.md``) in a checkout and anywhere else alike.
``pytester`` is the plugin's own test harness (``tests/plugin/``).

The instrument contract suites (``tests/meter``, ``tests/load``, ``tests/pilot``)
run against simulators, and also against a real instrument when one is named on
the command line. Their options are registered here, in the root ``conftest.py``,
because pytest reads options before it visits subdirectories: an option declared
in ``tests/meter/conftest.py`` is unknown to ``pytest --meter-url …`` run from the
repository root. The fixtures that read them stay beside their tests::

    pytest tests/meter --meter-url tcp://192.168.1.60:502 --meter-map sunspec
    pytest tests/load --load-resource TCPIP0::192.168.1.50::5025::SOCKET --load-dialect chroma63800
    pytest tests/pilot --pilot-dialect can --pilot-interface pcan --pilot-channel PCAN_USBBUS1
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def pytest_addoption(parser: pytest.Parser) -> None:
    meter = parser.getgroup("meter", "energy meter (EUMD) contract tests")
    meter.addoption(
        "--meter-url",
        default=None,
        help="Modbus URL of a real meter (tcp://host:502, socket://host:port, /dev/ttyUSB0); "
        "runs the meter contract tests against it",
    )
    meter.addoption(
        "--meter-map", default="sdm630", help="register map of the real meter: sdm630 or sunspec"
    )
    meter.addoption("--meter-unit", type=int, default=1, help="Modbus unit of the real meter")
    meter.addoption("--meter-baud", type=int, default=None, help="baud rate for a serial meter")
    meter.addoption("--meter-timeout", type=float, default=None, help="per-try timeout in seconds")

    load = parser.getgroup("load", "programmable AC load")
    load.addoption(
        "--load-resource",
        default=None,
        help="VISA resource of a real load; runs the load contract tests against it",
    )
    load.addoption(
        "--load-dialect",
        default="scpi",
        help="dialect of the real load: scpi, chroma63800 or it8600 (default scpi)",
    )
    load.addoption(
        "--load-timeout",
        type=float,
        default=0.5,
        help="VISA timeout in seconds for the real load (default 0.5)",
    )

    pilot = parser.getgroup("pilot", "real J1772 pilot-signal simulator")
    pilot.addoption("--pilot-dialect", help="can, serial or ev_sim: run the contract on a device")
    pilot.addoption("--pilot-interface", help="python-can interface (can), e.g. pcan, kvaser")
    pilot.addoption("--pilot-channel", help="python-can channel (can), e.g. PCAN_USBBUS1")
    pilot.addoption("--pilot-bitrate", type=int, default=500_000, help="CAN bit rate")
    pilot.addoption("--pilot-base-id", type=lambda s: int(s, 0), default=0x600)
    pilot.addoption("--pilot-url", help="serial port or URL (serial, ev_sim), e.g. /dev/ttyUSB0")
    pilot.addoption("--pilot-baudrate", type=int, help="serial baud rate (dialect default)")
