"""Options: the bench, external services and the report directory, as the run session holds them."""

from __future__ import annotations

from plugin.support import Project
from rig.pytest_plugin.session import RUN
from rig.runner.api import DEFAULT_BENCH, ServiceTarget


def test_defaults_are_the_simulated_bench_embedded_services_and_reports(project: Project) -> None:
    run = project.pytester.parseconfigure().stash[RUN]
    assert run.bench_file == DEFAULT_BENCH
    assert run.bench.simulated
    assert run.services is None
    assert run.report_dir == project.pytester.path / "reports"


def test_external_services_and_a_lab_bench(project: Project) -> None:
    lab = project.pytester.path / "lab.yaml"
    lab.write_text(DEFAULT_BENCH.read_text(encoding="utf-8"), encoding="utf-8")
    config = project.pytester.parseconfigure(
        "--bench=lab.yaml",
        "--utility-url=HPL=http://10.0.0.5:8001",
        "--utility-url=SGE=http://10.0.0.6:8001",
        "--clearinghouse-url=http://10.0.0.7:8002",
        "--services-clock-offset=-3600",
        "--report=out",
    )
    run = config.stash[RUN]
    assert run.bench_file == lab
    assert run.services == ServiceTarget(
        urls={
            "clearinghouse": "http://10.0.0.7:8002",
            "HPL": "http://10.0.0.5:8001",
            "SGE": "http://10.0.0.6:8001",
        },
        clock_offset_s=-3600.0,
    )
    assert run.report_dir == project.pytester.path / "out"
