"""The actors the rig plays beside the ESI (:mod:`rig.esi.session`).

- :mod:`.pev` — the vehicle: plugs in, asks to charge, draws what the pilot allows.
- :mod:`.evse` — the EVSE's control: what ampacity the pilot advertises, and why.
"""
