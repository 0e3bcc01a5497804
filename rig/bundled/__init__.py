"""What the rig ships besides its code: the default bench, data sets, profiles and plans.

The files live at the top of the repository, where their authors edit them:
``fixtures/`` (bench files, utility data sets, lab-time profiles) and ``test_plans/``
(the compliance plans and their JSON Schema). They ship inside this package, so a
wheel carries them and ``rig demo`` works from any directory of any install:

- in a checkout, ``rig/bundled/fixtures`` and ``rig/bundled/test_plans`` are
  symbolic links to the two top-level folders, so an editable install reads every
  edit at once (on Windows, git needs ``core.symlinks`` for them);
- building the wheel copies what the links point at, as this package's data
  (``[tool.setuptools.package-data]`` in ``pyproject.toml``).

Code reads them through :func:`bundled` (``importlib.resources``), never through
``Path(__file__).parents[…]``; the named paths below are the defaults the rig uses.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

Folder = Literal["fixtures", "test_plans"]


def bundled(folder: Folder) -> Path:
    """The shipped ``folder`` as a directory on disk (pip always installs on disk).

    The path is resolved: in a checkout it is the top-level folder itself, so messages
    name the file an author edits (``fixtures/benches/sim.yaml``).
    """
    resource = files(__name__).joinpath(folder)
    if not isinstance(resource, Path):  # a zip import, which no install of the rig makes
        raise RuntimeError(f"{__name__}: {folder} is not on the file system ({resource})")
    return resource.resolve()


#: The simulated bench: every instrument behind its real wire.
SIM_BENCH = bundled("fixtures") / "benches" / "sim.yaml"
#: The utility data sets a plan names by ``utility_data: <name>``.
UTILITY_DATA = bundled("fixtures") / "utilities"
#: The lab-time profiles ``--profile NAME`` names.
PROFILES = bundled("fixtures") / "profiles"
#: The compliance suite ``rig demo`` runs.
TEST_PLANS = bundled("test_plans")
