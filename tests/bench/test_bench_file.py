"""A bench file with a mistake is rejected with file, line, column and what is wrong.

One test per class of mistake. Each writes a small bench file, loads it, and checks
that the first issue points at the offending line and says what to do.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rig.bench.config import BenchConfig, load_bench
from rig.yamlfile import MAX_NODES, YamlFileError, YamlIssue
from tests.core.hostile import alias_bomb

GOOD = """\
bench: t
eumd:
  map: sdm630
  transport: {kind: modbus_tcp, host: 10.0.0.5, port: 502, unit: 1}
  accuracy_class: "C12.20 0.5"
load:
  dialect: chroma63800
  resource: "TCPIP0::10.0.0.6::5025::SOCKET"
pilot:
  dialect: can
  transport: {kind: can, interface: pcan, channel: PCAN_USBBUS1, bitrate: 500000}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def issues(tmp_path: Path, text: str) -> list[YamlIssue]:
    path = write(tmp_path, text)
    with pytest.raises(YamlFileError) as caught:
        load_bench(path)
    for issue in caught.value.issues:
        assert issue.file == str(path)
    return caught.value.issues


def test_good_file_loads(tmp_path: Path) -> None:
    config = load_bench(write(tmp_path, GOOD))
    assert isinstance(config, BenchConfig)
    assert not config.simulated
    assert config.eumd.accuracy_pct == 0.5


@pytest.mark.parametrize("path", ["fixtures/benches/sim.yaml", "fixtures/benches/lab-example.yaml"])
def test_shipped_bench_files_load(path: str) -> None:
    load_bench(Path(__file__).parents[2] / path)


def test_yaml_syntax_error(tmp_path: Path) -> None:
    found = issues(tmp_path, GOOD.replace("  map: sdm630", "  map: [sdm630"))
    assert found[0].line in (3, 4)
    assert "YAML syntax" in found[0].message


def test_unknown_key_with_suggestion(tmp_path: Path) -> None:
    text = GOOD.replace("channel: PCAN_USBBUS1", "chanel: PCAN_USBBUS1")
    found = issues(tmp_path, text)
    messages = {(i.line, i.where): i.message for i in found}
    assert (11, "pilot.transport.chanel") in messages
    assert "did you mean 'channel'" in messages[(11, "pilot.transport.chanel")]


def test_wrong_type(tmp_path: Path) -> None:
    found = issues(tmp_path, GOOD.replace("port: 502", "port: five-oh-two"))
    assert (found[0].line, found[0].where) == (4, "eumd.transport.port")
    assert "integer" in found[0].message


def test_out_of_range(tmp_path: Path) -> None:
    found = issues(tmp_path, GOOD.replace("unit: 1}", "unit: 300}"))
    assert (found[0].line, found[0].where) == (4, "eumd.transport.unit")
    assert "247" in found[0].message


def test_missing_key(tmp_path: Path) -> None:
    text = GOOD.replace('  resource: "TCPIP0::10.0.0.6::5025::SOCKET"\n', "")
    found = issues(tmp_path, text)
    assert found[0].line == 6
    assert "missing required key 'resource'" in found[0].message


def test_bad_accuracy_class(tmp_path: Path) -> None:
    found = issues(tmp_path, GOOD.replace('"C12.20 0.5"', '"C12.20 1.0"'))
    assert (found[0].line, found[0].where) == (5, "eumd.accuracy_class")
    assert "MID B" in found[0].message  # lists what is allowed


def test_unknown_transport_kind(tmp_path: Path) -> None:
    found = issues(tmp_path, GOOD.replace("kind: modbus_tcp", "kind: modbus_udp"))
    assert found[0].line == 4
    assert "modbus_rtu" in found[0].message


def test_bad_date(tmp_path: Path) -> None:
    text = GOOD.replace(
        "  dialect: chroma63800\n", "  dialect: chroma63800\n  calibration_due: 2027-13-01\n"
    )
    found = issues(tmp_path, text)
    assert (found[0].line, found[0].where) == (8, "load.calibration_due")


def test_duplicate_key(tmp_path: Path) -> None:
    found = issues(tmp_path, GOOD.replace("  map: sdm630\n", "  map: sdm630\n  map: sunspec\n"))
    assert found[0].line == 4
    assert "duplicate key" in found[0].message


