"""The ``rig`` command: one entry point for the bench, the simulators and the services.

Subcommands:

``rig sim --bench FILE --endpoints FILE``
    Start a simulated bench standalone (wall clock) and serve until Ctrl-C or
    SIGTERM; write where each simulated instrument listens as JSON, so third-party
    tools (mbpoll, a VISA shell, a raw socket, python-can) can talk to it.
``rig bench check --bench FILE``
    Open every instrument (starting the simulators when the bench is simulated),
    print its identity and one live reading; exit 1 naming any instrument it cannot
    reach and what to check.
``rig demo [--bench FILE] [--report DIR] [--utility-protocol rest|ieee2030.5]
[--operator NAME] [--approver NAME] [-- PYTEST-ARGS]``
    The compliance suite: every plan under ``test_plans/`` in the working directory,
    else every plan the rig ships (:mod:`rig.bundled`), through pytest and the
    plan plugin (:mod:`rig.pytest_plugin`), on the simulated bench with the services
    embedded; prints the summary table and where the results file went. Exit status
    is pytest's (0 every plan passed, 1 a plan failed, 2 a plan file has errors).
    ``--utility-protocol`` is pytest's: how the ESI talks to its utility;
    ``--operator`` and ``--approver`` are pytest's too: who ran the tests and who
    approves them, recorded and named in the report's signature blocks.
    ``--one-charge``: instead, one short simulated charge with a table of what the
    pilot, load and meter saw at each step.
``rig serve``
    The utility and clearinghouse services (:mod:`rig.services.serve`, imported only
    when it is the command asked for). It serves both utility protocols at once (the
    endpoints file lists ``HPL`` and ``HPL:2030.5``), so the choice is the client's.
``rig report RESULTS... -o report.html [--operator NAME] [--approver NAME]``
    Merge results files (runs, benches, pytest-xdist workers) into one
    self-contained HTML compliance report (:mod:`rig.report`); ``--operator`` and
    ``--approver`` name the signatories instead of the names the results recorded.

Exit status: 0 success; 1 the bench or the run failed (an instrument unreachable,
a check failed); 2 bad input (a bench file with errors: every problem is printed
as ``file:line:col`` before any instrument is opened); 3 safe state could not be
confirmed (the bench may be live); ``128 + signal`` when a stop signal ended the
run after safe state was confirmed: 130 SIGINT (Ctrl-C), 143 SIGTERM, 129 SIGHUP.
Every command runs under :func:`rig.bench.safe.stop_signals`: the first stop
signal unwinds to safe state, later ones are held, and the stop is reported.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from drivers.errors import InstrumentError
from rig.bench.safe_outcome import SafeStateError
from rig.bench.stop_signals import (
    EXIT_UNSAFE,
    Interrupted,
    current_stop,
    deliver_stop,
    stop_signals,
)
from rig.bench.wait import WaitTimeout
from rig.bundled import SIM_BENCH, TEST_PLANS
from rig.esi.link import PROTOCOLS
from rig.yamlfile import YamlFileError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

Command = Callable[[argparse.Namespace], int]


def default_bench() -> str:
    """``fixtures/benches/sim.yaml`` in the working directory, else the rig's own."""
    here = Path("fixtures/benches/sim.yaml")
    return str(here if here.exists() else SIM_BENCH)


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


#: Who signs the report: ``--operator`` ran the tests, ``--approver`` approves them.
SIGNERS = ("operator", "approver")


def add_signers(parser: argparse.ArgumentParser, where: str) -> None:
    """``--operator NAME`` and ``--approver NAME``, ``where`` saying what they do."""
    for who in SIGNERS:
        parser.add_argument(f"--{who}", metavar="NAME", help=f"the {who}, {where}")


# --------------------------------------------------------------------------- rig sim


