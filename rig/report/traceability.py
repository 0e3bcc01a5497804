"""The traceability matrix: requirement → the plans that cover it → verdict.

An auditor reads a compliance report from the requirements side: for each ID in
the requirement catalogue (``rig/domain/requirements.yaml``, the project's copy of
``requirements.md``), which plans exercised it and how they ended. A plan covers
a requirement when it tags it — in its ``covers:`` list (the results file's
``plan_start.requirements``) or on one of its measurements. The requirement's
verdict is the worst of its plans' verdicts (FAIL < INCONCLUSIVE < MARGINAL < PASS), a
requirement no plan tags is *uncovered*, and an ID that plans tag but the
catalogue lacks gets a row of its own so a typo cannot quietly drop a requirement
from the matrix.

The matrix knows plans only through :class:`Covering` (an ID list and a verdict),
so it can be tested, and reused, without the rest of the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from rig.results.measurements import Verdict

RANK = {Verdict.FAIL: 0, Verdict.INCONCLUSIVE: 1, Verdict.MARGINAL: 2, Verdict.PASS: 3}


def worst(verdicts: Iterable[Verdict]) -> Verdict | None:
    """The lowest-ranked verdict, ``None`` for none at all."""
    return min(verdicts, key=RANK.__getitem__, default=None)


class Covering(Protocol):
    """What the matrix needs of a plan."""

    @property
    def requirements(self) -> Sequence[str]: ...

    @property
    def verdict(self) -> Verdict: ...


P = TypeVar("P", bound=Covering)


@dataclass(frozen=True)
class Covered(Generic[P]):
    """One row: a requirement, its title, the plans covering it."""

    requirement: str
    title: str
    plans: tuple[P, ...]
    in_catalogue: bool = True

    @property
    def verdict(self) -> Verdict | None:
        """Worst verdict of the covering plans; ``None``: uncovered."""
        return worst(p.verdict for p in self.plans)


def trace(plans: Sequence[P], catalogue: Mapping[str, str]) -> tuple[Covered[P], ...]:
    """Every catalogue requirement in catalogue order, then unknown tags in first-seen order."""
    by_requirement: dict[str, list[P]] = {}
    for plan in plans:
        for requirement in dict.fromkeys(plan.requirements):
            by_requirement.setdefault(requirement, []).append(plan)
    rows = [
        Covered(rid, title, tuple(by_requirement.get(rid, ()))) for rid, title in catalogue.items()
    ]
    rows += [
        Covered(rid, "not in the requirement catalogue", tuple(covering), in_catalogue=False)
        for rid, covering in by_requirement.items()
        if rid not in catalogue
    ]
    return tuple(rows)
