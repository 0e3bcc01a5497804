"""What an oracle measurement answers: a plan check, or the step that set a limit.

The plans (:mod:`rig.plans.checks`, :mod:`rig.plans.steps`) and the oracle
(:mod:`rig.oracle`) never import each other; they meet here. Each check type
declares the :class:`CheckKind` it is (``Payer.kind``), and each oracle measurement
carries the kind of check it answers (``Measurement.answers``), so the runner files a
measurement with its check by this declared link alone, as OpenHTF declares a
measurement on the phase that takes it. The values are the plan's YAML keys.

The grid-limit judgements answer no check but the step that published the limit
(:class:`StepKind`): a failing DR limit is shown with its ``dr_event`` step.
"""

from __future__ import annotations

from enum import StrEnum


class CheckKind(StrEnum):
    """A kind of plan check; the value is its YAML key."""

    PAYER = "payer"
    TARIFF = "tariff"
    INCENTIVE = "incentive"
    AMOUNT = "amount"
    PREMISE_NETTING = "premise_netting"
    BINDING = "binding"
    GRANT = "grant"
    PEV_NOTIFIED = "pev_notified"
    CLEARINGHOUSE = "clearinghouse"
    SETTLEMENT = "settlement"
    INTERVALS = "intervals"
    SESSION_FLAGGED = "session_flagged"
    AUDIT_LOG = "audit_log"
    ELECTRICAL = "electrical"
    ENERGY_AGREEMENT = "energy_agreement"
    ENERGY = "energy"


class StepKind(StrEnum):
    """A plan step the oracle judges the session against; the value is its YAML key."""

    DR_EVENT = "dr_event"
    ALM_CHANGE = "alm_change"


#: What a measurement may answer.
Answers = CheckKind | StepKind