def write_endpoints(path: Path, endpoints: dict[str, Any]) -> None:
    """Write ``endpoints`` as JSON atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(endpoints, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)


def cmd_sim(args: argparse.Namespace) -> int:
    from drivers.sim.probe import ModelProbe
    from rig.bench.config import load_bench
    from rig.bench.simulated import SimulatedBench

    config = load_bench(args.bench)
    if config.simulation is None:
        _err(
            f"{args.bench}: not a simulated bench (it has no `simulation:` section); "
            "`rig sim` only starts simulators. Use `rig bench check` for a real bench."
        )
        return EXIT_BAD_INPUT
    endpoints_file = Path(args.endpoints) if args.endpoints else None
    with SimulatedBench(config, clock=args.clock) as sim:
        probe = ModelProbe(sim.model).start()
        document = {**sim.endpoints, "model": {"truth": probe.url}}
        if endpoints_file is not None:
            write_endpoints(endpoints_file, document)
        print(json.dumps(document, indent=2), flush=True)
        print(
            f"simulated bench '{config.bench}' serving on 127.0.0.1 ({args.clock} clock); "
            "Ctrl-C or SIGTERM to stop",
            flush=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:  # Interrupted included: the way to stop `rig sim`
            return EXIT_OK
        finally:
            probe.stop()
            if endpoints_file is not None:
                endpoints_file.unlink(missing_ok=True)
            print("simulated bench stopped", flush=True)


def add_sim(commands: Any) -> None:
    parser = commands.add_parser(
        "sim",
        help="serve a simulated bench on 127.0.0.1 until Ctrl-C / SIGTERM",
        description="Start the simulated instruments of a bench file and serve until "
        "SIGINT or SIGTERM. Endpoints are printed and, with --endpoints, written as JSON.",
    )
    parser.add_argument("--bench", default=default_bench(), help="simulated bench file")
    parser.add_argument("--endpoints", help="write the endpoints JSON here")
    parser.add_argument(
        "--clock",
        choices=("wall", "virtual"),
        default="wall",
        help="model clock (default wall: the instruments live in real time)",
    )
    parser.set_defaults(run=cmd_sim)


# --------------------------------------------------------------------------- rig bench check


def cmd_bench_check(args: argparse.Namespace) -> int:
    from rig.bench.check import check_bench, render
    from rig.bench.config import load_bench
    from rig.bench.simulated import SimulatedBench

    config = load_bench(args.bench)
    if config.simulation is not None:
        with SimulatedBench(config) as sim:
            results = check_bench(sim.config)
    else:
        results = check_bench(config)
    report = render(config, results)
    ok = all(result.ok for result in results)
    print(report, flush=True)
    if not ok:
        failed = ", ".join(r.role for r in results if not r.ok)
        _err(f"rig bench check: cannot reach {failed} (see above); fix it in {args.bench}")
    return EXIT_OK if ok else EXIT_FAILED


def add_bench(commands: Any) -> None:
    bench = commands.add_parser("bench", help="bench commands (check)")
    sub = bench.add_subparsers(dest="bench_command", metavar="COMMAND", required=True)
    check = sub.add_parser(
        "check",
        help="open every instrument, print identity and a live reading",
        description="Open every instrument of the bench file (starting the simulators "
        "for a simulated bench), print its identity and one live reading. Exit 1 "
        "naming any instrument that cannot be reached.",
    )
    check.add_argument("--bench", required=True, help="bench file (YAML)")
    check.set_defaults(run=cmd_bench_check)


# --------------------------------------------------------------------------- rig demo


def plans_arguments() -> list[str]:
    """pytest's arguments for the plans: ``test_plans/`` in the working directory, else
    the plans the rig ships, with the working directory as pytest's rootdir (where
    ``reports/`` goes), not the directory the rig is installed in."""
    here = Path("test_plans")
    if here.is_dir():
        return [str(here)]
    return [str(TEST_PLANS), f"--rootdir={Path.cwd()}"]


def cmd_demo(args: argparse.Namespace) -> int:
    if args.one_charge:
        from rig.bench.demo import run_demo

        return run_demo(args.bench)
    import pytest

    # one token per option: pytest picks its rootdir from the arguments that look like
    # paths, and the bench file's directory must not be taken for the project's
    options = [f"--bench={args.bench}", *([f"--report={args.report}"] if args.report else [])]
    if args.utility_protocol:
        options.append(f"--utility-protocol={args.utility_protocol}")
    options += [f"--{who}={getattr(args, who)}" for who in SIGNERS if getattr(args, who)]
    # Plans are judged by the oracle, not by Python asserts, so pytest need not rewrite
    # any: it would rewrite every module of the rig (a plugin's distribution), and warn
    # that `rig`, which imported them before pytest ran, cannot have them rewritten.
    options.append("--assert=plain")
    arguments = [*plans_arguments(), "-p", "rig.pytest_plugin", *options, *args.pytest_args]
    return int(pytest.main(arguments))


def add_demo(commands: Any) -> None:
    parser = commands.add_parser(
        "demo",
        help="the compliance suite on the simulated bench, with a summary table",
        description="Run every plan under test_plans/ with pytest on the simulated bench, "
        "services embedded; print a summary table and the results file. Arguments after "
        "`--` go to pytest, e.g. `rig demo -- -m sc4 -x`.",
    )
    parser.add_argument("--bench", default=default_bench(), help="bench file")
    parser.add_argument("--report", help="directory for the results file (default reports/)")
    parser.add_argument(
        "--utility-protocol",
        choices=PROTOCOLS,
        default=None,
        help="how the ESI talks to its utility: rest (JSON API) or ieee2030.5 "
        "(default: the data set's, else rest)",
    )
    add_signers(parser, "recorded in the results file and named in the report")
    parser.add_argument(
        "--one-charge",
        action="store_true",
        help="instead: one short simulated charge and what each instrument saw",
    )
    parser.add_argument("pytest_args", nargs="*", metavar="PYTEST-ARGS", help="after `--`")
    parser.set_defaults(run=cmd_demo)


# --------------------------------------------------------------------------- rig serve
# `rig serve` is rig/services/serve.py: add_arguments(parser) and run(args) -> int.


SERVE_HELP = "run the utility and clearinghouse services"


def add_serve(commands: Any, load: bool) -> None:
    """Add ``rig serve``; import its (heavy) module only when it is the command asked for."""
    if not load:
        commands.add_parser("serve", help=SERVE_HELP)
        return
    from rig.services import serve

    summary = (serve.__doc__ or "").strip().split("\n\n")[0].replace("``", "")
    parser = commands.add_parser("serve", help=SERVE_HELP, description=summary)
    serve.add_arguments(parser)
    parser.set_defaults(run=serve.run)


# --------------------------------------------------------------------------- rig report


def cmd_report(args: argparse.Namespace) -> int:
    from rig.report import Signers, write_report
    from rig.results import ResultsFileError

    signers = Signers(operator=args.operator or "", approver=args.approver or "")
    try:
        out = write_report([Path(p) for p in args.results], Path(args.output), signers=signers)
    except (ResultsFileError, OSError) as error:
        _err(f"rig report: {error}")
        return EXIT_BAD_INPUT
    print(out, flush=True)
    return EXIT_OK


def add_report(commands: Any) -> None:
    parser = commands.add_parser(
        "report",
        help="render results files as one self-contained HTML compliance report",
        description="Read and validate the JSON-lines results files of one or more runs, "
        "benches or pytest-xdist workers and write them as one HTML report.",
    )
    parser.add_argument("results", nargs="+", metavar="RESULTS", help="results files (.jsonl)")
    parser.add_argument(
        "-o", "--output", default="reports/report.html", help="the HTML file to write"
    )
    add_signers(parser, "named in the signature blocks instead of the results' names")
    parser.set_defaults(run=cmd_report)


# --------------------------------------------------------------------------- main


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``command`` is the subcommand about to run, if known."""
    parser = argparse.ArgumentParser(
        prog="rig",
        description="EV charging roaming test rig: bench, simulators and services.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_sim(commands)
    add_bench(commands)
    add_demo(commands)
    add_report(commands)
    add_serve(commands, load=command == "serve")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in arguments if not a.startswith("-")), None)
    args = build_parser(command).parse_args(arguments)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        # pymodbus logs every refused connection at ERROR; the drivers' typed errors
        # already say it better, once, with the instrument's name.
        logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    run: Command = args.run
    try:
        with stop_signals():
            try:
                status = run(args)
                deliver_stop()  # a signal held in the tail of a teardown ends the run here
            except Interrupted as interrupted:
                return _stopped(command, interrupted)
            if current_stop() is None or run is cmd_sim:  # a signal is how `rig sim` stops
                return status
            return _stopped(command, None, status)
    except YamlFileError as error:
        _err(str(error))
        _err("fix the bench file at the positions above; nothing was opened or started")
        return EXIT_BAD_INPUT
    except (InstrumentError, WaitTimeout) as error:
        _err(f"rig {command}: {error}")
        return EXIT_FAILED
    except SafeStateError as error:
        _err(str(error))
        return EXIT_UNSAFE


def _stopped(command: str | None, interrupted: Interrupted | None, status: int = 0) -> int:
    """Report a run a stop signal ended; its exit status (``128 + signal``, or 3)."""
    stop = current_stop()
    if stop is None:  # cannot happen under stop_signals; keep the signal's own status
        return interrupted.exit_code if interrupted is not None else status
    if not stop.reported:
        for line in stop.describe():
            _err(f"rig {command}: {line}")
        stop.reported = True
    return stop.exit_code


if __name__ == "__main__":
    sys.exit(main())
