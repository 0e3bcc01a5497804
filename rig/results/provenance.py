"""Where a run came from: its ID, the software version, a file's hash, the host.

What the ``run`` and ``plan_start`` records carry for the audit trail
(:mod:`rig.results.records`).
"""

from __future__ import annotations

import hashlib
import socket
import subprocess
import uuid
from pathlib import Path


def new_run_id() -> str:
    return uuid.uuid4().hex


def software_version(repo: Path | None = None) -> str:
    """``git describe --always --dirty`` of ``repo`` (default: this checkout), or ``unknown``."""
    where = repo or Path(__file__).resolve().parents[2]
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return described.stdout.strip() or "unknown"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def host_name() -> str:
    return socket.gethostname()
