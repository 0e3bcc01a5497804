"""Bugs the plans' author found in the runner's judgement, each pinned by a whole plan."""

from __future__ import annotations

from pathlib import Path

from rig.runner.api import run_plan
from tests.runner.support import EXAMPLES, write_plan


def test_a_pev_silent_before_binding_passes_the_shared_session_record_checks(
    tmp_path: Path,
) -> None:
    """The ESI never learnt the PEV's ID: the utility's records carry none, rightly."""
    text = (EXAMPLES / "br01_pev_silent.yaml").read_text(encoding="utf-8")
    checks = text[text.index("checks:") :]
    body = text[: text.index("checks:")] + (
        "checks:\n"
        "  - binding: none\n"
        "  - payer: {account: ACC-CAROL, utility: HPL}\n"
        "  - include: common/session_records.yaml\n"
    )
    assert "binding: none" in checks
    plan, path = write_plan(tmp_path, body)
    outcome = run_plan(plan, plan_file=path)
    assert outcome.verdict == "pass", outcome.failure
    names = {m.name for m in outcome.measurements}
    assert "intervals: incomplete records" in names


def test_a_standing_alm_limit_counts_only_once_the_esi_could_learn_it(tmp_path: Path) -> None:
    """Utility down at plug-in: the EVSE cannot apply PREM-ALICE's 6.6 kW ALM limit.

    The PEV draws its full 32 A (7.68 kW) until the utility is back and the ESI
    learns the limit; the oracle judges the limit from then (plus the follow time),
    not from its ``effective_from`` long before the session.
    """
    plan, path = write_plan(
        tmp_path,
        """\
plan: alm-after-outage
title: a standing ALM limit learnt only after an outage at plug-in
scenario: sc1
covers: [BR-01, PG-ALM]
include: common/alice_at_home.yaml
pev:
  max_current: 32 A
start: 2026-03-02T10:00:00-06:00
steps:
  - utility_unreachable
  - include: common/plug_in_unbound.yaml
  - charge: 10 min
  - utility_back
  - charge: 20 min
  - include: common/end_session.yaml
checks:
  - binding: none
  - payer: {account: ACC-ALICE, utility: HPL}
""",
    )
    outcome = run_plan(plan, plan_file=path)
    assert outcome.verdict == "pass", outcome.failure
    (alm,) = [m for m in outcome.measurements if m.name.startswith("ALM ")]
    assert alm.passed


def test_an_hourly_price_published_over_a_data_set_hour_is_billed_and_expected(
    tmp_path: Path,
) -> None:
    """PG-RTP: the latest publication for an hour wins, for the services and the oracle.

    The data set prices 21:00–22:00 at 0.050; the plan publishes 0.030 for that
    same hour before it starts. The utility bills 0.030; the oracle must expect it.
    """
    plan, path = write_plan(
        tmp_path,
        """\
plan: rtp-overlap
title: a price published for an hour the data set already prices
scenario: sc1
covers: [PG-RTP, SC-1]
utility_data: two_utilities
pev:
  id: PEV-ERIN
  max_current: 32 A
  preferences: {energy: 12 kWh, max_power: 7.68 kW, departure_in: 8 h}
premise: PREM-ERIN
portal: EP-ERIN-240
start: 2026-03-02T20:50:00-06:00
steps:
  - include: common/plug_in_and_bind.yaml
  - price: {after: 15 min, per_kwh: [0.030]}  # 21:00-22:00, over the data set's 0.050
  - charge: 30 min
  - include: common/end_session.yaml
checks:
  - binding: accepted
  - tariff:
      id: HPL-PEV-RTP
      rates:
        - {period: hourly, rate: 0.070}
        - {period: hourly, rate: 0.030}
  - amount
""",
    )
    outcome = run_plan(plan, plan_file=path)
    assert outcome.verdict == "pass", outcome.failure
    rate = next(m for m in outcome.measurements if m.name == "rate per interval")
    assert rate.passed and rate.value == 0
