"""Instrument drivers for the EV charging bench, with their simulators beside them.

Each instrument kind (meter, load, pilot) has a protocol in :mod:`drivers.kinds`
and one small class per instrument model. A simulated instrument is a server behind
the same wire the real one uses, so the driver cannot tell the difference.
"""
