"""The published OpenAPI fuzzed with schemathesis: no input gives a server error.

Schemathesis reads each service's ``/openapi.json`` over HTTP, like any third-party
fuzzer, and generates requests for every operation, both *positive* (valid by the
schema) and *negative* (deliberately breaking it). A second pass "anchors" the
generated bodies on real IDs from the data set (the caller's own premise, ESI and a
real binding), so the fuzz reaches past the first 403/404 into the service logic.
Every answer must be below 500.

Bounded: a few examples per operation and mode, so the whole suite stays fast;
``RIG_FUZZ_EXAMPLES=200`` runs a deeper fuzz locally.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from rig.services.endpoints import ServiceEndpoints
from rig.services.testing import running_services
from tests.services.helpers import T0, bind

EXAMPLES = int(os.environ.get("RIG_FUZZ_EXAMPLES", "10"))  # more for a deeper local run
_SCHEMAS: dict[str, Any] = {}  # each service's OpenAPI, read once over HTTP
CALLERS = {"HPL": "ESI-ALICE", "SGE": "ESI-HANK", "clearinghouse": "SGE"}
OPERATOR = {"HPL": "HPL", "SGE": "SGE", "clearinghouse": "CH"}


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[tuple[ServiceEndpoints, dict[str, str]]]:
    from rig.clock import VirtualClock

    with running_services(clock=VirtualClock(T0)) as svc:
        binding = bind(svc, "HPL", "ESI-ALICE", "PREM-ALICE", "EP-ALICE-240", "PEV-ALICE")
        _SCHEMAS.clear()
        yield svc, {"binding_id": binding["binding_id"]}
        _SCHEMAS.clear()


def _anchor(body: Any, service: str, binding_id: str) -> Any:
    """Replace ID fields of a generated body with real ones for the caller."""
    if not isinstance(body, dict):
        return body
    real = {
        "HPL": {
            "premise_id": "PREM-ALICE",
            "esi_id": "ESI-ALICE",
            "portal_id": "EP-ALICE-240",
            "pev_id": "PEV-ALICE",
            "binding_id": binding_id,
            "account_id": "ACC-ALICE",
            "home_utility_id": "HPL",
            "roaming_utility_id": "SGE",
            "tariff_id": "HPL-PEV-TOU",
        },
        "SGE": {
            "premise_id": "PREM-HANK",
            "esi_id": "ESI-HANK",
            "portal_id": "EP-HANK-240",
            "pev_id": "PEV-ALICE",
        },
        "clearinghouse": {
            "roaming_utility_id": "SGE",
            "home_utility_id": "HPL",
            "pev_id": "PEV-ALICE",
            "account_id": "ACC-ALICE",
        },
    }[service]
    return {k: real.get(k, v) for k, v in body.items()}


def _operations() -> list[tuple[str, str, str]]:
    """(service, method, path) of every operation (``test_operations_are_all_listed``
    checks this list against the published OpenAPI)."""
    utility = [
        ("GET", "/audit"),
        ("POST", "/bindings"),
        ("POST", "/bindings/{binding_id}/energy-requests"),
        ("GET", "/signals"),
        ("POST", "/signals"),
        ("POST", "/sessions/{session_id}/intervals"),
        ("GET", "/sessions/{session_id}"),
        ("GET", "/accounts/{account_id}/statement"),
        ("POST", "/roaming/charges"),
    ]
    clearinghouse = [
        ("GET", "/audit"),
        ("POST", "/pev-validations"),
        ("POST", "/roaming-charges"),
        ("GET", "/roaming-charges/{charge_id}"),
        ("GET", "/settlements"),
    ]
    return [("HPL", m, p) for m, p in utility] + [("clearinghouse", m, p) for m, p in clearinghouse]


def test_operations_are_all_listed(fuzzed: tuple[ServiceEndpoints, dict[str, str]]) -> None:
    svc, _ = fuzzed
    listed = set(_operations())
    for service in ("HPL", "clearinghouse"):
        spec = httpx.get(svc.urls[service] + "/openapi.json").json()
        for path, methods in spec["paths"].items():
            for method in methods:
                if path != "/health":
                    assert (service, method.upper(), path) in listed


@pytest.mark.parametrize("mode", ["positive", "negative", "anchored"])
@pytest.mark.parametrize(("service", "method", "path"), _operations())
def test_no_server_error_for_any_input(
    fuzzed: tuple[ServiceEndpoints, dict[str, str]],
    service: str,
    method: str,
    path: str,
    mode: str,
) -> None:
    svc, ids = fuzzed
    url = svc.urls[service]
    if service not in _SCHEMAS:
        _SCHEMAS[service] = schemathesis.openapi.from_url(url + "/openapi.json")
    operation = _SCHEMAS[service][path][method]
    generation = GenerationMode.NEGATIVE if mode == "negative" else GenerationMode.POSITIVE
    strategy = operation.as_strategy(generation_mode=generation)
    callers = [CALLERS[service], OPERATOR[service]]
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        if mode == "anchored":
            case.body = _anchor(case.body, service, ids["binding_id"])
            if case.path_parameters and "binding_id" in case.path_parameters:
                case.path_parameters["binding_id"] = ids["binding_id"]
        wait = (case.query or {}).get("wait_s")
        if isinstance(wait, int | float) and wait > 0.1:  # a long poll: keep it short here
            case.query["wait_s"] = 0.1
        for caller in callers:
            token = svc.token(caller)
            response = case.call(base_url=url, headers={"Authorization": f"Bearer {token}"})
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {case.body!r} → {response.text[:300]}")

    run()
    assert not failures, failures[:3]
