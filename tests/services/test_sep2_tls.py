"""The 2030.5 server over mutual TLS on 127.0.0.1: the client certificate is the device.

A throw-away CA (:class:`~rig.services.sep2_tls.TestCA`, in the test's temporary
directory) issues the server's certificate and one per ESI device; the cluster
serves ``https://`` with them. The ESI's link presents its certificate, registers
the certificate's LFDI (the server checks the two agree) and from then on the
certificate alone identifies the ESI. Real TLS handshakes, real sockets.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from rig.clock import VirtualClock, WallClock
from rig.esi.connect import open_utility_link
from rig.esi.link import UnreachableLog
from rig.esi.sep2_link import Sep2Link
from rig.pytest_plugin.session import RUN
from rig.runner.facts import Place
from rig.runner.utility_links import open_links
from rig.services.cluster import Cluster
from rig.services.dataset import load_dataset
from rig.services.endpoints import ServiceEndpoints
from rig.services.sep2_api import pin
from rig.services.sep2_tls import Sep2Tls, TestCA
from rig.services.testing import DEFAULT_DATA
from rig.services.utility_service import UtilityService
from tests.services.helpers import T0
from tests.services.test_serve import serve

TlsServices = tuple[ServiceEndpoints, TestCA]


@pytest.fixture(scope="module")
def tls_svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServices]:
    ca = TestCA(tmp_path_factory.mktemp("ca"))
    cluster = Cluster(
        load_dataset(DEFAULT_DATA),
        clock=VirtualClock(T0),
        state_dir=tmp_path_factory.mktemp("state"),
        sep2_tls=ca.server_tls(),
    )
    with cluster:
        yield ServiceEndpoints.of(cluster), ca


def esi_link(svc: ServiceEndpoints, esi_id: str, tls: Sep2Tls) -> Sep2Link:
    """The ESI's 2030.5 link to HPL, presenting ``tls``'s certificate."""
    assert svc.clock is not None
    link = open_utility_link(
        "ieee2030.5",
        "HPL",
        svc.sep2_urls["HPL"],
        svc.token(esi_id),
        esi_id=esi_id,
        pin=pin("HPL", esi_id),
        now=svc.clock.now,
        tls=tls,
    )
    assert isinstance(link, Sep2Link)
    return link


def by_certificate(svc: ServiceEndpoints, tls: Sep2Tls | None, ca: Path) -> httpx.Client:
    """A client with no token: a certificate (or none), trusting the test CA."""
    context = tls.client_context() if tls else ssl.create_default_context(cafile=str(ca))
    return httpx.Client(base_url=svc.sep2_urls["HPL"], verify=context, timeout=10)


def end_devices(svc: ServiceEndpoints) -> list[tuple[str, str, str]]:
    """(LFDI, ESI, premise) of every registered EndDevice, from HPL's database."""
    assert svc.cluster is not None
    service = svc.cluster.services["HPL"]
    assert isinstance(service, UtilityService)
    table = service.t.end_devices
    with service.db.read() as conn:
        rows = conn.execute(select(table).order_by(table.c.lfdi))
        return [(r.lfdi, r.esi_id, r.premise_id) for r in rows]


def test_the_esi_is_its_client_certificates_device(tls_svc: TlsServices) -> None:
    svc, ca = tls_svc
    assert svc.sep2_urls["HPL"].startswith("https://127.0.0.1:")
    alice = ca.client_tls("ESI-ALICE")
    link = esi_link(svc, "ESI-ALICE", alice)
    try:
        link.discover()
        assert (link.lfdi, link.sfdi) == (alice.lfdi, alice.sfdi)  # from the certificate
        assert link.device is not None and link.device.lFDI == alice.lfdi
        assert link.signals(0, "PREM-ALICE")["signals"], "DLC events and prices over TLS"
    finally:
        link.close()
    assert (alice.lfdi, "ESI-ALICE", "PREM-ALICE") in end_devices(svc)

    # from now on the certificate alone identifies the ESI: no token
    with by_certificate(svc, alice, ca.certfile) as c:
        r = c.get("/edev")
        assert r.status_code == 200, r.text
        assert alice.lfdi in r.text
    # a second start finds the device registered (once)
    again = esi_link(svc, "ESI-ALICE", alice)
    again.discover()
    again.close()
    assert [d for d in end_devices(svc) if d[0] == alice.lfdi] == [
        (alice.lfdi, "ESI-ALICE", "PREM-ALICE")
    ]


