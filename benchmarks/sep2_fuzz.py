"""The longer fuzz run of the 2030.5 server's XML endpoints: N requests, how many 5xx.

Part of ``benchmarks/sep2_bench.py`` (issue 12, item 6). The same payloads and set-up
as the bounded test in ``tests/services/test_sep2_bad_input.py`` (a cluster serving
2030.5 over mutual TLS with a throw-away CA; Alice's device, binding, mirror and one
interval), with ``examples`` payloads per endpoint instead of 50. A 5xx stops the
run with hypothesis's smallest failing payload.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench_services import T0

from rig.clock import VirtualClock
from rig.services.cluster import Cluster
from rig.services.dataset import load_dataset
from rig.services.endpoints import ServiceEndpoints
from rig.services.sep2_tls import TestCA
from rig.services.testing import DEFAULT_DATA
from tests.services.test_sep2_bad_input import fuzz, make_scene, templates


def measure(examples: int) -> dict[str, Any]:
    """Fuzz every XML endpoint with ``examples`` payloads; the answers' statuses."""
    with tempfile.TemporaryDirectory(prefix="bench-sep2-fuzz-") as tmp:
        ca = TestCA(Path(tmp) / "ca")
        cluster = Cluster(
            load_dataset(DEFAULT_DATA),
            clock=VirtualClock(T0),
            state_dir=Path(tmp),
            sep2_tls=ca.server_tls(),
        )
        with cluster:
            scene = make_scene(ServiceEndpoints.of(cluster), ca)
            statuses: Counter[int] = Counter()
            per_endpoint: dict[str, int] = {}
            t = time.perf_counter()
            for path, bodies in templates(scene).items():
                found = fuzz(scene, path, bodies, examples)
                per_endpoint[path] = sum(found.values())
                statuses += found
            took = time.perf_counter() - t
    return {
        "requests": sum(statuses.values()),
        "server_errors": sum(n for s, n in statuses.items() if s >= 500),
        "statuses": dict(sorted(statuses.items())),
        "per_endpoint": per_endpoint,
        "seconds": round(took, 1),
    }


if __name__ == "__main__":
    print(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
