"""The Energy Services Interface as the rig plays it: what it sends the utility, and how.

- :mod:`rig.esi.outbox` — a durable outbox (SQLite) for session posts: nothing lost
  in a utility outage or a restart, nothing doubled on redelivery.
- :mod:`rig.esi.audit` — the ESI's audit log of every transaction with the utility
  (BR-10), as JSON lines.
"""
