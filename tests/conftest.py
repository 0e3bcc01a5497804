"""Settings shared by the framework's own tests.

Hypothesis's per-example deadline (200 ms by default) is a timing assertion; on a
shared two-core machine it fails for load, not for a bug. The properties are about
values, so the project's profile turns the deadline off.
"""

from hypothesis import settings

settings.register_profile("rig", deadline=None)
settings.load_profile("rig")
