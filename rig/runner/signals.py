"""The grid-signal steps: publish DR events, ALM limits and hourly prices; hear them back.

The runner publishes to the premise's utility as its operator; the ESI polls its
utility's signals (:func:`sync_signals`), the EVSE applies the limits at their times
and the session record keeps each as a grid event.
"""

from __future__ import annotations

import itertools
import math
from datetime import timedelta
from decimal import Decimal
from typing import Literal

from rig.clock import to_datetime
from rig.plans import steps as s
from rig.plans.units import Current, Power
from rig.record import GridEvent
from rig.runner.acting import Unsupported, act
from rig.runner.actors.evse import GridLimit
from rig.runner.judging.published import Publication
from rig.runner.world import World

#: The utility's signal kinds as the session record names grid events.
_EVENT_KIND: dict[str, Literal["dr", "price", "alm"]] = {
    "dlc": "dr",
    "price": "price",
    "alm": "alm",
}


_PUBLICATIONS = itertools.count()
"""Numbers each publication of a session's signals apart (whatever the ESI has heard of
them yet: a 2030.5 ESI hears at the server's pollRate)."""


def sync_signals(world: World) -> None:
    """The ESI polls its utility's signals; the EVSE takes the limits, the record the events."""
    now = world.clock.now()
    for signal in world.esi.poll_signals():
        if signal in world.signals:  # heard again at a later poll: the same signal
            continue
        world.signals.append(signal)
        start = signal.effective_from.timestamp()
        end = signal.effective_until.timestamp() if signal.effective_until else None
        kind = _EVENT_KIND[signal.kind]
        world.record.grid_events.append(
            GridEvent(
                kind=kind,
                effective_from=signal.effective_from,
                effective_until=signal.effective_until,
                limit_kw=signal.limit_kw,
                price=signal.price,
                received_at=to_datetime(now),
            )
        )
        if signal.kind != "price" and signal.limit_kw is not None:
            amps = world.evse.amps(float(signal.limit_kw))
            world.evse.add_limit(GridLimit(signal.kind, start, end, amps))


def _kw(world: World, limit: Current | Power) -> Decimal:
    kw = limit.amps * world.evse.volts / 1000.0 if isinstance(limit, Current) else limit.kw
    return Decimal(str(round(kw, 6)))


def _publish(world: World, signals: list[dict[str, object]], declared: list[Publication]) -> None:
    """Post ``signals``; keep what they ``declared``, which the oracle judges by."""
    world.published += declared
    operator = world.operator(world.place.utility.id)
    try:
        for signal in signals:
            operator.post("/signals", signal)
    finally:
        operator.close()
    sync_signals(world)


def publish_limit(
    world: World, kind: str, after_s: float, duration_s: float | None, limit: Current | Power
) -> str:
    now = world.clock.now()
    start = to_datetime(now + after_s)
    until = start + timedelta(seconds=duration_s) if duration_s is not None else None
    kw = _kw(world, limit)
    signal: dict[str, object] = {
        "signal_id": f"{world.esi.session_id}-{kind}-{next(_PUBLICATIONS)}",
        "kind": kind,
        "premise_id": world.place.premise.id,
        "effective_from": start.isoformat(),
        "limit_kw": str(kw),
    }
    if until is not None:
        signal["effective_until"] = until.isoformat()
    declared = GridEvent(
        kind=_EVENT_KIND[kind], effective_from=start, effective_until=until, limit_kw=kw
    )
    _publish(world, [signal], [Publication(declared)])
    return act(world, f"{kind} published: {limit} from {start.isoformat()}")


def publish_prices(world: World, price: s.PriceArgs) -> str:
    tariff = world.record.binding.tariff_id if world.record.binding else None
    if tariff is None:
        raise Unsupported("price: no binding, so no tariff to publish hourly prices for")
    hour = 3600.0
    first = to_datetime(math.floor((world.clock.now() + price.after.seconds) / hour) * hour)
    # One ID per publication, as for limits: a later step may re-publish an hour (PG-RTP).
    published = next(_PUBLICATIONS)
    hours = [
        GridEvent(
            kind="price",
            effective_from=first + timedelta(hours=hour),
            effective_until=first + timedelta(hours=hour + 1),
            price=value,
        )
        for hour, value in enumerate(price.per_kwh)
    ]
    signals: list[dict[str, object]] = [
        {
            "signal_id": f"{world.esi.session_id}-price-{published}-{hour}",
            "kind": "price",
            "tariff_id": tariff,
            "effective_from": event.effective_from.isoformat(),
            "effective_until": (event.effective_from + timedelta(hours=1)).isoformat(),
            "price": str(event.price),
        }
        for hour, event in enumerate(hours)
    ]
    _publish(world, signals, [Publication(event, tariff) for event in hours])
    return f"{len(signals)} hourly price(s) published for {tariff}"
