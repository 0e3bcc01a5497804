"""The bench: which instruments, how to reach them, and the promise to leave them safe.

- :mod:`rig.bench.config`: the bench file schema and its loader (errors at file:line:col).
- :mod:`rig.bench.transports`: how the bench reaches each instrument (``transport:``).
- :mod:`rig.bench.registry`: are the driver names a bench file uses registered?
- :mod:`rig.bench.build`: open the drivers a bench file names.
- :mod:`rig.bench.simulated`: start the simulated instruments for a simulated bench.
- :mod:`rig.bench.safe`: the :class:`~rig.bench.safe.Bench` context manager (safe state).
- :mod:`rig.bench.check`: ``rig bench check``, identity and a live reading per instrument.
"""
