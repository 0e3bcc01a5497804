"""The wheel on its own: built, installed into a fresh venv, running a plan elsewhere.

A source checkout hides what a wheel leaves out: the default bench, the data sets
and the plans are found beside the code whether or not they were packaged. So this
builds the wheel from a copy of the sources, installs it into a new venv and runs
``rig demo`` on one plan from a directory that is not the checkout.

Kept fast for CI (about 10 s): the wheel is built without build isolation (the
locked setuptools), the venv has no pip of its own (this environment's pip installs
into it), and it reaches the already-installed dependencies through one ``.pth``
line naming this environment's site-packages. A directory a ``.pth`` line adds is
not itself a site directory, so the editable install of the checkout there (its own
``.pth`` and finder) stays inactive: ``rig`` imports from the wheel, or not at all.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "rig", "drivers", "fixtures", "test_plans")
PLAN = "sc1-home"


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{command}: exit {done.returncode}\n{done.stdout}{done.stderr}"
    return done.stdout


def build_wheel(tmp_path: Path) -> Path:
    """The wheel of a copy of the sources (the checkout keeps no build/ or egg-info)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(origin, source / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(origin, source / name)
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--wheel-dir", dist, source, cwd=tmp_path)  # fmt: skip
    (wheel,) = dist.glob("ev_roaming_rig-*.whl")
    return wheel


def fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A venv holding the wheel (no dependencies), seeing this environment's packages."""
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                  cwd=tmp_path).strip()  # fmt: skip
    ours = "\n".join(site.getsitepackages()) + "\n"
    (Path(purelib) / "dependencies.pth").write_text(ours, encoding="utf-8")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
        "--no-index", wheel, cwd=tmp_path)  # fmt: skip
    return venv


def test_the_wheel_carries_the_bench_data_sets_plans_and_catalogue(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "rig/bundled/fixtures/benches/sim.yaml",
        "rig/bundled/fixtures/utilities/two_utilities.yaml",
        "rig/bundled/fixtures/profiles/lab-2h.yaml",
        "rig/bundled/test_plans/sc1_home.yaml",
        "rig/bundled/test_plans/common/pev_alice.yaml",
        "rig/bundled/test_plans/plan.schema.json",
    ):
        assert shipped in names, f"{shipped} is not in {wheel.name}"
    assert any(name.startswith("rig/") and name.endswith("/requirements.yaml") for name in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[pytest11]\nrig.pytest_plugin = rig.pytest_plugin" in text

    venv = fresh_venv(tmp_path, wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    where = run(venv / "bin" / "python", "-c", "import rig.bundled; print(rig.bundled.TEST_PLANS)",
                cwd=elsewhere, env=env)  # fmt: skip
    assert Path(where.strip()).is_relative_to(venv), f"rig imported from the checkout: {where}"

    output = run(venv / "bin" / "rig", "demo", "--", "-k", PLAN, cwd=elsewhere, env=env)
    assert f"{PLAN} " in output and "1 plan: 1 pass" in output, output
    assert "Module already imported" not in output, output
    (results,) = (elsewhere / "reports").glob("results-*.jsonl")
    assert f'"plan":"{PLAN}"' in results.read_text(encoding="utf-8").replace(" ", "")
