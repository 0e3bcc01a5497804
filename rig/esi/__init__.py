"""The Energy Services Interface as the rig plays it: what it sends the utility, and how.

- :mod:`rig.esi.session` — the ESI actor for one session: binding (BR-05, BR-12),
  energy request (BR-07), grid signals, EUMD interval records (BR-09), the closing
  summary, all through the outbox and into the audit log.
- :mod:`rig.esi.link` — its HTTP line to one service, with the switch a plan's
  ``utility_unreachable`` cuts; :mod:`rig.esi.sep2_link` the same over IEEE 2030.5;
  :mod:`rig.esi.connect` opens one or the other by the protocol's name.
- :mod:`rig.esi.outbox` — a durable outbox (SQLite) for session posts: nothing lost
  in a utility outage or a restart, nothing doubled on redelivery.
- :mod:`rig.esi.audit` — the ESI's audit log of every transaction with the utility
  (BR-10), as JSON lines.
"""
