"""The pytest plugin that runs YAML test plans: ``pytest test_plans``.

Each plan under ``test_plans/`` is one pytest item named by its plan ID. By default
it runs on the simulated bench with the utility and clearinghouse services embedded;
``--bench fixtures/benches/<lab>.yaml`` runs the same plans on a lab bench, and
``--utility-url``/``--clearinghouse-url`` point them at external services. A failing
plan shows the step of the plan that failed, not a Python traceback; every run
writes one results file (:mod:`rig.results`) under ``--report DIR`` (``reports/``).

Installing the rig registers it with pytest (the ``pytest11`` entry point
``rig.pytest_plugin`` in ``pyproject.toml``), so any ``pytest`` of the environment
loads it; ``-p no:rig.pytest_plugin`` leaves it out. A ``conftest.py`` that still
says ``pytest_plugins = ["rig.pytest_plugin"]``, or ``-p rig.pytest_plugin``,
names the same plugin and loads nothing twice.

This module is the plugin pytest loads: it adds the plugin's hook
(:mod:`.hookspec`) and loads the modules below, each a plugin of its own. The
imports go one way — items over session over pool and identity — and the hook
specification, which names the types of the hook's arguments, sits above them all.

=========================  =====================================================
module                     concept
=========================  =====================================================
:mod:`.options`            command-line options; scenario and requirement markers
:mod:`.session`            one run: bench, services, results file, run metadata
:mod:`.pool`               several benches for pytest-xdist workers, one summary
:mod:`.identity`           the bench's identity: its file, and each instrument's own
:mod:`.items`              plan files and plan items: collect, select, run
:mod:`.hookspec`           ``pytest_rig_run_plan``: the seam to the runner
:mod:`.failure`            a failed plan, shown as its failing step's YAML
:mod:`.wall_time`          the selection's estimated wall time, on the wall clock
:mod:`.progress`           energy so far and time left during long steps
:mod:`.summary`            the table of plans and verdicts at the end
=========================  =====================================================

``docs/running.md`` is the user's guide.
"""

import pytest

from rig.pytest_plugin import hookspec

pytest_plugins = [
    "rig.pytest_plugin.options",
    "rig.pytest_plugin.session",
    "rig.pytest_plugin.items",
    "rig.pytest_plugin.summary",
    "rig.pytest_plugin.wall_time",
]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspec)
