"""The grid signals the plan published: the windows the oracle judges by.

A plan's ``dr_event``, ``alm_change`` and ``price`` steps declare grid signals; the
runner publishes each to the premise's utility as its operator
(:mod:`rig.runner.signals`) and keeps a :class:`Publication` of what it posted. The
utility then announces them to the ESI, and the session record keeps what the ESI
heard (``record.grid_events``). A utility that announces a *wrong* window — shifted,
shortened, at another price — would be held only to its own announcement if the
oracle judged what the ESI heard. So the oracle judges what was published:

- **limits** (PG-DLC, PG-ALM): each published event with its declared window and
  limit (:func:`judged_events`). From the ESI's hearing it takes only *when* the ESI
  learnt of it (``received_at``: an EVSE cannot apply a limit it has not heard of,
  :attr:`~rig.record.GridEvent.binding_from`), from the heard event of the same kind
  nearest in time, one with the same limit first (a wrong limit heard is this
  publication heard wrongly, not another event); a publication never heard binds
  from its own start.
  Heard events the plan did not publish (the data set's standing DR events and ALM
  limits) are judged as heard;
- **hourly prices** (PG-RTP): the published prices by tariff, in order
  (:func:`published_prices`); the oracle prices the session from the tariff as it
  stood after them (:func:`~rig.oracle.tariff.as_published`). What the ESI heard of
  prices plays no part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from rig.domain.tariff import HourlyPrice
from rig.record import GridEvent


@dataclass(frozen=True)
class Publication:
    """One grid signal as the runner published it for a plan step.

    ``event`` is the declared window (``received_at`` unset); ``tariff_id`` the
    tariff an hourly price is for.
    """

    event: GridEvent
    tariff_id: str | None = None


def judged_events(published: Sequence[Publication], heard: Sequence[GridEvent]) -> list[GridEvent]:
    """The limiting events to judge: the published ones, then those heard but not published."""
    unmatched = list(dict.fromkeys(heard))
    judged: list[GridEvent] = []
    for publication in published:
        event = publication.event
        if event.kind == "price":
            continue
        same = [h for h in unmatched if h.kind == event.kind]
        if not same:
            judged.append(event)
            continue
        nearest = min(
            same,
            key=lambda h: (
                h.limit_kw != event.limit_kw,
                abs(h.effective_from - event.effective_from),
            ),
        )
        unmatched.remove(nearest)
        judged.append(replace(event, received_at=nearest.received_at))
    return judged + [h for h in unmatched if h.kind != "price"]


def published_prices(published: Sequence[Publication]) -> dict[str, list[HourlyPrice]]:
    """The hourly prices published during the session by tariff, in the order published."""
    prices: dict[str, list[HourlyPrice]] = {}
    for publication in published:
        event = publication.event
        if event.kind == "price" and publication.tariff_id and event.price is not None:
            hour = HourlyPrice(start=event.effective_from, price=event.price)
            prices.setdefault(publication.tariff_id, []).append(hour)
    return prices
