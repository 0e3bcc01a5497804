"""Command-line options and markers of the plan plugin.

Options (``pytest --help``, group *rig test plans*):

``--bench FILE`` (repeatable)
    The bench the plans run on; default the simulated bench
    ``fixtures/benches/sim.yaml``. A lab bench file runs them on real instruments.
    Several make a bench pool for ``pytest -n N`` (:mod:`rig.pytest_plugin.pool`):
    each pytest-xdist worker leases a bench of its own.
``--utility-url ID=URL`` (repeatable) and ``--clearinghouse-url URL``
    External services instead of the embedded ones: every utility of the data set
    by its ID, and the clearinghouse. Give both or neither. A utility's IEEE 2030.5
    server is ``ID:2030.5=URL`` (``HPL:2030.5=https://head-end.example:8443``).
``--utility-cert FILE``, ``--utility-key FILE``, ``--utility-ca FILE``
    Mutual TLS with external 2030.5 servers: the ESI's client certificate and key (PEM;
    ``{esi}`` in a name is replaced by the ESI's ID, so each ESI of the data set can
    have its own device certificate) and the CA the servers' certificates come from.
    The ESI is the device of its certificate's LFDI. Give all three or none.
``--services-clock-offset SECONDS``
    The clock offset the external services were started with.
``--utility-protocol rest|ieee2030.5``
    How the ESI talks to its utility (:mod:`rig.esi.link`): the rig's JSON API, or
    IEEE 2030.5 (:mod:`rig.esi.sep2_link`); default: each utility's ``protocol`` in the
    data set (``rest`` unless it says). Plans and checks are the same either way;
    ``plan_start`` records which was used.
``--report DIR``
    Where the run's results file goes; default ``reports/`` under the rootdir.
``--operator NAME``
    Who ran the suite, for the results file; default ``$USER``.
``--approver NAME``
    Who is to approve the results, for the results file and the report's signature
    block; default none (the block's name line is left to be written by hand).
``--profile NAME|FILE``
    A lab-time profile (:mod:`rig.plans.labtime`): ``lab-2h`` is
    ``fixtures/profiles/lab-2h.yaml``. Every plan runs shortened by it, keeping its
    evidence; the whole suite fits in 2 h of a lab bench's wall time.
``--allow-expired-calibration``
    Run although an instrument's calibration is overdue (otherwise a usage error
    naming it). Recorded in the results file and flagged in the report.

and one ini setting, ``rig_progress_every`` (seconds, default 10): how long a step
runs before its progress is printed, and how often after that.

Markers are registered here, so ``--strict-markers`` accepts them: one per scenario
(``sc1`` … ``sc6``, the plan's ``scenario``) and one per requirement ID of the
catalogue, named by :func:`marker_name` (``BR-05`` → ``BR_05``, ``PG-TOU`` →
``PG_TOU``, ``SC-4`` → ``SC_4``). ``pytest -m sc4`` selects the SC-4 scenario
plans; ``pytest -m "BR_05 or BR_01"`` the plans that cover either requirement.
"""

from __future__ import annotations

from typing import get_args

import pytest

from rig.domain.requirements import catalogue
from rig.esi.link import PROTOCOLS
from rig.plans.model import ScenarioMarker
from rig.pytest_plugin.progress import EVERY_S


def marker_name(requirement_id: str) -> str:
    """The marker of a requirement ID: ``BR-05`` → ``BR_05`` (a Python identifier)."""
    return requirement_id.replace("-", "_")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rig", "rig test plans")
    group.addoption(
        "--bench",
        metavar="FILE",
        action="append",
        default=[],
        help="bench file the plans run on (default: the simulated fixtures/benches/sim.yaml); "
        "repeat it for a bench pool with -n N: each worker leases a bench of its own",
    )
    group.addoption(
        "--utility-url",
        metavar="ID=URL",
        action="append",
        default=[],
        help="an external utility service by its data-set ID, e.g. HPL=http://10.0.0.5:8001 "
        "(repeat for each utility; needs --clearinghouse-url)",
    )
    group.addoption(
        "--clearinghouse-url",
        metavar="URL",
        default=None,
        help="the external clearinghouse service (needs --utility-url)",
    )
    group.addoption(
        "--utility-cert",
        metavar="FILE",
        default=None,
        help="the ESI's client certificate (PEM) for https:// 2030.5 servers; '{esi}' in "
        "the name is replaced by the ESI's ID (needs --utility-key and --utility-ca)",
    )
    group.addoption(
        "--utility-key",
        metavar="FILE",
        default=None,
        help="the key of --utility-cert (PEM, unencrypted; '{esi}' as there)",
    )
    group.addoption(
        "--utility-ca",
        metavar="FILE",
        default=None,
        help="the CA certificate (PEM) the 2030.5 servers' certificates come from",
    )
    group.addoption(
        "--services-clock-offset",
        metavar="SECONDS",
        type=float,
        default=0.0,
        help="clock offset the external services run with (default 0)",
    )
    group.addoption(
        "--utility-protocol",
        choices=PROTOCOLS,
        default=None,
        help="how the ESI talks to its utility: rest (the rig's JSON API) or ieee2030.5 "
        "(default: the utility's protocol in the data set, else rest)",
    )
    group.addoption(
        "--report",
        metavar="DIR",
        default=None,
        help="directory for the results file (default: reports/ under the rootdir)",
    )
    group.addoption(
        "--operator",
        default=None,
        help="who runs the suite, recorded in the results file (default: $USER)",
    )
    group.addoption(
        "--approver",
        default=None,
        help="who approves the results: recorded, and named in the report's signature block",
    )
    group.addoption(
        "--profile",
        metavar="NAME|FILE",
        default=None,
        help="lab-time profile: run every plan shortened, evidence kept "
        "(lab-2h: fixtures/profiles/lab-2h.yaml)",
    )
    group.addoption(
        "--allow-expired-calibration",
        action="store_true",
        default=False,
        help="run although an instrument's calibration is overdue (recorded and flagged)",
    )
    parser.addini(
        "rig_progress_every",
        "wall seconds a plan step runs before its progress is shown, and between lines",
        type="string",
        default=str(EVERY_S),
    )


def pytest_configure(config: pytest.Config) -> None:
    for scenario in get_args(ScenarioMarker):
        number = scenario.removeprefix("sc")
        config.addinivalue_line("markers", f"{scenario}: test plans of scenario SC-{number}")
    for requirement_id, title in catalogue().items():
        config.addinivalue_line(
            "markers", f"{marker_name(requirement_id)}: plans covering {requirement_id}: {title}"
        )
