"""What a pin sees, and how a pin's measurement is named and tagged.

A *pin* compares one value a plan check writes down with what the session
recorded. Each check type's pins are one function, ``(check, seen) → measurements``,
registered with :func:`pin` in its module's ``PINS``. A pin's measurement is named
``<check key>: <what>`` and tagged with the check type's declared ``evidences`` that
the plan covers (:func:`equal`, :func:`tagged`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rig.esi.audit import AuditEntry
from rig.plans.checks import PlanCheck
from rig.record import SessionRecord
from rig.results.measurements import Limits, Measurement
from rig.runner.actors.pev import Told
from rig.runner.judging.published import Publication


@dataclass
class Evidence:
    """What the runner saw besides the session record."""

    binding_state: str
    refusal: str
    pev_id: str | None
    """The PEV ID the ESI reported (None when the PEV never told it)."""
    told: Told
    interval_s: int
    esi_audit: list[AuditEntry]
    utility_audit: list[dict[str, Any]] | None
    raw_session: dict[str, Any] | None
    energy_kwh: float | None
    grant_delay_s: float = 0.0
    protocol: str = "rest"
    """The protocol the ESI spoke to its utility (``rest`` or ``ieee2030.5``)."""
    published: list[Publication] = field(default_factory=list)
    """The grid signals the plan's steps published (DR events, ALM limits, hourly prices)."""


@dataclass(frozen=True)
class Seen:
    """Everything a pin compares with: the record, the evidence, what the plan covers."""

    record: SessionRecord
    evidence: Evidence
    covers: frozenset[str]

    def tags(self, check: PlanCheck) -> tuple[str, ...]:
        """The requirement IDs ``check`` evidences that the plan covers."""
        return tuple(r for r in check.evidences if r in self.covers)


Pin = Callable[[PlanCheck, Seen], list[Measurement]]
C = TypeVar("C", bound=PlanCheck)


def pin(
    check: type[C], measure: Callable[[C, Seen], list[Measurement]]
) -> tuple[type[PlanCheck], Pin]:
    """``measure`` as the pins of check type ``check`` (an entry of a ``PINS`` table)."""

    def pinned(item: PlanCheck, seen: Seen) -> list[Measurement]:
        assert isinstance(item, check)
        return measure(item, seen)

    return check, pinned


def equal(
    check: PlanCheck, seen: Seen, name: str, measured: Any, expected: Any, what: str
) -> Measurement:
    """``<key>: <name>``, passing when equal; a failure reads ``<what> <measured>, expected …``."""
    return Measurement.equals(
        f"{check.key()}: {name}",
        measured,
        expected,
        requirements=seen.tags(check),
        detail=f"{what} {measured}, expected {expected}",
        answers=check.kind,
    )


def within(
    check: PlanCheck,
    seen: Seen,
    name: str,
    value: float | None,
    unit: str,
    limits: Limits,
    detail: str = "",
) -> Measurement:
    """``<key>: <name>``, a number judged against ``limits``."""
    return Measurement.within(
        f"{check.key()}: {name}",
        value,
        unit,
        limits,
        requirements=seen.tags(check),
        detail=detail,
        answers=check.kind,
    )


def none_of(check: PlanCheck, seen: Seen, name: str, problems: list[str], unit: str) -> Measurement:
    """``<key>: <name>``, a count of problems that must be zero."""
    return Measurement.none_of(
        f"{check.key()}: {name}",
        problems,
        unit,
        requirements=seen.tags(check),
        answers=check.kind,
    )
