"""PG-RTP: the tariff as it stood, with the hourly prices published during the session.

Published prices are tariff data like any other (``hourly_prices``); the oracle
prices the session from the tariff as it stood, so it needs them too. PG-RTP is "a
price per hour, published ahead": the **latest publication for an hour wins**, over
the data set's price for that hour and over an earlier publication
(``docs/oracle.md``). The caller gives each publication once, in the order they
were published (a signal heard again at a later poll is the same publication, not
a newer one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rig.services.tariffs import HourlyPrice, Tariff


def with_publications(
    tariffs: Mapping[str, Tariff], published: Iterable[tuple[str, HourlyPrice]]
) -> dict[str, Tariff]:
    """``tariffs`` with each ``(tariff ID, hour)`` published, in order, the latest winning."""
    hours: dict[str, list[HourlyPrice]] = {}
    for tariff_id, hour in published:
        hours.setdefault(tariff_id, []).append(hour)
    return {
        tariff_id: _latest_wins(tariff, hours[tariff_id]) if tariff_id in hours else tariff
        for tariff_id, tariff in tariffs.items()
    }


def _latest_wins(tariff: Tariff, publications: list[HourlyPrice]) -> Tariff:
    """``tariff`` with each publication in turn replacing any hour it overlaps."""
    hours = list(tariff.hourly_prices)
    for new in publications:
        hours = [h for h in hours if not (h.start < new.end and new.start < h.end)] + [new]
    return Tariff.model_validate(
        {**tariff.model_dump(), "hourly_prices": sorted(hours, key=lambda h: h.start)}
    )
