"""A scratch copy of the project tree, changed one defect at a time, and the plan suite run in it.

The mutation self-test must never touch the working tree. :class:`Workspace` copies
the project's files (what git tracks, plus new files not ignored) into a temporary
directory once; each defect then rewrites a few files there, the plan suite runs
with that copy first on ``PYTHONPATH`` (the editable install's finder comes after
it, so ``rig`` and ``drivers`` are imported from the copy, the pytest plugin too),
and the files are restored before the next defect. Every suite runs on a bench file written into the
copy (:meth:`Workspace.bench`): the default simulated bench with its communication
watchdogs disarmed (``watchdog_ms: 0``) — they are wall-clock safety nets, not
anything a plan judges, and on a loaded machine (2 cores shared by many suites)
they trip and would be counted as catches or false fails — plus, for a defect
that is configuration rather than code, a ``defects:`` section.

:func:`run_suite` runs ``python -m pytest test_plans -q -x`` there and returns a
:class:`SuiteRun`: passed or not, the first failing plan, the failure text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BENCH = "fixtures/benches/sim.yaml"
MUTATE_BENCH = "fixtures/benches/mutate.yaml"
#: A plan run by the suite must end well within this; a hung mutant is "killed (timeout)".
SUITE_TIMEOUT_S = 600.0
_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+?)(?:::(\S+))?(?: - |$)", re.M)


@dataclass(frozen=True)
class SuiteRun:
    """One run of the plan suite."""

    passed: bool
    plan: str
    """The first plan that failed (its ID, or its file, or ``collection``); empty if none."""
    output: str
    seconds: float
    timed_out: bool = False

    @property
    def failure(self) -> str:
        """The failure part of pytest's output (empty when the suite passed)."""
        start = self.output.find("= FAILURES =")
        if start < 0:
            start = self.output.find("= ERRORS =")
        return self.output[max(start, 0) :] if not self.passed else ""


class PatchError(ValueError):
    """A source patch's old text is not in its file exactly once."""


class Workspace:
    """A private copy of the tree (use as a context manager); ``pytest_args`` go to every
    suite run in it (``-k EXPR`` to run a few plans only)."""

    def __init__(self, pytest_args: Sequence[str] = ()) -> None:
        self.pytest_args = tuple(pytest_args)
        self.dir = Path(tempfile.mkdtemp(prefix="rig-mutate-"))
        listed = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        for name in filter(None, listed.split("\0")):
            source = ROOT / name
            if source.is_file() and not source.is_symlink():
                target = self.dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
            elif source.is_symlink():
                target = self.dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(os.readlink(source))
        self._saved: dict[Path, str | None] = {}

    def write(self, name: str, text: str) -> None:
        """Replace one file of the copy (restored by :meth:`restore`)."""
        path = self.dir / name
        self._saved.setdefault(path, path.read_text("utf-8") if path.exists() else None)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")

    def bench(self, **changes: Any) -> str:
        """The default bench, watchdogs disarmed, with ``changes`` (top-level keys, or
        ``simulation`` keys merged into that section), written into the copy."""
        config = yaml.safe_load((self.dir / DEFAULT_BENCH).read_text("utf-8"))
        config["watchdog_ms"] = 0
        for key, value in changes.items():
            if key == "simulation":
                for name, setting in value.items():
                    section = config["simulation"].get(name)
                    merged = {**section, **setting} if isinstance(section, dict) else setting
                    config["simulation"][name] = merged
            else:
                config[key] = value
        self.write(MUTATE_BENCH, yaml.safe_dump(config, sort_keys=False))
        return MUTATE_BENCH

    def patch(self, name: str, old: str, new: str) -> None:
        """Replace ``old`` by ``new`` in one file; ``old`` must occur exactly once."""
        text = (self.dir / name).read_text("utf-8")
        count = text.count(old)
        if count != 1:
            raise PatchError(f"{name}: the old text occurs {count} times, not once: {old!r}")
        self.write(name, text.replace(old, new))

    def restore(self) -> None:
        for path, text in self._saved.items():
            if text is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(text, "utf-8")
        self._saved.clear()

    def run_suite(self, *args: str, timeout_s: float = SUITE_TIMEOUT_S) -> SuiteRun:
        """``pytest test_plans -q`` in the copy, with extra pytest ``args`` (give it a
        ``--bench``: :meth:`bench`)."""
        report = self.dir / "reports" / "mutate"
        shutil.rmtree(report, ignore_errors=True)
        command = [sys.executable, "-m", "pytest", "test_plans", "-q", "-p", "no:cacheprovider"]
        command += ["--report", str(report), *self.pytest_args, *args]
        env = {**os.environ, "PYTHONPATH": str(self.dir), "PYTHONDONTWRITEBYTECODE": "1"}
        began = time.monotonic()
        try:
            done = subprocess.run(
                command, cwd=self.dir, env=env, capture_output=True, text=True, timeout=timeout_s
            )
        except subprocess.TimeoutExpired as expired:
            out = expired.stdout or ""
            text = out.decode() if isinstance(out, bytes) else out
            return SuiteRun(False, "timeout", text, time.monotonic() - began, timed_out=True)
        output = done.stdout + done.stderr
        match = _FAILED.search(output)
        plan = (match.group(2) or match.group(1)) if match else ""
        if done.returncode != 0 and not plan:
            plan = "collection" if done.returncode in (2, 3, 4) else f"exit {done.returncode}"
        return SuiteRun(done.returncode == 0, plan, output, time.monotonic() - began)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
