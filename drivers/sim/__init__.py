"""The simulated bench: one coupled physical model on one clock, and the loop its servers run on.

Simulated instruments live beside the drivers they mimic (``drivers/meter/sim.py``
and so on); this package holds what they share.
"""
