"""The data set loader, database URLs, schema versions and the outbox's retries."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import update

from rig.services.cluster import database_url
from rig.services.dataset import load_dataset
from rig.services.db import Database, StorageError, sqlite_url
from rig.services.endpoints import ServiceEndpoints
from rig.services.testing import DEFAULT_DATA
from rig.yamlfile import YamlFileError
from tests.services.helpers import bind, charge, next_local, session_lines, total


def _broken(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = DEFAULT_DATA.read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return path


def test_the_fixture_covers_two_utilities_and_every_site_kind() -> None:
    ds = load_dataset(DEFAULT_DATA)
    assert set(ds.utilities) == {"HPL", "SGE"}
    assert {p.kind for p in ds.premises.values()} == {
        "residential",
        "public",
        "multi_family",
        "workplace",
    }
    assert {q.kind for q, _ in ds.portals.values()} == {"cordset_120", "evse_240", "dc"}
    assert {g.kind for g in ds.programs.values()} == {"TOU", "DLC", "RTP", "ALM"}


def test_a_dangling_reference_is_reported_with_its_position_and_a_suggestion(
    tmp_path: Path,
) -> None:
    path = _broken(
        tmp_path,
        ("default_tariff_id: HPL-RES-FLAT\n", "default_tariff_id: HPL-RES-FLAX\n"),
        ("{id: PEV-ERIN, account_id: ACC-ERIN}", "{id: PEV-ERIN, account_id: ACC-ERN}"),
    )
    with pytest.raises(YamlFileError) as caught:
        load_dataset(path)
    text = str(caught.value)
    lines = text.splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{path}:") for line in lines)
    assert "unknown tariff 'HPL-RES-FLAX' in HPL (did you mean 'HPL-RES-FLAT'?)" in text
    assert "did you mean 'ACC-ERIN'?" in text
    line_no = int(lines[0].split(":")[1])
    assert "HPL-RES-FLAX" in path.read_text().splitlines()[line_no - 1]


def test_an_unknown_key_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path = _broken(tmp_path, ("revenue_meter: false\n", "revenue_metre: false\n"))
    with pytest.raises(YamlFileError) as caught:
        load_dataset(path)
    assert "unknown key (did you mean 'revenue_meter'?)" in str(caught.value)


def test_duplicate_ids_and_shared_tokens_are_refused(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        ("{id: CUST-BOB, name: Bob Brown}", "{id: CUST-ALICE, name: Bob Brown}"),
        ("token: esi-bob-token-8a4f2b6c9e", "token: esi-alice-token-5d2c8e1f"),
    )
    with pytest.raises(YamlFileError) as caught:
        load_dataset(path)
    text = str(caught.value)
    assert "ID 'CUST-ALICE' is already used" in text
    assert "already another caller's" in text


def test_database_urls_per_service(tmp_path: Path) -> None:
    assert database_url(None, tmp_path, "HPL") == (sqlite_url(str(tmp_path / "hpl.sqlite")), "")
    assert database_url("sqlite:////x/{service}.db", tmp_path, "SGE") == ("sqlite:////x/sge.db", "")
    url, prefix = database_url("sqlite:////x/rig.db", tmp_path, "clearinghouse")
    assert url.endswith("/x/rig-clearinghouse.db") and prefix == ""
    assert database_url("postgresql://u@h/rig", tmp_path, "HPL") == (
        "postgresql://u@h/rig",
        "hpl_",
    )


def test_a_database_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    url = sqlite_url(str(tmp_path / "x.sqlite"))
    db = Database(url)
    db.create(0.0)
    with db.write() as conn:
        sv = db.tables.schema_version
        conn.execute(update(sv).values(version=99))
    db.dispose()
    again = Database(url)
    with pytest.raises(StorageError, match="schema version 99"):
        again.create(0.0)
    again.dispose()
    with pytest.raises(StorageError, match="in-memory"):
        Database("sqlite://")


def test_a_roaming_charge_waits_in_the_outbox_until_the_clearinghouse_answers(
    fresh: ServiceEndpoints,
) -> None:
    assert fresh.cluster is not None
    sge = fresh.cluster.services["SGE"]
    real = sge.outbox.targets["clearinghouse"]
    sge.outbox.targets["clearinghouse"] = "http://127.0.0.1:9"  # nobody listens there
    next_local(fresh, 23, 0)
    s = charge(
        fresh,
        "SGE",
        "ESI-HANK",
        "PREM-HANK",
        "EP-HANK-240",
        "PEV-ALICE",
        ["1.0"] * 4,
        binding_extra={"roaming_option": "guest_rate"},
    )
    assert s.binding["scenario"] == "SC-4"
    assert [m["key"] for m in sge.outbox.pending()] == [f"SGE:{s.session_id}"]
    assert session_lines(fresh, "HPL", "ACC-ALICE", s.session_id) == []
    sge.outbox.targets["clearinghouse"] = real
    sge.outbox.nudge()
    deadline = time.monotonic() + 10
    while sge.outbox.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sge.outbox.pending() == []
    assert str(total(session_lines(fresh, "HPL", "ACC-ALICE", s.session_id))) == "1.00"


def test_clearinghouse_unreachable_means_premise_pays_without_incentive(
    fresh: ServiceEndpoints,
) -> None:
    assert fresh.cluster is not None
    sge = fresh.cluster.services["SGE"]
    real = sge.clearinghouse_url
    sge.clearinghouse_url = "http://127.0.0.1:9"  # BR-01: communication fails
    try:
        b = bind(fresh, "SGE", "ESI-HANK", "PREM-HANK", "EP-HANK-240", "PEV-ALICE")
    finally:
        sge.clearinghouse_url = real
    assert (b["bound"], b["incentive"], b["payer_account_id"]) == (False, False, "ACC-HANK")
    assert "BR-01" in b["requirement_ids"]
