"""A plan with a ``start`` runs against external services only when their clocks read it."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from plugin.support import PLAN, Project
from rig.bench.labsim import RIG
from rig.runner.external_time import ClockReading, read_clock, start_decision

ROOT = Path(__file__).resolve().parents[2]
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))


def reading(service: str, now: dt.datetime | None, offset_s: float | None = 0.0) -> ClockReading:
    return ClockReading(service, now, offset_s if now else None, "" if now else "refused")


def test_clocks_near_the_start_give_the_median_offset() -> None:
    near = [
        reading("HPL", START + dt.timedelta(seconds=30), 100.0),
        reading("SGE", START, 101.0),
        reading("clearinghouse", START - dt.timedelta(seconds=20), 104.0),
    ]
    assert start_decision(START, near) == (101.0, "")


def test_a_clock_far_from_the_start_or_unread_skips_with_how_to_run_it() -> None:
    offset, reason = start_decision(START, [reading("HPL", START + dt.timedelta(hours=5))])
    assert offset is None
    assert "rig serve --clock-start 2026-03-02T10:00:00-06:00" in reason and "HPL" in reason
    offset, reason = start_decision(START, [reading("HPL", None)])
    assert offset is None and "time is unknown (HPL: refused)" in reason


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, str]]:
    """``rig serve`` with its clock at 2026-06-01 12:00 UTC, far from the plans' start."""
    endpoints = tmp_path / "endpoints.json"
    process = subprocess.Popen(
        [str(RIG), "serve", "--data", str(ROOT / "fixtures/utilities/two_utilities.yaml"),
         "--state-dir", str(tmp_path / "state"), "--endpoints", str(endpoints),
         "--clock-start", "2026-06-01T12:00:00+00:00"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not endpoints.exists():
            assert process.poll() is None and time.monotonic() < deadline, "rig serve failed"
            time.sleep(0.05)
        yield json.loads(endpoints.read_text("utf-8"))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_a_services_clock_is_read_over_http(served: dict[str, str]) -> None:
    clock = read_clock("HPL", served["HPL"])
    expected = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
    assert clock.now is not None and abs((clock.now - expected).total_seconds()) < 60
    assert (
        clock.offset_s is not None
        and abs(clock.offset_s - (expected.timestamp() - time.time())) < 60
    )


def test_a_plan_whose_start_the_services_do_not_read_is_skipped_with_the_reason(
    project: Project, served: dict[str, str]
) -> None:
    project.pytester.makeconftest('pytest_plugins = ["rig.pytest_plugin"]\n')  # the real runner
    project.plan(
        "sc1_home", text=PLAN.format(id="sc1-home", scenario="sc1", covers="SC-1", title="t")
    )
    utilities = {
        uid: url for uid, url in served.items() if uid != "clearinghouse" and ":" not in uid
    }
    urls = [f"--utility-url={uid}={url}" for uid, url in utilities.items()]
    result = project.pytester.runpytest(
        *urls, f"--clearinghouse-url={served['clearinghouse']}", "-rs"
    )
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*the plan starts at 2026-03-02T10:00:00-06:00 but the external services' clocks read*"
         "rig serve --clock-start 2026-03-02T10:00:00-06:00*"]
    )  # fmt: skip
