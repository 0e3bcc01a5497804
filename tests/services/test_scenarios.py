"""Every roaming scenario (SC-1…SC-6) and the business rules that change the outcome,
end to end over HTTP: bind, charge, report, and read the bill back.

Expected money is worked out by hand from the data set's tariffs (in comments).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from rig.services.endpoints import ServiceEndpoints
from tests.services.helpers import (
    WIDE,
    bind,
    charge,
    get,
    next_local,
    session_lines,
    statement,
    total,
)

D = Decimal


def test_sc1_home_premise_bills_owner_at_programme_tou_split_exactly(svc: ServiceEndpoints) -> None:
    # Weekday 15:50: interval 1 is 15:50–16:05, 1.5 kWh → 10 min mid-peak (1.000 kWh),
    # 5 min on-peak (0.500 kWh); interval 2 16:05–16:20 1.5 kWh on-peak.
    # mid 1.000 × 0.12 = 0.12; on 2.000 × 0.28 = 0.56 → 0.68.
    next_local(svc, 15, 50)
    s = charge(svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE", ["1.5", "1.5"])
    b = s.binding
    assert (b["scenario"], b["bound"], b["incentive"]) == ("SC-1", True, True)
    assert (b["payer_account_id"], b["tariff_id"]) == ("ACC-ALICE", "HPL-PEV-TOU")
    lines = session_lines(svc, "HPL", "ACC-ALICE", s.session_id)
    got = [(x["rate_period"], D(x["kwh"]), D(x["rate"]), D(x["amount"])) for x in lines]
    assert got == [
        ("mid_peak", D("1.000"), D("0.120"), D("0.12")),
        ("on_peak", D("2.000"), D("0.280"), D("0.56")),
    ]
    assert lines[0]["end"] == lines[1]["start"]  # split exactly at 16:00 local
    assert lines[0]["end"].endswith("22:00:00Z")
    assert all(x["pev_id"] == "PEV-ALICE" and x["premise_id"] == "PREM-ALICE" for x in lines)
    # BR-12: the closed session carries date, time, duration and energy (OCPI CDR names)
    r = s.record
    assert r["status"] == "closed" and D(r["total_energy"]) == D("3.0")
    assert D(r["total_time"]) == D("0.5") and D(r["total_cost"]["excl_vat"]) == D("0.68")
    assert [p["dimensions"][0]["type"] for p in r["charging_periods"]] == ["ENERGY", "ENERGY"]


def test_sc2_other_premise_host_pays_at_host_tariff_with_pev_recorded(
    svc: ServiceEndpoints,
) -> None:
    # Bob's default HPL-RES-FLAT 0.15: 4 × 1.0 kWh → 0.60 on ACC-BOB.
    s = charge(svc, "HPL", "ESI-BOB", "PREM-BOB", "EP-BOB-240", "PEV-ALICE", ["1.0"] * 4)
    b = s.binding
    assert (b["scenario"], b["bound"], b["incentive"]) == ("SC-2", True, False)
    assert (b["payer_account_id"], b["tariff_id"]) == ("ACC-BOB", "HPL-RES-FLAT")
    lines = session_lines(svc, "HPL", "ACC-BOB", s.session_id)
    assert total(lines) == D("0.60") and total(lines, "kwh") == D("4.0")
    assert {x["pev_id"] for x in lines} == {"PEV-ALICE"}
    assert session_lines(svc, "HPL", "ACC-ALICE", s.session_id) == []


def test_sc3_pev_owner_pays_and_host_revenue_meter_is_netted(svc: ServiceEndpoints) -> None:
    # Weekday 23:00 is off-peak on HPL-PEV-TOU (0.06): 4 kWh → 0.24 on ACC-ALICE.
    # Carol has a revenue meter: −4 kWh × 0.15 (HPL-RES-FLAT) = −0.60 on ACC-CAROL.
    next_local(svc, 23, 0)
    s = charge(svc, "HPL", "ESI-CAROL", "PREM-CAROL", "EP-CAROL-240", "PEV-ALICE", ["1.0"] * 4)
    b = s.binding
    assert (b["scenario"], b["incentive"], b["net_from_premise_bill"]) == ("SC-3", True, True)
    alice = session_lines(svc, "HPL", "ACC-ALICE", s.session_id)
    assert {x["rate_period"] for x in alice} == {"off_peak"} and total(alice) == D("0.24")
    carol = session_lines(svc, "HPL", "ACC-CAROL", s.session_id)
    assert {x["kind"] for x in carol} == {"netting"}
    assert total(carol, "kwh") == D("-4.0") and total(carol) == D("-0.60")


@pytest.mark.parametrize(
    ("option", "tariff", "customer", "owed", "keeps"),
    [
        # SGE-GUEST 0.25 × 4 = 1.00; SGE-SETTLE 0.10 × 4 = 0.40; HPL keeps 0.60
        ("guest_rate", "SGE-GUEST", "1.00", "0.40", "0.60"),
        # HPL-PEV-TOU weekday 23:00 off-peak 0.06 × 4 = 0.24; owed 0.40; HPL makes up 0.16
        ("home_rate", "HPL-PEV-TOU", "0.24", "0.40", "-0.16"),
    ],
)
def test_sc4_foreign_territory_each_option_is_posted_home_and_settled(
    svc: ServiceEndpoints, option: str, tariff: str, customer: str, owed: str, keeps: str
) -> None:
    next_local(svc, 23, 0)
    s = charge(
        svc,
        "SGE",
        "ESI-HANK",
        "PREM-HANK",
        "EP-HANK-240",
        "PEV-ALICE",
        ["1.0"] * 4,
        binding_extra={"roaming_option": option},
    )
    b = s.binding
    assert (b["scenario"], b["bound"], b["tariff_id"]) == ("SC-4", True, tariff)
    assert (b["payer_utility_id"], b["payer_account_id"], b["home_utility_id"]) == (
        "HPL",
        "ACC-ALICE",
        "HPL",
    )
    assert b["roaming"] == {
        "option": option,
        "home_utility_id": "HPL",
        "roaming_utility_id": "SGE",
        "settlement_tariff_id": "SGE-SETTLE",
    }
    # a record at the roaming utility …
    at_sge = session_lines(svc, "SGE", "ACC-ALICE", s.session_id)
    assert {x["kind"] for x in at_sge} == {"roaming"} and total(at_sge) == D(customer)
    # … the host's revenue meter netted (SGE-RES-FLAT 0.14 × −4 = −0.56) …
    assert total(session_lines(svc, "SGE", "ACC-HANK", s.session_id)) == D("-0.56")
    # … posted to the home account via the clearinghouse …
    at_home = session_lines(svc, "HPL", "ACC-ALICE", s.session_id)
    assert {x["kind"] for x in at_home} == {"roaming"} and total(at_home) == D(customer)
    # … and settled between the pair
    with svc.client("clearinghouse", as_caller="HPL") as ch:
        st = get(
            ch,
            "/settlements",
            roaming_utility_id="SGE",
            home_utility_id="HPL",
            **WIDE,
        )
        assert f"SGE:{s.session_id}" in st["charges"]
        audit = get(ch, "/audit")
    assert [r["option"] for r in st["rows"]] == sorted({r["option"] for r in st["rows"]})
    row = next(r for r in st["rows"] if r["option"] == option)
    assert row["sessions"] >= 1
    # every step leaves a record at the clearinghouse (the HPL view shows only its own calls)
    assert all(e["caller"] == "utility:HPL" for e in audit)
    with svc.client("clearinghouse", as_caller="CH") as ch:
        calls = {(e["caller"], e["path"].split("?")[0]) for e in get(ch, "/audit")}
    assert ("utility:SGE", "/pev-validations") in calls
    assert ("utility:SGE", "/roaming-charges") in calls
    per_session = [
        (D(x["customer_amount"]), D(x["settlement_amount"]), D(x["difference"]))
        for x in [_charge(svc, f"SGE:{s.session_id}")]
    ]
    assert per_session == [(D(customer), D(owed), D(keeps))]


def _charge(svc: ServiceEndpoints, charge_id: str) -> dict[str, object]:
    cluster = svc.cluster
    assert cluster is not None
    db = cluster.services["clearinghouse"].db
    rc = db.tables.roaming_charges
    with db.read() as conn:
        row = conn.execute(rc.select().where(rc.c.charge_id == charge_id)).one()
    return dict(row._mapping)


def test_settlement_statement_adds_up_per_option(svc: ServiceEndpoints) -> None:
    with svc.client("clearinghouse", as_caller="SGE") as ch:
        st = get(ch, "/settlements", roaming_utility_id="SGE", home_utility_id="HPL", **WIDE)
    assert D(st["customer_amount"]) - D(st["roaming_utility_owed"]) == D(st["home_utility_keeps"])
    assert sum(r["sessions"] for r in st["rows"]) == st["sessions"] == len(st["charges"])


def test_sc5_unknown_pev_is_asked_of_the_clearinghouse_then_premise_pays(
    svc: ServiceEndpoints,
) -> None:
    s = charge(svc, "HPL", "ESI-BOB", "PREM-BOB", "EP-BOB-240", "PEV-NOBODY-1", ["0.5"] * 2)
    b = s.binding
    assert (b["scenario"], b["bound"], b["incentive"]) == ("SC-5", False, False)
    assert (b["payer_account_id"], b["tariff_id"]) == ("ACC-BOB", "HPL-RES-FLAT")
    assert "BR-05" in b["requirement_ids"] and "clearinghouse" in b["reason"]
    assert total(session_lines(svc, "HPL", "ACC-BOB", s.session_id)) == D("0.15")
    with svc.client("clearinghouse", as_caller="CH") as ch:
        paths = [e["path"] for e in get(ch, "/audit") if e["caller"] == "utility:HPL"]
    assert "/pev-validations" in paths


def test_sc5_not_communicating_pev_charges_at_premise_default(svc: ServiceEndpoints) -> None:
    s = charge(
        svc,
        "HPL",
        "ESI-BOB",
        "PREM-BOB",
        "EP-BOB-240",
        None,
        ["1.0"],
        binding_extra={"communication": "pev_not_communicating"},
    )
    assert (s.binding["scenario"], s.binding["bound"]) == ("SC-5", False)
    assert total(session_lines(svc, "HPL", "ACC-BOB", s.session_id)) == D("0.15")


def test_br05_unenrolled_pev_cannot_bind_or_get_a_grant(svc: ServiceEndpoints) -> None:
    b = bind(svc, "HPL", "ESI-FRANK", "PREM-FRANK", "EP-FRANK-120", "PEV-FRANK")
    assert (b["bound"], b["incentive"], b["payer_account_id"]) == (False, False, "ACC-FRANK")
    assert "BR-05" in b["requirement_ids"]
    with svc.client("HPL", as_caller="ESI-FRANK") as c:
        r = c.post(
            f"/bindings/{b['binding_id']}/energy-requests",
            json={
                "energy_requested_kwh": "5",
                "power_requested_kw": "1.4",
                "departure": "2027-01-01T00:00:00Z",
            },
        )
    assert r.status_code == 403 and "BR-05" in r.json()["detail"]


def test_br01_failed_communication_means_premise_default_no_incentive(
    svc: ServiceEndpoints,
) -> None:
    b = bind(
        svc,
        "HPL",
        "ESI-ALICE",
        "PREM-ALICE",
        "EP-ALICE-240",
        "PEV-ALICE",
        communication="failed",
    )
    assert (b["bound"], b["incentive"], b["tariff_id"]) == (False, False, "HPL-RES-TOU")
    assert "BR-01" in b["requirement_ids"]


def test_br04_eumd_unavailable_premise_pays_and_session_is_flagged(svc: ServiceEndpoints) -> None:
    s = charge(
        svc,
        "HPL",
        "ESI-ALICE",
        "PREM-ALICE",
        "EP-ALICE-240",
        "PEV-ALICE",
        ["1.0"],
        binding_extra={"eumd_available": False},
    )
    b = s.binding
    assert (b["bound"], b["incentive"], b["flagged"]) == (True, False, True)
    assert (b["payer_account_id"], b["tariff_id"]) == ("ACC-ALICE", "HPL-RES-TOU")
    assert "BR-04" in b["requirement_ids"]
    assert "eumd_unavailable" in s.record["flags"]


def test_br11_host_not_allowing_guests_means_no_binding(svc: ServiceEndpoints) -> None:
    b = bind(svc, "HPL", "ESI-DAVE", "PREM-DAVE", "EP-DAVE-120", "PEV-ALICE")
    assert (b["bound"], b["payer_account_id"], b["tariff_id"]) == (
        False,
        "ACC-DAVE",
        "HPL-RES-FLAT",
    )
    assert "BR-11" in b["requirement_ids"]


def test_foreign_pev_at_host_pays_premise_is_billed_to_the_host(svc: ServiceEndpoints) -> None:
    s = charge(svc, "SGE", "ESI-IVY", "PREM-IVY", "EP-IVY-120", "PEV-ALICE", ["0.25"] * 4)
    assert (s.binding["payer_account_id"], s.binding["tariff_id"]) == ("ACC-IVY", "SGE-RES-FLAT")
    assert total(session_lines(svc, "SGE", "ACC-IVY", s.session_id)) == D("0.14")


SITES = {
    "PREM-MALL": ("ESI-MALL", "ACC-MALL", True),
    "PREM-APTS": ("ESI-APTS", "ACC-APTS", True),
    "PREM-WORKS": ("ESI-WORKS", "ACC-WORKS", False),
}


@pytest.mark.parametrize("premise", sorted(SITES))
@pytest.mark.parametrize(
    ("arrangement", "payer", "tariff", "incentive", "amount"),
    [
        # 2 kWh on a weekend morning: site HPL-COM-FLAT 0.13 → 0.26
        ("HOST", "site", "HPL-COM-FLAT", False, "0.26"),
        # the programme tariff: weekend off-peak 0.06 → 0.12
        ("DIRECT", "ACC-ALICE", "HPL-PEV-TOU", True, "0.12"),
        # the guest tariff HPL-GUEST 0.22 → 0.44
        ("GUEST", "ACC-ALICE", "HPL-GUEST", False, "0.44"),
    ],
)
def test_sc6_each_site_kind_and_portal_arrangement(
    svc: ServiceEndpoints,
    premise: str,
    arrangement: str,
    payer: str,
    tariff: str,
    incentive: bool,
    amount: str,
) -> None:
    esi, site_account, revenue_meter = SITES[premise]
    payer = site_account if payer == "site" else payer
    portal = f"EP-{premise.removeprefix('PREM-')}-{arrangement}"
    next_local(svc, 10, 0, weekday=False)
    s = charge(svc, "HPL", esi, premise, portal, "PEV-ALICE", ["0.25"] * 8)
    b = s.binding
    assert (b["scenario"], b["payer_account_id"], b["tariff_id"], b["incentive"]) == (
        "SC-6",
        payer,
        tariff,
        incentive,
    )
    lines = session_lines(svc, "HPL", payer, s.session_id)
    assert total([x for x in lines if x["kind"] == "charge"]) == D(amount)
    netted = [
        x for x in session_lines(svc, "HPL", site_account, s.session_id) if x["kind"] == "netting"
    ]
    assert bool(netted) == (revenue_meter and payer != site_account)


@pytest.mark.parametrize(
    ("arrangement", "payer", "tariff", "option"),
    [
        ("HOST", "ACC-PLAZA", "SGE-COM-FLAT", None),
        ("DIRECT", "ACC-ALICE", "HPL-PEV-TOU", "home_rate"),
        ("GUEST", "ACC-ALICE", "SGE-GUEST", "guest_rate"),
    ],
)
def test_sc6_foreign_pev_at_public_site(
    svc: ServiceEndpoints, arrangement: str, payer: str, tariff: str, option: str | None
) -> None:
    s = charge(
        svc, "SGE", "ESI-PLAZA", "PREM-PLAZA", f"EP-PLAZA-{arrangement}", "PEV-ALICE", ["1.0"]
    )
    b = s.binding
    assert (b["scenario"], b["payer_account_id"], b["tariff_id"]) == ("SC-6", payer, tariff)
    assert (b["roaming"] or {}).get("option") == option
    if option is not None:  # posted to the home account
        assert session_lines(svc, "HPL", "ACC-ALICE", s.session_id)


def test_statement_totals_add_up_and_cover_the_period(svc: ServiceEndpoints) -> None:
    st = statement(svc, "HPL", "ACC-ALICE")
    assert D(st["total_amount"]) == total(st["line_items"])
    assert sum(D(v) for v in st["by_kind"].values()) == D(st["total_amount"])
    with svc.client("HPL", as_caller="HPL") as c:
        empty = get(
            c,
            "/accounts/ACC-ALICE/statement",
            start="2020-01-01T00:00:00Z",
            end="2020-02-01T00:00:00Z",
        )
    assert empty["line_items"] == [] and D(empty["total_amount"]) == 0


def test_br10_every_call_is_in_the_audit_log_refusals_too(svc: ServiceEndpoints) -> None:
    with svc.client("HPL", as_caller="ESI-BOB") as bob:
        bob.get("/sessions/NOPE")
        mine = get(bob, "/audit")
    assert mine and all(e["caller"] == "esi:ESI-BOB" for e in mine)
    assert any(e["path"] == "/sessions/NOPE" and e["status"] == 404 for e in mine)
    with svc.client("HPL") as anonymous:
        assert anonymous.post("/bindings", json={}).status_code == 401
    with svc.client("HPL", as_caller="HPL") as operator:
        log = get(operator, "/audit", limit=10_000)
    assert any(e["caller"] is None and e["status"] == 401 for e in log)
    assert [e["seq"] for e in log] == sorted(e["seq"] for e in log)
