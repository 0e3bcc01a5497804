"""The back office the roaming scenarios run against: utilities and a clearinghouse.

Two kinds of HTTP service live here, each a real FastAPI application with its own
database (SQLite file by default, any SQLAlchemy URL by configuration):

* the **utility** service (:mod:`rig.services.utility_api`) plays both the *home*
  utility of a PEV and the *roaming* (foreign) utility whose premise the PEV plugs
  into: binding, energy request → grant, grid signals, session interval records,
  billing and an audit log;
* the **clearinghouse** (:mod:`rig.services.clearinghouse_api`) validates PEV IDs
  across utilities, forwards roaming charges to the home utility's account and
  keeps settlement statements between each pair of utilities.

The *decisions* — who pays, at which tariff, with what incentive, what to grant —
are pure functions in :mod:`rig.services.rules`, :mod:`rig.services.tariffs` and
:mod:`rig.services.grants`; the API modules only gather facts, call them, and
store what they return. Start all three with ``rig serve`` (:mod:`rig.services.serve`)
or, in tests, with :func:`rig.services.testing.running_services`; where they are is a
:class:`~rig.services.endpoints.ServiceEndpoints`.
"""
