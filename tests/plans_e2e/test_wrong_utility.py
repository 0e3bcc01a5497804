"""The oracle can fail: real plans against a deliberately wrong utility fail, naming the difference.

Each test runs a plan from ``test_plans/`` end to end — simulated bench, ESI,
services — but the premise's utility is reached through a tampering reverse proxy
(:mod:`tests.plans_e2e.proxy`), given to the runner as an *external* utility URL
(:class:`~rig.runner.api.ServiceTarget`). The proxy falsifies one thing:

==============  =============================================  ==============================
defect          what the wrong utility does                     the plan fails with
==============  =============================================  ==============================
wrong rate      bills on-peak energy at the mid-peak rate       ``billed rate 0.120 … expected
                (no TOU split)                                  0.280 at on_peak``
wrong payer     puts Alice's home session on Bob's account      ``payer ACC-BOB, expected
                                                                ACC-ALICE``
lost interval   acknowledges the 16:15 interval, never stores   ``interval …16:15… missing from
                it                                              bill``, ``intervals held n-1``
double bill     bills the 16:15 interval twice                  ``interval …16:15… billed twice``
==============  =============================================  ==============================

and a pass-through proxy shows that the path itself is sound (the plan passes).

Why the clock is patched: with external services the runner uses the wall clock
(``rig.runner.world.make_clock`` returns a ``WallClock`` whenever a ``ServiceTarget``
is given), which would make a one-hour plan take an hour. Here the "external"
utility is the real service started in this process on a ``VirtualClock``, and the
runner is given that same clock, so the simulated bench, the ESI and the services
stay on one virtual time, as in an ordinary embedded run.
"""

from __future__ import annotations

import re
import tempfile
import threading
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from rig.clock import VirtualClock
from rig.plans import load_plan
from rig.pytest_plugin.failure import describe
from rig.runner import world
from rig.runner.api import PlanOutcome, ServiceTarget, run_plan
from rig.services.cluster import Cluster
from tests.plans_e2e.proxy import Tamper, TamperingProxy

PLANS = Path(__file__).resolve().parents[2] / "test_plans"
CENT = Decimal("0.01")
#: The 2nd metering interval of a session plugged in at 10:00 Central (16:00 UTC).
SECOND_INTERVAL = "2026-03-02T16:15+00:00"


def _session_record(method: str, path: str) -> bool:
    """The utility's session record, as the runner fetches it after the steps."""
    return method == "GET" and re.fullmatch(r"/sessions/[^/?]+", path) is not None


def _like(template: Any, value: Decimal) -> Any:
    """``value`` in the JSON type the service used (decimals may be strings or numbers)."""
    return str(value) if isinstance(template, str) else float(value)


class WrongRate(Tamper):
    """On-peak lines billed at the mid-peak rate, as if the TOU boundary were ignored."""

    def rewrite(self, method: str, path: str, status: int, body: Any) -> Any:
        if _session_record(method, path) and status == 200:
            for line in body["line_items"]:
                if line["rate_period"] == "on_peak":
                    rate = Decimal("0.120")
                    amount = (Decimal(str(line["kwh"])) * rate).quantize(CENT, ROUND_HALF_UP)
                    line.update(
                        rate_period="mid_peak",
                        rate=_like(line["rate"], rate),
                        amount=_like(line["amount"], amount),
                    )
        return body


class WrongPayer(Tamper):
    """The session, and its charge lines, on Bob's account instead of Alice's."""

    def rewrite(self, method: str, path: str, status: int, body: Any) -> Any:
        if _session_record(method, path) and status == 200:
            body["payer_account_id"] = "ACC-BOB"
            for line in body["line_items"]:
                if line["kind"] == "charge":
                    line["account_id"] = "ACC-BOB"
        return body


class _Intervals(Tamper):
    """Sees the ESI's interval reports go by; ``second`` is the 2nd one's record."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reports = 0
        self.second: dict[str, Any] | None = None

    def _is_second(self, method: str, path: str, body: Any) -> bool:
        if method != "POST" or not path.endswith("/intervals") or not body["intervals"]:
            return False
        with self.lock:
            self.reports += 1
            if self.reports == 2:
                self.second = body["intervals"][0]
            return self.reports == 2


class LostInterval(_Intervals):
    """The 2nd interval report is acknowledged (200) but never reaches the utility's books."""

    def intercept(self, method: str, path: str, body: Any) -> tuple[int, Any] | None:
        if self._is_second(method, path, body):
            return 200, {"session_id": path.split("/")[2], "stored": len(body["intervals"])}
        return None


