"""A measurement names a requirement only when the session exercised it (traceability)."""

from __future__ import annotations

from tariff_cases import STRADDLE, TARIFFS, facts

from rig.oracle import check_session
from rig.oracle.compare import compare_netting, compare_treatment
from rig.oracle.payer import expected_treatment
from rig.record import BindingAnswer, ServiceRecords, SessionRecord, UtilitySession


def _tags(measurements: list) -> set[str]:  # type: ignore[type-arg]
    return {r for m in measurements for r in m.requirements}


def test_no_netting_due_is_not_sc3_evidence() -> None:
    [none_due] = compare_netting(None, "ACC-HOST-2", [])
    assert none_due.passed and "SC-3" not in none_due.requirements


def test_a_flag_not_due_is_not_br04_evidence() -> None:
    host_pays = facts(guest_charging="host_pays")
    treatment = expected_treatment(host_pays)
    session = UtilitySession("S-1", "SC-2", "ACC-HOST-2", "FLAT-RES", incentive=False)
    answer = BindingAnswer(True, False, "SC-2", "ACC-HOST-2", "FLAT-RES")
    measured = compare_treatment(treatment, session, answer)
    assert all(m.passed for m in measured)
    assert "BR-04" not in _tags(measured)


def test_a_session_without_its_eumd_is_br04_evidence() -> None:
    no_eumd = facts(eumd_available=False)
    treatment = expected_treatment(no_eumd)
    session = UtilitySession(
        "S-1", "BR-04", "ACC-HOST-2", "FLAT-RES", incentive=False, flags=("eumd_unavailable",)
    )
    [flag] = [m for m in compare_treatment(treatment, session, None) if m.name == "session flagged"]
    assert flag.passed and "BR-04" in flag.requirements


def test_a_pev_never_told_anything_is_not_br12_evidence() -> None:
    silent = facts(communication="pev_not_communicating")
    treatment = expected_treatment(silent)
    assert not treatment.bound
    told = [m for m in compare_treatment(treatment, None, None) if "indicated" in m.name]
    assert told and "BR-12" not in _tags(told)


def test_a_host_paying_session_claims_neither_sc3_nor_br04() -> None:
    record = SessionRecord(
        plan_id="sc2",
        facts=facts(guest_charging="host_pays"),
        intervals=list(STRADDLE),
        binding=BindingAnswer(True, False, "SC-2", "ACC-HOST-2", "FLAT-RES"),
        services=ServiceRecords(
            session=UtilitySession("S-1", "SC-2", "ACC-HOST-2", "FLAT-RES", incentive=False)
        ),
    )
    tags = _tags(check_session(record, TARIFFS))
    assert "SC-2" in tags and not {"SC-3", "BR-04"} & tags
