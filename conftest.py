"""pytest wiring for the rig.

The framework's own tests live in ``tests/``; each instrument kind's contract suite
registers its real-instrument options in its own ``tests/<kind>/conftest.py``. The
YAML test plans under ``test_plans/`` are collected by the plan plugin, which this
file loads once the runner exists.
"""
