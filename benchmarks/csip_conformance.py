"""Published conformance procedures (CSIP-AUS, cactus) against the rig's 2030.5 server.

The CSIP-AUS server test procedures (``cactus-test-definitions`` on PyPI) are run by
their own runner, ``cactus-client``, a 2030.5 client that speaks to any server by its
DeviceCapability URL with a client certificate per test client. Both need Python
>= 3.12 and the rig runs on 3.11, so this script (run with the project's Python):

1. makes or reuses a throw-away venv from ``--python`` (a 3.12 interpreter) and
   installs ``cactus-client`` there (it pins ``cactus-test-definitions``);
2. starts ``rig serve --sep2-test-ca`` on 127.0.0.1 (a throw-away CA, a server
   certificate and one client certificate per ESI), and stops it at the end;
3. plays the procedures' *admin* for "ensure-end-device registered": the rig
   registers a device out of band, by the ESI's bearer token (``POST /edev`` with the
   token and the device's certificate), so each procedure's clients are registered
   first unless the procedure wants an unregistered one;
4. writes a cactus config (server, CA, one client per ESI with its LFDI, SFDI and PIN)
   and runs ``cactus run <ID> <clients> --headless --timeout`` per procedure;
5. prints per procedure: not applicable (why), or passed / failed with the failing
   step and its reason from cactus's report.

The rig's server is an EV-charging utility head-end (discovery, time, EndDevice
registration, pricing, DRLC, flow reservations, mirror usage points), not a CSIP DER
server: the procedures about DER resources, DERControls, subscriptions and
admin-set poll or post rates do not apply. The table below gives each one's reason.
See docs/ieee2030_5.md, "Published conformance procedures (CSIP-AUS, cactus)".

    .venv/bin/python benchmarks/csip_conformance.py --python ~/.pyenv/versions/3.12.1/bin/python

Exit status 0 whatever the results (it reports, it does not assert); 2 if the
runner could not be set up.
"""

from __future__ import annotations

import argparse
import json
import re
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from rig.services.dataset import load_dataset
from rig.services.sep2_api import pin
from rig.services.sep2_tls import Sep2Tls

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "fixtures" / "utilities" / "two_utilities.yaml"
UTILITY = "HPL"
CACTUS_CLIENT = "cactus-client==1.3.3"


@dataclass(frozen=True)
class Procedure:
    """A procedure the rig's server is meant to pass, and the ESIs acting as its clients."""

    id: str
    what: str
    esis: tuple[str, ...]
    registered: bool = True
    known: str = ""
    """Why the rig's server differs here, if it does (printed under a failure)."""


_MUP = (
    "the rig's MirrorUsagePoint is one EV charging session's record (description = the "
    "session ID, energy intervals in Wh); CSIP-AUS site/device telemetry (W, var, V, Hz "
    "without a session) is refused with 400"
)
APPLICABLE = (
    Procedure("S-ALL-06", "mirror usage point creation and readings", ("ESI-ALICE",), known=_MUP),
    Procedure("S-ALL-07", "telemetry edge cases (MUP update, readings)", ("ESI-BOB",), known=_MUP),
    Procedure(
        "S-ALL-51",
        "EndDevice duplication rejected",
        ("ESI-CAROL",),
        known="the rig answers a repeated registration of the same LFDI by the same ESI "
        "with 201 (idempotent, the ESI re-registers at each start); CSIP-AUS wants a 4xx",
    ),
    Procedure("S-ALL-52", "EndDevice LFDI not the certificate's", ("ESI-DAVE", "ESI-ERIN")),
    Procedure(
        "S-ALL-56",
        "string LFDI rejected",
        ("ESI-MALL",),
        registered=False,
        known="the rig refuses every request of a certificate no ESI registered (403), so an "
        "unregistered client cannot reach POST /edev; registration is out of band, by token",
    ),
    Procedure(
        "S-OPT-04",
        "registration PIN",
        ("ESI-FRANK",),
        known="the rig's PIN check digit is the SFDI one, (10 - digit sum) mod 10; cactus "
        "wants digit sum mod 10. The PIN matched; only the check-digit rule differs",
    ),
)

_DER = "needs DER resources (DER, DERCapability/Settings/Status), which the server lacks"
_CONTROL = "DERControls / DERProgram (CSIP DER control), not served"
NOT_APPLICABLE = {
    "S-ALL-01": _DER,
    "S-ALL-02": "in-band registration by certificate alone, and DER resources: " + _DER,
    "S-ALL-03": "aggregator clients, and DER resources",
    "S-ALL-04": "its preconditions create DERControls: " + _CONTROL,
    "S-ALL-05": "its steps read DERControlList and write DERStatus: " + _CONTROL,
    **{f"S-ALL-{n:02d}": "DERStatus / DER settings, not served" for n in (8, 9, 10)},
    **{f"S-ALL-{n:02d}": _CONTROL for n in range(11, 25)},
    "S-ALL-25": "subscriptions / notifications, not served",
    "S-ALL-26": "subscriptions / notifications, not served",
    **{f"S-ALL-{n:02d}": _CONTROL for n in range(27, 43)},
    "S-ALL-43": "admin-set poll rates (set-poll-rate), no admin interface for it",
    **{f"S-ALL-{n:02d}": _CONTROL for n in range(44, 51)},
    "S-ALL-53": "ConnectionPoint (NMI), not served",
    "S-ALL-55": "DER settings, not served",
    "S-ALL-57": "DERControl responses: " + _CONTROL,
    "S-OPT-01": "in-band registration by certificate alone (the rig registers by token)",
    "S-OPT-02": "ConnectionPoint (NMI), not served",
    "S-OPT-03": "ConnectionPoint (NMI), not served",
    "S-OPT-05": "admin-set post rates (set-post-rate), no admin interface for it",
}