def test_certificates_the_server_does_not_know_are_refused(
    tls_svc: TlsServices, tmp_path: Path
) -> None:
    svc, ca = tls_svc
    before = end_devices(svc)
    with by_certificate(svc, None, ca.certfile) as c:  # no certificate, no token
        assert c.get("/dcap").status_code == 401
    stranger = ca.client_tls("ESI-NOBODY")  # the CA's, never registered
    with by_certificate(svc, stranger, ca.certfile) as c:
        r = c.get("/dcap")
        assert r.status_code == 403 and "Error" in r.text
    other_ca = TestCA(tmp_path / "other", name="another CA").client_tls("ESI-ALICE")
    with (
        by_certificate(
            svc, Sep2Tls(other_ca.certfile, other_ca.keyfile, ca.certfile), ca.certfile
        ) as c,
        pytest.raises(httpx.TransportError),  # the handshake fails
    ):
        c.get("/dcap")
    # a client that does not trust the server's CA does not talk to it
    with (
        httpx.Client(base_url=svc.sep2_urls["HPL"], timeout=10) as c,
        pytest.raises(httpx.ConnectError),
    ):
        c.get("/dcap")
    assert end_devices(svc) == before


def test_rig_serve_over_tls_and_the_esi_links_by_certificate_files(tmp_path: Path) -> None:
    """A lab-style set-up: ``rig serve --sep2-test-ca`` is the external head-end; the
    run's links find it by URL (the endpoints file) and certificate files by ESI."""
    certs = tmp_path / "certs"
    with serve(tmp_path, "--sep2-test-ca", str(certs)) as (_proc, urls):
        assert urls["HPL:2030.5"].startswith("https://127.0.0.1:")
        data = load_dataset(DEFAULT_DATA)
        endpoints = ServiceEndpoints.from_urls(urls, data)
        endpoints.sep2_tls = Sep2Tls(certs / "{esi}.pem", certs / "{esi}.key", certs / "ca.pem")
        premise = data.premises["PREM-ALICE"]
        place = Place(data, premise, premise.portals[0], data.utilities["HPL"], premise.esis[0].id)
        links = open_links("ieee2030.5", place, endpoints, WallClock(), UnreachableLog())
        alice = endpoints.sep2_tls.for_esi("ESI-ALICE")
        try:
            link = links["HPL"]
            assert isinstance(link, Sep2Link)
            link.discover()
            assert link.lfdi == alice.lfdi
        finally:
            for each in links.values():
                each.close()
        with by_certificate(endpoints, alice, alice.ca_certs) as c:  # the certificate alone
            r = c.get("/edev")
            assert r.status_code == 200 and alice.lfdi in r.text, r.text


def test_pytest_options_name_the_certificate_files(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    (pytester.path / "ca.pem").write_text("-")
    services = [
        "--utility-url=HPL=http://10.0.0.5:8001",
        "--utility-url=HPL:2030.5=https://10.0.0.5:8443",
        "--utility-url=SGE=http://10.0.0.6:8001",
        "--clearinghouse-url=http://10.0.0.7:8002",
    ]
    tls = ["--utility-cert=certs/{esi}.pem", "--utility-key=certs/{esi}.key", "--utility-ca=ca.pem"]
    run = pytester.parseconfigure(*services, *tls).stash[RUN]
    assert run.services is not None
    assert run.services.urls["HPL:2030.5"] == "https://10.0.0.5:8443"
    assert run.services.sep2_tls == Sep2Tls(
        pytester.path / "certs/{esi}.pem",
        pytester.path / "certs/{esi}.key",
        pytester.path / "ca.pem",
    )
    for wrong in (
        tls[:2],
        [*services, *tls[:2]],
        [*services, "--utility-ca=missing.pem", *tls[:2]],
    ):
        with pytest.raises(pytest.UsageError):
            pytester.parseconfigure(*wrong)
