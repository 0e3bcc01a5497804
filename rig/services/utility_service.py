"""What a utility does, without HTTP: bind, grant, signal, record, bill.

One :class:`UtilityService` is one utility of the data set — the same code plays
the PEV's *home* utility and the *roaming* utility of a foreign premise. Each
public method takes the authenticated :class:`~rig.services.auth.Caller` and a
validated request model, checks the caller's rights (an ESI acts only for its own
premise), gathers the facts, lets the pure modules decide
(:func:`rig.services.rules.decide`, :func:`rig.services.grants.grant`,
:mod:`rig.services.tariffs` pricing), stores the outcome and returns a response
model. Anything wrong with the request raises
:class:`~rig.services.errors.ServiceError` (4xx) *before* anything is written:
every write happens in one transaction at the end of a method.

The flow of a session::

    POST /bindings                       → decision (payer, tariff, incentive) stored
    POST /bindings/{id}/energy-requests  → grant (schedule, delay) stored
    GET  /signals?since=N                → DLC events, hourly prices, ALM limits
    POST /sessions/{id}/intervals        → intervals stored once each; with "close",
                                           the session is billed (and, for SC-4,
                                           posted to the clearinghouse via the outbox)
    GET  /accounts/{id}/statement        → line items and totals for a period
"""

from __future__ import annotations

from sqlalchemy import delete

from rig.services.dataset import document
from rig.services.db import insert_ignore
from rig.services.utility_accounts import AccountDesk
from rig.services.utility_base import FUTURE_SLACK_S, MAX_HORIZON
from rig.services.utility_binding import BindingDesk
from rig.services.utility_sessions import SessionDesk
from rig.services.utility_signals import SignalDesk

__all__ = ["FUTURE_SLACK_S", "MAX_HORIZON", "UtilityService"]


class UtilityService(BindingDesk, SignalDesk, SessionDesk, AccountDesk):
    """One utility's back office over its database: every desk together."""

    def start(self) -> None:
        """Create the schema, store the data set, seed its signals, start the outbox."""
        now = self.clock.now()
        self.db.create(now)
        with self.db.write() as conn:
            ds_table = self.t.dataset
            conn.execute(delete(ds_table))
            conn.execute(
                ds_table.insert().values(
                    id=1,
                    sha256=self.ds.sha256,
                    source=self.ds.source,
                    document=document(self.ds),
                    loaded_at=now,
                )
            )
            insert_ignore(conn, self.t.signals, list(self._seed_signals()))
        self._load_hourly()
        self.outbox.start()
        self.outbox.nudge()
