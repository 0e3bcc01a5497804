"""Generated inputs for the billing, rules and tariff code, and what it answers to them.

Run as a script (``python probe.py SEED``) with a mutated tree first on ``PYTHONPATH``,
it prints one JSON list: the answer (``repr``, or the exception's type and message)
of :func:`~rig.services.tariffs.price_session`, :func:`~rig.services.tariffs.price_spans`,
:func:`~rig.services.tariffs.settle_roaming`, :func:`~rig.services.rules.decide`,
:func:`~rig.services.billing.session_lines` and
:func:`~rig.services.billing.roaming_charge` for a few hundred random cases drawn
from ``SEED`` — every tariff of the fixture data sets, sessions starting any minute of
2026 (weekends, holidays and DST days included), intervals of 1 s to 15 min, energies
to the Wh and below (one case in ten with a broken interval: empty, negative or
overlapping), every combination of the decision table's facts — plus the
default values of the decision's fact types. A surviving mutant whose list equals
the original's is classified *equivalent on these inputs* (:mod:`.ast_mutants`).
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from rig.domain.vocabulary import (
    Communication,
    GuestCharging,
    PortalArrangement,
    PremiseKind,
    RoamingOption,
)
from rig.services import billing, decision, rules, tariffs
from rig.services.api_models import BindingResponse, RoamingTermsOut
from rig.services.dataset import load_dataset

CASES = 300
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "utilities"


def _answer(call: Callable[..., Any], *args: Any) -> str:
    try:
        return repr(call(*args))
    except Exception as error:  # a mutant may raise anything; its kind is the answer
        return f"{type(error).__name__}: {error}"


def _intervals(rng: random.Random) -> list[tariffs.MeteredInterval]:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(365 * 1440))
    out = []
    for _ in range(rng.randint(1, 8)):
        length = rng.choice([900, 900, 300, 60, rng.randint(1, 900)])
        kwh = Decimal(rng.randint(0, 4000)) / rng.choice([Decimal(1000), Decimal(1000000)])
        out.append(tariffs.MeteredInterval(start, start + timedelta(seconds=length), kwh))
        start += timedelta(seconds=length)
    if rng.random() < 0.1:  # one broken interval: the code under test must refuse it
        i = rng.randrange(len(out))
        bad = out[i]
        out[i] = rng.choice(
            [
                tariffs.MeteredInterval(bad.start, bad.start, bad.kwh),
                tariffs.MeteredInterval(bad.start, bad.end, -bad.kwh - Decimal("0.001")),
                tariffs.MeteredInterval(bad.start - timedelta(seconds=30), bad.end, bad.kwh),
            ]
        )
    return out


def _facts(rng: random.Random, ids: list[str]) -> tuple[Any, Any, Any]:
    utilities = ["U1", "U2"]
    record = None
    if rng.random() < 0.8:
        record = decision.PevRecord(
            pev_id="PEV-1",
            home_utility_id=rng.choice(utilities),
            owner_account_id=rng.choice(["ACC-OWNER", "ACC-HOST"]),
            program_tariff_id=rng.choice([None, ids[2], ids[3], ids[4]]),
            validated=rng.random() < 0.9,
        )
    pev = decision.PevFacts(pev_id=rng.choice([None, *["PEV-1"] * 5]), record=record)
    utility = decision.UtilityFacts(rng.choice(utilities), ids[0], ids[-1])
    premise = decision.PremiseFacts(
        premise_id="PREM-1",
        account_id=rng.choice(["ACC-HOST", "ACC-OWNER"]),
        default_tariff_id=ids[1],
        kind=rng.choice(list(PremiseKind)),
        utility=utility,
        guest_charging=rng.choice(list(GuestCharging)),
        portal_arrangement=rng.choice(list(PortalArrangement)),
        has_revenue_meter=rng.random() < 0.5,
    )
    conditions = decision.SessionConditions(
        communication=rng.choice([Communication.ESTABLISHED] * 4 + list(Communication)),
        eumd_available=rng.random() < 0.9,
        roaming_option=rng.choice(list(RoamingOption)),
    )
    return pev, premise, conditions


def _binding(rng: random.Random, ids: list[str]) -> BindingResponse:
    roaming = None
    if rng.random() < 0.4:
        roaming = RoamingTermsOut(
            option=rng.choice(list(RoamingOption)),
            home_utility_id="U2",
            roaming_utility_id="U1",
            settlement_tariff_id=rng.choice(ids),
        )
    return BindingResponse.model_construct(
        pev_id=rng.choice([None, "PEV-1"]),
        payer_account_id="ACC-1",
        tariff_id=rng.choice(ids),
        net_from_premise_bill=rng.random() < 0.3,
        roaming=roaming,
    )


def _charge(bound: BindingResponse, tariff: Any, intervals: list[Any]) -> Any:
    settlement = tariffs.settle_roaming(tariff, tariff, intervals)
    return billing.roaming_charge(
        bound, session_id="S-1", premise_id="PREM-1", settlement=settlement
    )


def answers(seed: int) -> list[str]:
    known: dict[str, Any] = {}
    for path in sorted(FIXTURES.glob("*.yaml")):
        known.update(load_dataset(path).tariffs)
    ids = sorted(known)
    rng = random.Random(seed)
    out = [
        repr(decision.SessionConditions()),
        repr(decision.PevRecord("P", "U", "A", None)),
        repr(decision.PremiseFacts("P", "A", "T", PremiseKind.RESIDENTIAL, _facts(rng, ids)[1])),
    ]
    for _ in range(CASES):
        tariff, other = known[rng.choice(ids)], known[rng.choice(ids)]
        intervals = _intervals(rng)
        start, end = intervals[0].start, intervals[-1].end + timedelta(hours=rng.randint(0, 30))
        out.append(_answer(tariffs.price_session, tariff, intervals))
        out.append(_answer(tariffs.price_spans, tariff, start, end))
        out.append(_answer(tariffs.settle_roaming, tariff, other, intervals))
        out.append(_answer(rules.decide, *_facts(rng, ids)))
        bound = _binding(rng, ids)
        out.append(_answer(billing.session_lines, bound, "ACC-H", other, known, intervals))
        out.append(_answer(_charge, bound, tariff, intervals))
    return out


if __name__ == "__main__":
    json.dump(answers(int(sys.argv[1]) if len(sys.argv) > 1 else 1), sys.stdout)
