"""``rig serve``: run the utilities and the clearinghouse of a data set until stopped.

::

    rig serve --data fixtures/utilities/two_utilities.yaml --endpoints reports/endpoints.json
    rig serve --data … --db postgresql+psycopg://rig@localhost/rig --port 8700 --endpoints …

Every service listens on ``127.0.0.1`` only. ``--port 0`` (the default) lets the OS
pick free ports; ``--port N`` uses N, N+1, … in data-set order (utilities, then the
clearinghouse). Once all are up, the endpoints file is written (atomically) as a
JSON object mapping each service's name — the utility IDs and ``clearinghouse`` —
to its base URL; each publishes its OpenAPI at ``<base>/openapi.json``. The
process serves until SIGINT or SIGTERM, then stops cleanly.

Storage: by default one SQLite file per service under ``--state-dir``; ``--db``
takes any SQLAlchemy URL (see :func:`rig.services.cluster.database_url`). Restarted
on the same files, the services find everything they had recorded.

IEEE 2030.5: each utility's 2030.5 server is listed as ``<utility>:2030.5``. With
``--sep2-cert``, ``--sep2-key`` and ``--sep2-ca`` it serves ``https://`` with mutual
TLS: the server's certificate and key, and the CA whose client certificates it
accepts (a client certificate's LFDI identifies the ESI that registered that device).
``--sep2-test-ca DIR`` instead makes a throw-away CA in ``DIR`` with a server
certificate and one client certificate per ESI of the data set
(``DIR/<ESI>.pem``/``.key``, see :mod:`rig.services.sep2_tls`).

Time: the wall clock, shifted by ``--clock-offset`` seconds, or shifted so that it
reads ``--clock-start`` at start-up (a short bench run can begin just before a
tariff boundary).

The lead wires this into ``rig`` with :func:`add_arguments` and :func:`run`; it also
runs on its own as ``python -m rig.services.serve``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from types import FrameType

from rig.clock import WallClock
from rig.services.cluster import Cluster, sep2_name
from rig.services.dataset import load_dataset
from rig.services.db import StorageError
from rig.services.sep2_tls import Sep2Tls, TestCA
from rig.yamlfile import YamlFileError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, type=Path, help="utility data set (YAML)")
    parser.add_argument(
        "--db",
        default=None,
        help="SQLAlchemy URL; '{service}' is replaced by each service's name "
        "(default: one SQLite file per service under --state-dir)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path("reports/services"),
        help="where the default SQLite files live (default: reports/services)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="first port (default 0: free ports chosen by the OS)"
    )
    parser.add_argument(
        "--endpoints", required=True, type=Path, help="write {service: base URL} JSON here"
    )
    tls = parser.add_argument_group("IEEE 2030.5 over mutual TLS (default: plain HTTP)")
    tls.add_argument("--sep2-cert", type=Path, help="the 2030.5 servers' certificate (PEM)")
    tls.add_argument("--sep2-key", type=Path, help="its private key (PEM, unencrypted)")
    tls.add_argument("--sep2-ca", type=Path, help="the CA of the accepted client certificates")
    tls.add_argument(
        "--sep2-test-ca",
        type=Path,
        metavar="DIR",
        help="make a throw-away CA, server and per-ESI client certificates in DIR and use them",
    )
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument(
        "--clock-offset", type=float, default=0.0, help="seconds added to the wall clock"
    )
    clock.add_argument(
        "--clock-start",
        type=datetime.fromisoformat,
        default=None,
        help="ISO time with zone the service clock reads at start-up",
    )


def run(args: argparse.Namespace) -> int:
    """Start the services, write the endpoints file, serve until SIGINT/SIGTERM."""
    offset = float(args.clock_offset)
    if args.clock_start is not None:
        if args.clock_start.tzinfo is None:
            print("rig serve: --clock-start needs a time zone", file=sys.stderr)
            return 2
        offset = args.clock_start.timestamp() - time.time()
    try:
        dataset = load_dataset(args.data)
    except YamlFileError as error:
        print(error, file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535 - 16:
        print(f"rig serve: --port {args.port} is not a usable port", file=sys.stderr)
        return 2
    given = (args.sep2_cert, args.sep2_key, args.sep2_ca)
    if any(given) and (not all(given) or args.sep2_test_ca):
        print("rig serve: give all of --sep2-cert/-key/-ca, or --sep2-test-ca", file=sys.stderr)
        return 2
    missing = [str(f) for f in given if f is not None and not f.is_file()]
    if missing:
        print(f"rig serve: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    tls = Sep2Tls(*given) if all(given) else None
    if args.sep2_test_ca is not None:
        ca = TestCA(args.sep2_test_ca)
        tls = ca.server_tls()
        for esi in dataset.esis:
            ca.client_tls(esi)
    cluster = Cluster(
        dataset,
        clock=WallClock(offset),
        db=args.db,
        state_dir=args.state_dir,
        port=args.port,
        sep2_tls=tls,
    )
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            cluster.start()
        except (StorageError, OSError) as error:
            print(f"rig serve: cannot start: {error}", file=sys.stderr)
            return 1
        sep2 = {sep2_name(u): url for u, url in cluster.sep2_endpoints.items()}
        write_endpoints(args.endpoints, {**cluster.endpoints, **sep2})
        for name, url in cluster.endpoints.items():
            print(f"{name}: {url}  (OpenAPI: {url}/openapi.json)", file=sys.stderr)
        for name, url in sep2.items():
            print(f"{name}: {url}  (IEEE 2030.5: {url}/dcap)", file=sys.stderr)
        if tls is not None:
            print(
                f"IEEE 2030.5 over mutual TLS: server certificate {tls.certfile}, "
                f"client certificates of the CA {tls.ca_certs}",
                file=sys.stderr,
            )
        if args.sep2_test_ca is not None:
            where = args.sep2_test_ca
            print(f"throw-away test CA: each ESI's {where}/<ESI>.pem, .key", file=sys.stderr)
        while not stop.wait(0.5):
            pass
        return 0
    finally:
        cluster.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def write_endpoints(path: Path, endpoints: dict[str, str]) -> None:
    """Write the endpoints JSON atomically (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(endpoints, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rig serve", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
