"""The results file: write, read back with validation, merge runs and workers."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from rig.results import (
    BenchIdentity,
    InstrumentIdentity,
    MeasurementRecord,
    PlanEndRecord,
    PlanStartRecord,
    ResultsFileError,
    ResultsWriter,
    RunEndRecord,
    RunRecord,
    SeriesRecord,
    StepRecord,
    merge_results,
    read_results,
    software_version,
)
from rig.results.measurements import Limits, Measurement, Verdict

T0 = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


def _run(run_id: str, worker: str = "", start: dt.datetime = T0) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        started_at=start,
        software_version="v0-test",
        bench=BenchIdentity(
            name="sim",
            file="fixtures/benches/sim.yaml",
            file_sha256="ab" * 32,
            simulated=True,
            instruments=(
                InstrumentIdentity(
                    role="eumd",
                    driver="sdm630",
                    idn="Eastron SDM630",
                    serial="SIM-1",
                    calibration_due=dt.date(2027, 3, 31),
                    accuracy_class="C12.20 0.5",
                ),
            ),
        ),
        seed=7,
        operator="ci",
        host="runner",
        worker=worker,
    )


def _write_plan(writer: ResultsWriter, run_id: str, plan: str) -> None:
    writer.write(PlanStartRecord(run_id=run_id, plan=plan, requirements=("SC-1",), started_at=T0))
    writer.write(
        StepRecord(
            run_id=run_id,
            plan=plan,
            index=0,
            kind="plug_in",
            source_line=12,
            started_at=T0,
            ended_at=T0,
            outcome="passed",
        )
    )
    writer.measurement(
        run_id,
        plan,
        0,
        Measurement.within(
            "J-05 contactor close",
            1.0,
            "s",
            Limits(high=3.0, marginal_high=2.5),
            requirements=["J-05"],
            series=["contactor"],
        ),
    )
    writer.measurement(
        run_id, plan, None, Measurement.equals("amount", Decimal("1.10"), Decimal("1.10"))
    )
    writer.write(
        SeriesRecord(run_id=run_id, plan=plan, name="contactor", points=((0.0, 0.0), (1.0, 1.0)))
    )
    writer.write(PlanEndRecord(run_id=run_id, plan=plan, ended_at=T0, verdict=Verdict.PASS))


def test_round_trip_keeps_decimals_and_verdicts(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    with ResultsWriter(path) as writer:
        writer.write(_run("r1"))
        _write_plan(writer, "r1", "sc1_home")
        writer.write(RunEndRecord(run_id="r1", ended_at=T0 + dt.timedelta(minutes=1)))
    records = read_results(path)
    assert [r.type for r in records] == [
        "run",
        "plan_start",
        "step",
        "measurement",
        "measurement",
        "series",
        "plan_end",
        "run_end",
    ]
    amount = records[4]
    assert isinstance(amount, MeasurementRecord)
    assert amount.decimal and amount.to_measurement().value == Decimal("1.10")
    assert json.loads(path.read_text().splitlines()[4])["value"] == "1.10"


def test_reader_refuses_a_verdict_the_numbers_do_not_support(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    with ResultsWriter(path) as writer:
        writer.write(_run("r1"))
        writer.write(PlanStartRecord(run_id="r1", plan="p", started_at=T0))
        record = MeasurementRecord.from_measurement(
            "r1", "p", None, Measurement.within("v", 9.0, "V", Limits(high=5.0))
        )
    lines = [line for line in path.read_text().splitlines()]
    forged = record.model_dump(mode="json") | {"verdict": "PASS"}
    path.write_text("\n".join([*lines, json.dumps(forged)]) + "\n")
    with pytest.raises(ResultsFileError, match=r"results.jsonl:3: .*records verdict PASS"):
        read_results(path)


def test_reader_names_file_and_line_of_a_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    with ResultsWriter(path) as writer:
        writer.write(_run("r1"))
    with path.open("a") as f:
        f.write('{"type": "step", "run_id": "r1", "plan": "p"}\n')
    with pytest.raises(ResultsFileError, match=r"results.jsonl:2: .*index"):
        read_results(path)
    path.write_text(PlanStartRecord(run_id="r1", plan="p", started_at=T0).model_dump_json() + "\n")
    with pytest.raises(ResultsFileError, match="first record must be the run record"):
        read_results(path)


def test_merge_of_workers_and_runs(tmp_path: Path) -> None:
    paths = []
    for index, (run_id, worker) in enumerate([("r2", ""), ("r1", "gw1"), ("r1", "gw0")]):
        path = tmp_path / f"part{index}.jsonl"
        with ResultsWriter(path) as writer:
            writer.write(_run(run_id, worker, T0 + dt.timedelta(hours=1 if run_id == "r2" else 0)))
            _write_plan(writer, run_id, f"plan-{worker or 'solo'}")
        paths.append(path)
    merged = merge_results(paths)
    assert [run.key for run in merged.runs] == [("r1", "gw0"), ("r1", "gw1"), ("r2", "")]
    assert merged.runs[0].plans["plan-gw0"].verdict is Verdict.PASS
    out = tmp_path / "merged.jsonl"
    merged.write(out)
    again = merge_results([out])
    assert [run.key for run in again.runs] == [run.key for run in merged.runs]
    with pytest.raises(ResultsFileError, match="appears twice"):
        merge_results([paths[0], paths[0]])


def test_a_series_never_recorded_reads_as_unrecorded(tmp_path: Path) -> None:
    """A file naming a series its plan never recorded still reads (services down)."""
    path = tmp_path / "results.jsonl"
    with ResultsWriter(path) as writer:
        writer.write(_run("r1"))
        writer.write(PlanStartRecord(run_id="r1", plan="p", started_at=T0))
        writer.measurement(
            "r1", "p", None, Measurement.equals("x", 1, 1, series=["load", "nowhere"])
        )
        writer.write(SeriesRecord(run_id="r1", plan="p", name="load", points=((0.0, 1.0),)))
    [measurement] = merge_results([path]).runs[0].plans["p"].measurements
    assert (measurement.series, measurement.unrecorded) == (("load",), ("nowhere",))
    again = tmp_path / "again.jsonl"
    merge_results([path]).write(again)
    [measurement] = merge_results([again]).runs[0].plans["p"].measurements
    assert (measurement.series, measurement.unrecorded) == (("load",), ("nowhere",))


def test_software_version_is_never_empty(tmp_path: Path) -> None:
    assert software_version(tmp_path) == "unknown"
    assert software_version() != ""