def cactus_venv(python: str, venv: Path, find_links: str | None) -> Path:
    """The ``cactus`` command of the venv, made with ``python`` if it is not there yet."""
    cactus = venv / "bin" / "cactus"
    if not cactus.exists():
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        extra = ["--find-links", find_links] if find_links else []
        pip = [str(venv / "bin" / "pip"), "install", "-q", *extra, CACTUS_CLIENT]
        subprocess.run(pip, check=True)
    return cactus


def start_server(work: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """``rig serve --sep2-test-ca`` on 127.0.0.1; its endpoints once it listens."""
    endpoints = work / "endpoints.json"
    rig = Path(sys.executable).parent / "rig"
    cmd = [str(rig), "serve", "--data", str(DATA), "--state-dir", str(work / "state")]
    cmd += ["--endpoints", str(endpoints), "--sep2-test-ca", str(work / "certs")]
    log = (work / "serve.log").open("wb")
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(600):
        if endpoints.exists() and endpoints.stat().st_size:
            return server, json.loads(endpoints.read_text())
        if server.poll() is not None:
            break
        time.sleep(0.1)
    server.terminate()
    raise RuntimeError(f"rig serve did not start: see {work / 'serve.log'}")


def register(url: str, tls: Sep2Tls, token: str) -> None:
    """The out-of-band registration: ``POST /edev`` with the ESI's token and certificate."""
    body = (
        f'<EndDevice xmlns="urn:ieee:std:2030.5:ns"><sFDI>{tls.sfdi}</sFDI>'
        f"<lFDI>{tls.lfdi}</lFDI><changedTime>0</changedTime></EndDevice>"
    )
    context: ssl.SSLContext = tls.client_context()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/sep+xml"}
    r = httpx.post(f"{url}/edev", content=body, headers=headers, verify=context)
    r.raise_for_status()


def cactus_config(work: Path, dcap: str, certs: Path, esis: list[str]) -> Path:
    """The cactus config: the server, its CA, and one client per ESI (named by its ID)."""
    clients = []
    for esi in esis:
        tls = Sep2Tls(certs / f"{esi}.pem", certs / f"{esi}.key", certs / "ca.pem")
        clients.append(
            {
                "id": esi,
                "type": "device",
                "certificate_file": str(tls.certfile),
                "key_file": str(tls.keyfile),
                "lfdi": tls.lfdi,
                "sfdi": tls.sfdi,
                "pen": 0,
                "pin": pin(UTILITY, esi),
                "max_watts": 7200,
            }
        )
    (work / "out").mkdir(exist_ok=True)
    config = {
        "output_dir": str(work / "out"),
        "server": {
            "device_capability_uri": dcap,
            "verify_ssl": True,
            "serca_pem_file": str(certs / "ca.pem"),
        },
        "clients": clients,
    }
    path = work / "cactus.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


_FAILURE = re.compile(
    r"add_log - (?P<step>.+?)\[\d+\] Attempt \d+: "
    r"(?:Exception raised during action/check: |Check Failure: )(?P<why>.+)"
)


def verdict(output: str, status: int) -> str:
    """``passed``, or ``failed`` with the step and what cactus logged for its last attempt."""
    if status == 0:
        return "passed"
    failures = [m for m in map(_FAILURE.search, output.splitlines()) if m]
    if not failures:
        return f"failed (exit {status}); see the cactus report"
    last = failures[-1]
    return f"failed at {last['step']!r}: {last['why']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", required=True, help="a Python >= 3.12 interpreter")
    parser.add_argument("--venv", default="/tmp/cactus-venv", help="its venv (made if absent)")
    parser.add_argument("--find-links", help="a wheel directory for pip (optional)")
    parser.add_argument("--timeout", type=int, default=30, help="seconds per procedure")
    parser.add_argument("--work", help="working directory (default: a temporary one)")
    args = parser.parse_args()
    try:
        cactus = cactus_venv(args.python, Path(args.venv), args.find_links)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"cannot set up cactus-client: {e}", file=sys.stderr)
        return 2
    work = Path(args.work or tempfile.mkdtemp(prefix="csip-"))
    work.mkdir(parents=True, exist_ok=True)
    server, endpoints = start_server(work)
    try:
        url = endpoints[f"{UTILITY}:2030.5"]
        certs = work / "certs"
        dataset = load_dataset(DATA)
        esis = [esi for p in APPLICABLE for esi in p.esis]
        config = cactus_config(work, f"{url}/dcap", certs, esis)
        print(f"rig serve: {url}/dcap; cactus config {config}; reports in {work / 'out'}\n")
        print(f"{'procedure':9} {'what':44} result")
        for proc in APPLICABLE:
            if proc.registered:
                for esi in proc.esis:
                    tls = Sep2Tls(certs / f"{esi}.pem", certs / f"{esi}.key", certs / "ca.pem")
                    register(url, tls, dataset.esis[esi][0].token)
            cmd = [str(cactus), "run", proc.id, *proc.esis, "--headless"]
            cmd += ["--timeout", str(args.timeout), "-c", str(config)]
            run = subprocess.run(cmd, capture_output=True, text=True, cwd=work)
            (work / f"{proc.id}.log").write_text(run.stdout + run.stderr)
            result = verdict(run.stdout + run.stderr, run.returncode)
            print(f"{proc.id:9} {proc.what:44} {result}")
            if proc.known and result != "passed":
                print(f"{'':9} why: {proc.known}")
        print()
        for pid, why in sorted(NOT_APPLICABLE.items()):
            print(f"{pid:9} not applicable: {why}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
