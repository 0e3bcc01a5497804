"""Defects as configuration: the ``defects:`` section of a simulated bench file.

A test rig must show that its verdicts can fail. This section makes a simulated
bench *wrong on purpose*, in one of the ways a real bench or back office goes
wrong, so that a plan run over it should fail — the mutation self-test
(``make mutate``, ``benchmarks/mutation/``) runs the plan suite over each one::

    defects:                     # a defect-injected bench: never a calibration bench
      eumd_bias_pct: 1.2         # the EUMD reads 1.2 % high, beyond its class
      contactor_close_s: 8       # the EVSE's contactor closes 8 s late
      reply_lost: {count: 1}     # the utility stores an interval batch, its reply is lost

Every defect acts where the fault would be in the world, never in the oracle:

* **in the simulators, at the wire** (:mod:`drivers.sim.model`): a meter gain error
  beyond its class (``eumd_bias_pct``, ``premise_bias_pct``: added to the
  ``simulation`` section's in-class bias, and — unlike that bias — not refused when
  out of class), a slow contactor (``contactor_close_s``, ``contactor_open_s``), a
  slow load (``load_lag_s``), a PWM off the commanded duty (``duty_offset_pct``), pilot
  levels off the J1772 values (``pilot_level_offset_v``);
* **in the services** (:class:`rig.services.faults.ServiceDefects`, behind every
  utility's front door): interval records lost or counted twice
  (``lost_intervals``, ``duplicated_intervals``: the ordinals, from 1, of the
  distinct intervals a utility receives), and a reply lost although the write
  succeeded (``reply_lost``).

A bench with this section is recorded as defect-injected: the results file's
``run`` record names every defect (``BenchIdentity.defects``) and the report says
so in its run header. Only a simulated bench may have it. Outside it, the bench
file keeps refusing an out-of-class ``simulation.eumd.bias_pct``.
"""

from __future__ import annotations

from dataclasses import replace

from pydantic import Field

from drivers.sim.model import ModelConfig
from rig.bench.transports import Strict
from rig.services.faults import LostReply, ServiceDefects


class ReplyLost(Strict):
    """A service stores what it was sent, then its reply never reaches the caller."""

    count: int = Field(default=1, ge=1, le=100, description="how many replies are lost")
    path: str = Field(
        default="/intervals", min_length=1, description="requests whose path contains this"
    )
    method: str = Field(default="POST", description="and whose HTTP method is this")


class Defects(Strict):
    """What is wrong with this bench on purpose (see the module docstring)."""

    eumd_bias_pct: float = Field(
        default=0.0, ge=-50, le=50, description="gain error added to the EUMD, % of reading"
    )
    premise_bias_pct: float = Field(
        default=0.0, ge=-50, le=50, description="gain error added to the premise meter"
    )
    load_lag_s: float | None = Field(
        default=None, ge=0, le=600, description="the load follows an ampacity change this late"
    )
    contactor_close_s: float | None = Field(
        default=None, ge=0, le=600, description="the contactor closes this long after state C"
    )
    contactor_open_s: float | None = Field(
        default=None, ge=0, le=600, description="the contactor opens this long after leaving C"
    )
    duty_offset_pct: float = Field(
        default=0.0, ge=-20, le=20, description="the PWM is this far off the commanded duty"
    )
    pilot_level_offset_v: float = Field(
        default=0.0, ge=-6, le=6, description="the pilot's high level is this far off"
    )
    lost_intervals: tuple[int, ...] = Field(
        default=(), description="ordinals (from 1) of the intervals a utility drops"
    )
    duplicated_intervals: tuple[int, ...] = Field(
        default=(), description="ordinals (from 1) of the intervals a utility counts twice"
    )
    reply_lost: ReplyLost | None = None

    def names(self) -> tuple[str, ...]:
        """Each injected defect as ``field=value``, for the results and the report."""
        defaults = Defects()
        return tuple(
            f"{name}={_shown(value)}"
            for name, value in self
            if value != getattr(defaults, name) and value is not None
        )

    def model(self, config: ModelConfig) -> ModelConfig:
        """The physical model with the simulator-side defects in it."""
        premise = config.premise_meter
        if premise is not None:
            premise = replace(premise, defect_bias_pct=self.premise_bias_pct)
        return replace(
            config,
            eumd=replace(config.eumd, defect_bias_pct=self.eumd_bias_pct),
            premise_meter=premise,
            duty_offset_pct=self.duty_offset_pct,
            pilot_level_offset_v=self.pilot_level_offset_v,
            load_follow_s=_or(self.load_lag_s, config.load_follow_s),
            contactor_close_s=_or(self.contactor_close_s, config.contactor_close_s),
            contactor_open_s=_or(self.contactor_open_s, config.contactor_open_s),
        )

    def services(self) -> ServiceDefects:
        """The service-side defects, for every utility's front door."""
        lost = self.reply_lost
        return ServiceDefects(
            lost_intervals=frozenset(self.lost_intervals),
            duplicated_intervals=frozenset(self.duplicated_intervals),
            lost_reply=LostReply(lost.count, lost.path, lost.method) if lost else None,
        )


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _shown(value: object) -> str:
    if isinstance(value, Strict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value) + "}"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)
