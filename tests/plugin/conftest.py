"""Fixtures for the plan plugin's tests: a throw-away project run by ``pytester``.

``project`` is a :class:`~plugin.support.Project`: a temporary directory with a
``test_plans/`` folder and a ``conftest.py`` that loads the plugin;
``project.plan(...)`` writes a plan file. The conftest also implements the plugin's
``pytest_rig_run_plan`` hook with a scripted runner
(:data:`~plugin.support.SCRIPTED_RUNNER`), so the tests of collection, selection,
failure display and JUnit need no bench. Tests marked ``real_runner`` get the real
runner on the simulated bench instead.
"""

from __future__ import annotations

# httpx imports httpcore only when a transport is first made. pytester's in-process
# runs forget every module first imported inside them, so a second run would import a
# new httpcore whose errors httpx's exception mapping (holding the first) lets through
# unmapped. Imported here, before any run, every run shares one.
import httpcore  # noqa: F401
import pytest

from plugin.support import SCRIPTED_RUNNER, Project


@pytest.fixture
def project(pytester: pytest.Pytester, request: pytest.FixtureRequest) -> Project:
    """A project running the scripted runner (``@pytest.mark.real_runner``: the real one)."""
    real = request.node.get_closest_marker("real_runner") is not None
    conftest = 'pytest_plugins = ["rig.pytest_plugin"]\n' if real else SCRIPTED_RUNNER
    pytester.makeconftest(conftest)
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider --strict-markers\n")
    return Project(pytester)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "real_runner: the project runs plans with rig.runner on the simulated bench"
    )
