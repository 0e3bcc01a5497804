"""Each caller has its own credential and acts only within its rights."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from rig.services.endpoints import ServiceEndpoints
from tests.services.helpers import WIDE, bind, charge, statement

BIND_ALICE = {
    "premise_id": "PREM-ALICE",
    "esi_id": "ESI-ALICE",
    "portal_id": "EP-ALICE-240",
    "pev_id": "PEV-ALICE",
}


def _post(svc: ServiceEndpoints, service: str, caller: str | None, path: str, body: Any) -> Any:
    with svc.client(service, as_caller=caller) as c:
        return c.post(path, json=body)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token-at-all-xxxxxxxx"},
        {"Authorization": "Basic ZXNpOnBhc3M="},
        {"Authorization": "Bearer"},
    ],
)
def test_missing_or_unknown_credential_is_401(
    svc: ServiceEndpoints, headers: dict[str, str]
) -> None:
    for service, path in (("HPL", "/bindings"), ("clearinghouse", "/pev-validations")):
        r = httpx.post(svc.urls[service] + path, json=BIND_ALICE, headers=headers)
        assert r.status_code == 401, r.text
        assert "credential" in r.json()["detail"]


def test_an_esi_binds_only_for_its_own_premise_and_as_itself(svc: ServiceEndpoints) -> None:
    r = _post(svc, "HPL", "ESI-BOB", "/bindings", BIND_ALICE)
    assert r.status_code == 403 and "PREM-BOB" in r.json()["detail"]
    r = _post(svc, "HPL", "ESI-ALICE", "/bindings", dict(BIND_ALICE, esi_id="ESI-BOB"))
    assert r.status_code == 403
    # an ESI of the other utility is unknown here
    assert _post(svc, "HPL", "ESI-HANK", "/bindings", BIND_ALICE).status_code == 401
    # a utility or the clearinghouse is not an ESI
    assert _post(svc, "HPL", "HPL", "/bindings", BIND_ALICE).status_code == 403
    assert _post(svc, "HPL", "CH", "/bindings", BIND_ALICE).status_code == 403


def test_an_esi_reports_and_reads_only_for_its_own_premise(svc: ServiceEndpoints) -> None:
    s = charge(svc, "HPL", "ESI-BOB", "PREM-BOB", "EP-BOB-240", "PEV-ALICE", ["0.5"])
    body = {"binding_id": s.binding["binding_id"], "premise_id": "PREM-BOB", "intervals": []}
    r = _post(svc, "HPL", "ESI-CAROL", f"/sessions/{s.session_id}/intervals", body)
    assert r.status_code == 403
    r = _post(
        svc, "HPL", "ESI-CAROL", "/sessions/X-1/intervals", dict(body, premise_id="PREM-CAROL")
    )
    assert r.status_code == 403 and "not at premise" in r.json()["detail"]
    with svc.client("HPL", as_caller="ESI-CAROL") as carol:
        assert carol.get(f"/sessions/{s.session_id}").status_code == 403
        assert carol.get("/accounts/ACC-BOB/statement", params=WIDE).status_code == 403
        assert carol.get("/accounts/ACC-CAROL/statement", params=WIDE).status_code == 200
        assert carol.get("/signals", params={"premise_id": "PREM-BOB"}).status_code == 403
    with svc.client("HPL", as_caller="ESI-BOB") as bob:
        assert bob.get(f"/sessions/{s.session_id}").status_code == 200


def test_only_the_utility_itself_publishes_signals(svc: ServiceEndpoints) -> None:
    signal = {
        "signal_id": "ALM-SEC-1",
        "kind": "alm",
        "premise_id": "PREM-ALICE",
        "effective_from": "2026-03-02T18:00:00Z",
        "limit_kw": "3.0",
    }
    assert _post(svc, "HPL", "ESI-ALICE", "/signals", signal).status_code == 403
    assert _post(svc, "HPL", "CH", "/signals", signal).status_code == 403
    assert _post(svc, "SGE", "SGE", "/signals", signal).status_code == 404  # not SGE's premise


def test_a_utility_posts_to_the_clearinghouse_only_as_itself(svc: ServiceEndpoints) -> None:
    charge_body = _roaming_charge("HPL:forged", "SGE", "HPL", "PEV-ALICE", "ACC-ALICE")
    r = _post(svc, "clearinghouse", "HPL", "/roaming-charges", charge_body)
    assert r.status_code == 403 and "only as itself" in r.json()["detail"]
    # and only the clearinghouse posts roaming charges to a home utility
    assert _post(svc, "HPL", "SGE", "/roaming/charges", charge_body).status_code == 401
    assert _post(svc, "HPL", "ESI-ALICE", "/roaming/charges", charge_body).status_code == 403
    with svc.client("clearinghouse", as_caller="HPL") as c:
        r = c.get(
            "/settlements", params={"roaming_utility_id": "SGE", "home_utility_id": "SGE", **WIDE}
        )
    assert r.status_code == 403


def test_an_operator_sees_every_call_and_an_esi_only_its_own(svc: ServiceEndpoints) -> None:
    bind(svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE")
    with svc.client("HPL", as_caller="ESI-ALICE") as alice:
        own = alice.get("/audit").json()
    assert {e["caller"] for e in own} == {"esi:ESI-ALICE"}
    with svc.client("HPL", as_caller="HPL") as operator:
        everyone = {e["caller"] for e in operator.get("/audit").json()}
    assert {"esi:ESI-ALICE", "esi:ESI-BOB"} <= everyone


def _roaming_charge(charge_id: str, roaming: str, home: str, pev: str, account: str) -> Any:
    return {
        "charge_id": charge_id,
        "roaming_utility_id": roaming,
        "home_utility_id": home,
        "session_id": charge_id.split(":", 1)[1],
        "pev_id": pev,
        "premise_id": "PREM-HANK" if roaming == "SGE" else "PREM-ALICE",
        "account_id": account,
        "option": "guest_rate",
        "tariff_id": f"{roaming}-GUEST",
        "settlement_tariff_id": f"{roaming}-SETTLE",
        "currency": "USD",
        "start": "2026-03-02T18:00:00Z",
        "end": "2026-03-02T18:15:00Z",
        "kwh": "1",
        "customer_amount": "0.25",
        "settlement_amount": "0.10",
        "difference": "0.15",
        "lines": [
            {
                "start": "2026-03-02T18:00:00Z",
                "end": "2026-03-02T18:15:00Z",
                "kwh": "1",
                "rate_period": "flat",
                "rate": "0.25",
                "amount": "0.25",
            }
        ],
    }


def test_a_charge_id_belongs_to_the_utility_that_first_posted_it(svc: ServiceEndpoints) -> None:
    """HPL re-posting SGE's charge ID as its own must not replace SGE's charge (issue 11)."""
    first = _roaming_charge("SGE:S-first", "SGE", "HPL", "PEV-ALICE", "ACC-ALICE")
    _validate(svc, "SGE", "PEV-ALICE", "PREM-HANK")
    _validate(svc, "HPL", "PEV-HANK", "PREM-ALICE")  # so HPL's forgery is refused as a 409
    r = _post(svc, "clearinghouse", "SGE", "/roaming-charges", first)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "recorded"
    forged = _roaming_charge("SGE:S-first", "HPL", "SGE", "PEV-HANK", "ACC-HANK")
    r = _post(svc, "clearinghouse", "HPL", "/roaming-charges", forged)
    assert r.status_code == 409, r.text
    assert "belongs to 'SGE'" in r.json()["detail"]
    with svc.client("clearinghouse", as_caller="SGE") as c:
        kept = c.get("/roaming-charges/SGE:S-first")
    assert kept.status_code == 200, kept.text
    assert kept.json()["charge"]["roaming_utility_id"] == "SGE"
    assert kept.json()["charge"]["pev_id"] == "PEV-ALICE"


def _validate(svc: ServiceEndpoints, utility: str, pev: str, premise: str) -> None:
    """What a roaming utility does at binding: ask the clearinghouse about a foreign PEV."""
    r = _post(
        svc, "clearinghouse", utility, "/pev-validations", {"pev_id": pev, "premise_id": premise}
    )
    assert r.status_code == 200 and r.json()["found"], r.text


def test_a_charge_for_a_session_never_validated_is_refused_and_changes_nothing(
    fresh: ServiceEndpoints,
) -> None:
    """A roaming charge must reference a PEV the clearinghouse validated for that utility at
    that premise (what binding an SC-4 session asks); otherwise 422, nothing recorded,
    forwarded or settled (issue 11: it used to be recorded and forwarded)."""
    body = _roaming_charge("SGE:S-unbound", "SGE", "HPL", "PEV-ALICE", "ACC-ALICE")
    r = _post(fresh, "clearinghouse", "SGE", "/roaming-charges", body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == (
        "no roaming binding for this charge: the clearinghouse never validated PEV "
        "'PEV-ALICE' for 'SGE' at premise 'PREM-HANK'"
    )
    # validated, but for another premise, or by another utility: still no binding
    _validate(fresh, "SGE", "PEV-ALICE", "PREM-ALICE")
    _validate(fresh, "HPL", "PEV-ALICE", "PREM-HANK")
    assert _post(fresh, "clearinghouse", "SGE", "/roaming-charges", body).status_code == 422
    with fresh.client("clearinghouse", as_caller="SGE") as c:
        assert c.get("/roaming-charges/SGE:S-unbound").status_code == 404
        settled = c.get(
            "/settlements", params={"roaming_utility_id": "SGE", "home_utility_id": "HPL", **WIDE}
        ).json()
    assert settled["charges"] == [] and settled["sessions"] == 0
    assert _roaming_lines(fresh) == []
    # once SGE has validated Alice's PEV at Hank's premise, the same charge is taken
    _validate(fresh, "SGE", "PEV-ALICE", "PREM-HANK")
    r = _post(fresh, "clearinghouse", "SGE", "/roaming-charges", body)
    assert r.status_code == 200 and r.json()["status"] == "recorded", r.text
    assert len(_roaming_lines(fresh)) == 1  # forwarded to Alice's home account: the check sees it


def _roaming_lines(svc: ServiceEndpoints) -> list[Any]:
    """Roaming lines on Alice's account at her home utility (forwarded SC-4 charges)."""
    return [x for x in statement(svc, "HPL", "ACC-ALICE")["line_items"] if x["kind"] == "roaming"]