def test_unknown_driver_names_list_the_known_ones(tmp_path: Path) -> None:
    text = GOOD.replace("map: sdm630", "map: sdm360").replace("chroma63800", "chroma6380")
    found = issues(tmp_path, text)
    by_where = {i.where: i for i in found}
    assert by_where["eumd.map"].line == 3
    assert "did you mean 'sdm630'" in by_where["eumd.map"].message
    assert by_where["load.dialect"].line == 7
    assert "it8600" in by_where["load.dialect"].message


def test_simulator_placeholders_rejected_on_a_real_bench(tmp_path: Path) -> None:
    text = GOOD.replace("port: 502", "port: 0").replace("channel: PCAN_USBBUS1", "channel: auto")
    found = issues(tmp_path, text)
    assert [(i.line, i.where) for i in found] == [
        (4, "eumd.transport.port"),
        (11, "pilot.transport.channel"),
    ]
    assert "502" in found[0].message


def test_simulated_bias_outside_accuracy_class(tmp_path: Path) -> None:
    text = GOOD + "simulation:\n  seed: 1\n  eumd:\n    bias_pct: 0.8\n"
    found = issues(tmp_path, text)
    assert (found[0].line, found[0].where) == (15, "simulation.eumd.bias_pct")
    assert "C12.20 0.5" in found[0].message


def test_every_issue_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("unit: 1}", "unit: -1}").replace("bitrate: 500000", "bitrate: fast")
    found = issues(tmp_path, text)
    assert [i.line for i in found] == [4, 11]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(YamlFileError, match="cannot read"):
        load_bench(tmp_path / "nope.yaml")


def test_issue_text_is_file_line_col(tmp_path: Path) -> None:
    found = issues(tmp_path, GOOD.replace("unit: 1}", "unit: 300}"))
    assert str(found[0]).startswith(f"{tmp_path / 'bench.yaml'}:4:")


def test_simulated_sunspec_total_of_zero(tmp_path: Path) -> None:
    text = GOOD.replace("map: sdm630", "map: sunspec") + "simulation:\n  seed: 1\n"
    found = issues(tmp_path, text)
    assert found[0].where == "simulation.eumd.start_total_wh"
    assert "not implemented" in found[0].message


# ---------------------------------------------------------------- hostile input (issue 8)


def test_an_alias_bomb_bench_file_is_refused_in_milliseconds(tmp_path: Path) -> None:
    started = time.monotonic()
    (issue,) = issues(tmp_path, GOOD + alias_bomb().replace("l", "x_l"))
    assert time.monotonic() - started < 2
    assert str(issue).endswith(
        f"bench.yaml:17:56: aliases expand this document beyond {MAX_NODES} nodes (an alias bomb?)"
    )


@pytest.mark.parametrize(
    ("value", "spot"),
    [(".nan", (8, 14)), (".inf", (8, 14)), ("nan", (8, 3)), ("inf", (8, 3)), ("1e400", (8, 3))],
)
def test_a_non_finite_timeout_is_refused(tmp_path: Path, value: str, spot: tuple[int, int]) -> None:
    """YAML's own ``.nan`` is refused at the value; text a float field would read as
    infinity or NaN is refused by the model, at the key."""
    text = GOOD.replace(
        "  dialect: chroma63800\n", f"  dialect: chroma63800\n  timeout_s: {value}\n"
    )
    (issue,) = issues(tmp_path, text)
    assert (issue.line, issue.column, issue.where) == (*spot, "load.timeout_s")


def test_a_device_as_bench_file_is_refused_unread() -> None:
    with pytest.raises(YamlFileError, match=r"^/dev/zero:1:1: cannot read: not a regular file$"):
        load_bench("/dev/zero")


def test_a_bench_file_that_is_not_utf8_is_placed(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_bytes(GOOD.replace("bench: t", "bench: t\xe9").encode("latin-1"))
    with pytest.raises(YamlFileError) as caught:
        load_bench(path)
    assert str(caught.value) == f"{path}:1:9: not UTF-8: byte 0xe9 invalid continuation byte"


def test_rig_refuses_an_alias_bomb_bench_file_with_exit_2_in_seconds(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + alias_bomb().replace("l", "x_l"))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "rig.cli", "bench", "check", "--bench", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert time.monotonic() - started < 10
    assert done.returncode == 2, done.stderr
    assert f"{path}:17:56: aliases expand this document beyond" in done.stderr
    assert "Traceback" not in done.stderr
