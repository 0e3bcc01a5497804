"""BR-01 through validation: a PEV whose home utility cannot validate it (``validates: false``).

The data set ``fixtures/utilities/edge_cases.yaml`` gives PEV-LEO (HPL) a credential
that fails validation. At home (HPL asks its own books) and abroad (SGE asks the
clearinghouse) it binds nowhere: the premise pays its default rate, no incentive
(docs/rules.md, row 5). The runner's facts for the oracle read the same flag.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rig.clock import VirtualClock
from rig.oracle.payer import expected_treatment
from rig.plans import load_plan
from rig.runner.facts import initial_facts, place_of
from rig.services.dataset import load_dataset
from rig.services.endpoints import ServiceEndpoints
from rig.services.testing import running_services
from tests.services.helpers import T0, bind

ROOT = Path(__file__).resolve().parents[2]
EDGE = ROOT / "fixtures" / "utilities" / "edge_cases.yaml"


@pytest.fixture(scope="module")
def edge() -> Iterator[ServiceEndpoints]:
    with running_services(EDGE, clock=VirtualClock(T0)) as endpoints:
        yield endpoints


def test_at_home_a_pev_failing_validation_is_not_bound_and_the_premise_pays(
    edge: ServiceEndpoints,
) -> None:
    b = bind(edge, "HPL", "ESI-LEO", "PREM-LEO", "EP-LEO-240", "PEV-LEO")
    assert (b["bound"], b["incentive"]) == (False, False)
    assert (b["payer_account_id"], b["tariff_id"]) == ("ACC-LEO", "HPL-RES-FLAT")
    assert "BR-01" in b["requirement_ids"] and "validation" in b["reason"]


def test_abroad_the_clearinghouse_answers_validation_failed(edge: ServiceEndpoints) -> None:
    b = bind(edge, "SGE", "ESI-HANK", "PREM-HANK", "EP-HANK-240", "PEV-LEO")
    assert (b["bound"], b["payer_account_id"], b["tariff_id"]) == (
        False,
        "ACC-HANK",
        "SGE-RES-FLAT",
    )
    assert "BR-01" in b["requirement_ids"] and "validation" in b["reason"]


def test_the_oracle_expects_br01_from_the_data_set_flag() -> None:
    plan = load_plan(ROOT / "test_plans" / "br01_validation_failed.yaml")
    facts = initial_facts(plan, place_of(plan, load_dataset(EDGE)))
    assert not facts.pev.validated
    treatment = expected_treatment(facts)
    assert (treatment.rule, treatment.payer_account_id, treatment.incentive) == (
        "BR-01",
        "ACC-LEO",
        False,
    )
