"""A run whose services are down still writes its results, summary and HTML report,
and the report says which service could not be reached and why (issue 9, item 9).

The services are "external" (``--utility-url``, ``--clearinghouse-url``) at a port
on 127.0.0.1 where nothing listens, so every request is refused at connect: the
ESI cannot bind, the outbox cannot deliver (the runner's drain waits out its 60 s
of wall clock), the utility bills nothing and the ``billed energy`` series behind
J-04 is never recorded. The plan has no ``start``, so it runs against external
services without their clocks (:mod:`rig.runner.external_time`).
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from plugin.support import Project
from rig.results import merge_results
from rig.runner import plan_run

PLANS = Path(__file__).resolve().parents[2] / "test_plans"

PLAN = """\
plan: services-down
title: Alice charges while the utility cannot be reached
scenario: sc1
covers: [SC-1, J-04]
include: common/alice_at_home.yaml
steps:
  - plug_in
  - bind
  - charge: 3 s
  - unplug
checks:
  - payer: {account: ACC-ALICE, utility: HPL}
  - energy_agreement
"""


def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.real_runner
def test_a_run_with_its_services_down_writes_the_summary_and_a_report_naming_them(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # nothing will be delivered: the outbox's last chance need not be a wall-clock minute
    monkeypatch.setattr(plan_run, "DRAIN_S", 3.0)
    shutil.copytree(PLANS / "common", project.plans / "common")
    project.plan("services_down", text=PLAN)
    url = dead_url()
    result = project.pytester.runpytest(
        *("--utility-url", f"HPL={url}", "--utility-url", f"SGE={url}"),
        *("--clearinghouse-url", url),
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*compliance summary*", "services-down *sc1 *fail *", "1 plan: 1 fail", "report:  *.html"]
    )
    reports = project.pytester.path / "reports"
    [results] = reports.glob("results-*.jsonl")
    [run] = merge_results([results]).runs
    plan = run.plans["services-down"]
    assert plan.end is not None
    [down] = plan.end.unreachable
    assert (down.service, down.url) == ("HPL", url)
    assert "ConnectError" in down.error and down.failures >= 2
    j04 = [m for m in plan.measurements if m.name.startswith("J-04")]
    billed = [m for m in j04 if "billed energy" in m.unrecorded]
    assert billed, [m.name for m in j04]  # the billed-vs-EUMD check, with nothing billed
    assert all("billed energy" not in m.series for m in j04)
    assert "billed energy" not in plan.series
    [html] = reports.glob("report-*.html")
    page = html.read_text(encoding="utf-8")
    assert "Services unreachable" in page
    assert f"<b>HPL</b> at <code>{url}</code>: ConnectError" in page
    assert "not recorded: billed energy" in page