class DoubleBill(_Intervals):
    """The 2nd interval appears twice on the bill: its own line beside the session's."""

    def intercept(self, method: str, path: str, body: Any) -> tuple[int, Any] | None:
        self._is_second(method, path, body)
        return None

    def rewrite(self, method: str, path: str, status: int, body: Any) -> Any:
        if _session_record(method, path) and status == 200 and self.second is not None:
            line = dict(body["line_items"][0])
            kwh = Decimal(self.second["kwh"])
            amount = (kwh * Decimal(str(line["rate"]))).quantize(CENT, ROUND_HALF_UP)
            line.update(
                start=self.second["start"],
                end=self.second["end"],
                kwh=_like(line["kwh"], kwh),
                amount=_like(line["amount"], amount),
            )
            body["line_items"].append(line)
        return body


def run_wrong(
    name: str, tamper: Tamper, monkeypatch: pytest.MonkeyPatch
) -> tuple[PlanOutcome, str]:
    """Run ``test_plans/<name>.yaml`` with its premise's utility behind ``tamper``.

    Returns the outcome and every failing measurement's message, one per line.
    """
    path = PLANS / f"{name}.yaml"
    plan = load_plan(path)
    assert plan.start is not None
    clock = VirtualClock(plan.start)  # one virtual time for bench, ESI and services
    monkeypatch.setattr(world, "make_clock", lambda plan, config, services: clock)
    data = world.dataset(plan.utility_data)
    utility = data.utility_of[plan.premise]
    with (
        tempfile.TemporaryDirectory(prefix="rig-wrong-utility-") as state,
        Cluster(data, clock=clock, state_dir=Path(state)) as cluster,
        TamperingProxy(cluster.endpoints[utility], tamper) as proxy,
    ):
        urls = {**cluster.endpoints, utility: proxy.url}
        outcome = run_plan(plan, plan_file=path, services=ServiceTarget(urls))
        assert proxy.requests, "the runner never went through the proxy"
    failing = "\n".join(m.message for m in outcome.measurements if not m.passed)
    return outcome, failing


def test_pass_through_proxy_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    outcome, failing = run_wrong("sc1_home", Tamper(), monkeypatch)
    assert outcome.verdict == "pass", describe(outcome)
    assert not failing


def test_wrong_rate_fails_naming_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    outcome, failing = run_wrong("pg_tou_boundary", WrongRate(), monkeypatch)
    assert outcome.verdict == "fail"
    assert "billed rate 0.120 USD/kWh at mid_peak, expected 0.280 at on_peak" in failing
    assert "periods mid_peak, expected mid_peak → on_peak" in failing  # the plan's own pin
    assert re.search(r"billed USD (\d+\.\d\d), expected (\d+\.\d\d)", failing)
    assert "on_peak" in describe(outcome)


def test_wrong_payer_fails_naming_the_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    outcome, failing = run_wrong("sc1_home", WrongPayer(), monkeypatch)
    assert outcome.verdict == "fail"
    assert "payer ACC-BOB, expected ACC-ALICE" in failing  # the oracle's own table
    assert "billed to ACC-BOB, expected ACC-ALICE" in failing  # the plan's `payer:` check
    assert "ACC-BOB" in describe(outcome)


def test_lost_interval_fails_naming_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    tamper = LostInterval()
    outcome, failing = run_wrong("sc1_home", tamper, monkeypatch)
    assert tamper.second is not None, "the plan never reported a second interval"
    assert outcome.verdict == "fail"
    assert f"interval {SECOND_INTERVAL} missing from bill" in failing
    held = re.search(r"intervals held (\d+), expected (\d+)", failing)
    assert held and int(held[1]) == int(held[2]) - 1, failing
    assert "J-04 billed energy vs EUMD" in failing


def test_double_bill_fails_naming_the_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    tamper = DoubleBill()
    outcome, failing = run_wrong("sc1_home", tamper, monkeypatch)
    assert tamper.second is not None
    assert outcome.verdict == "fail"
    assert f"interval {SECOND_INTERVAL} billed twice" in failing
    assert f"line {SECOND_INTERVAL}–" in failing and "not expected" in failing
    billed = re.search(r"billed kWh (\d+\.\d+), expected (\d+\.\d+)", failing)
    assert billed and Decimal(billed[1]) - Decimal(billed[2]) == Decimal(tamper.second["kwh"])
