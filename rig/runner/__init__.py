"""The runner: one YAML plan, run end to end on a bench with its actors and services.

Start with :mod:`rig.runner.api` (``run_plan`` and what it returns); the other
modules are the pieces it is built from.
"""
