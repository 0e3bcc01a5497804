"""Where a run came from: its ID, the software version, a file's hash, the host.

What the ``run`` and ``plan_start`` records carry for the audit trail
(:mod:`rig.results.records`).

The software version says which code judged the run, so an auditor can rebuild it:

* run from a git checkout of the rig (the project's own directory is the top of a
  work tree): ``git describe --always --dirty`` — a tag or commit, with ``-dirty``
  when files differ from that commit, and :attr:`Software.dirty` says so;
* run from an installed package (a wheel in ``site-packages``, even one inside some
  other checkout): the package's version, and ``dirty`` is ``None`` (not known);
* neither: ``unknown``.
"""

from __future__ import annotations

import hashlib
import socket
import subprocess
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

#: The rig's distribution name (``pyproject.toml``).
DISTRIBUTION = "ev-roaming-rig"
_HERE = Path(__file__).resolve().parents[2]


def new_run_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Software:
    """Which code ran: its version, and whether the checkout had uncommitted changes."""

    version: str
    dirty: bool | None
    """``None``: not a git checkout, so not known."""


def _git(where: Path, *arguments: str) -> str:
    """``git ARGUMENTS`` in ``where``: its output, or empty when git cannot answer."""
    try:
        done = subprocess.run(
            ["git", *arguments],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def software(repo: Path | None = None) -> Software:
    """The software of ``repo`` (default: the rig itself), as the module doc says.

    A ``repo`` that is not the top of a git work tree is ``unknown``; the rig itself,
    installed, is its package version.
    """
    where = (repo or _HERE).resolve()
    top = _git(where, "rev-parse", "--show-toplevel")
    if top and Path(top).resolve() == where:
        described = _git(where, "describe", "--always", "--dirty")
        if described:
            return Software(described, described.endswith("-dirty"))
    if repo is None:
        try:
            return Software(metadata.version(DISTRIBUTION), None)
        except metadata.PackageNotFoundError:
            pass
    return Software("unknown", None)


def software_version(repo: Path | None = None) -> str:
    """:func:`software`'s version alone."""
    return software(repo).version


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def host_name() -> str:
    return socket.gethostname()
