"""The world one plan runs in: a fresh bench, the services, the actors — and its end.

:func:`open_world` builds everything a plan needs and tears it all down on exit,
whatever the exit:

1. **The data set** (``fixtures/utilities/<utility_data>.yaml``) says where the
   plan happens: the premise, its portal and EUMD, its ESI, its utility, and the
   PEV's home utility (:class:`Place`).
2. **The clock.** A simulated bench with embedded services runs on a
   :class:`~rig.clock.VirtualClock` starting at the plan's ``start``; with external
   services it is the wall clock shifted by the services' offset
   (:class:`~rig.runner.api.ServiceTarget`); a lab bench with embedded services runs
   on the wall clock shifted so that it reads the plan's ``start`` at the outset.
3. **The bench.** A simulated bench gets the plan's overrides (``seed``,
   ``evse_max``, ``supply`` — by default the portal's own — and
   ``premise_base_load``), its simulators are started on 127.0.0.1, and its drivers
   opened in a :class:`~rig.bench.safe.Bench`, which goes to safe state on entry.
4. **The services**: a fresh :class:`~rig.services.cluster.Cluster` on the same
   clock with the plan's data set (parsed once per process) — started one plan
   ahead by the services host (:mod:`rig.services.host`) on a virtual
   clock, in-process otherwise — or reached by URL. The bench and the services
   start in parallel. A defect-injected bench (:mod:`rig.bench.defects`) makes every
   utility's front door defective as its bench file says.
5. **The actors** on top (:mod:`rig.runner.actors`, :mod:`rig.esi.session`), with
   the ESI's outbox and audit log in a scratch directory (in RAM where possible).

On exit the links close and the bench goes to safe state — confirmed by reading
back, and a :class:`~rig.bench.safe.SafeStateError` if it cannot be, which the
runner turns into a failed plan. Closing the drivers, stopping the simulators and
the services then finishes in the background (:func:`~rig.runner.teardown.finish_teardowns`).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from drivers.sim.model import NOMINAL_VOLTAGE_V
from rig import bundled
from rig.bench.build import open_bench
from rig.bench.config import BenchConfig, load_bench
from rig.bench.lease import bench_lease
from rig.bench.safe import Bench
from rig.bench.simulated import SimulatedBench
from rig.bench.stop_signals import teardown_exit
from rig.clock import Clock, WallClock
from rig.esi.audit import AuditLog
from rig.esi.link import (
    ServiceLink,
    UnreachableLog,
    UtilityLink,
    UtilityProtocol,
    outbox_sender,
)
from rig.esi.metering import eumd_patience_s
from rig.esi.outbox import Outbox
from rig.esi.session import Esi, EsiSetup, Signal
from rig.plans import Plan
from rig.record import SessionRecord
from rig.runner.actors.evse import EvseControl
from rig.runner.actors.pev import PevAgent
from rig.runner.facts import Place, initial_facts, place_of
from rig.runner.judging.published import Publication
from rig.runner.loop import Loop, Sampling
from rig.runner.outcome import ServiceTarget
from rig.runner.recorder import Recorder, meter_timeline, register_wrap
from rig.runner.supervision import Bands, Supervisor
from rig.runner.teardown import close_later
from rig.runner.utility_links import open_links
from rig.services.cluster import SEP2_SUFFIX, Cluster
from rig.services.dataset import LoadedDataset, load_dataset
from rig.services.endpoints import ServiceEndpoints
from rig.services.host import MirroredClock, services_host

log = logging.getLogger("rig.runner")
UTILITY_DATA = bundled.UTILITY_DATA


@lru_cache(maxsize=8)
def dataset(name: str) -> LoadedDataset:
    """The utility data set ``fixtures/utilities/<name>.yaml`` (read once per process)."""
    return load_dataset(UTILITY_DATA / f"{name}.yaml")


@lru_cache(maxsize=8)
def _bench_file(path: Path) -> BenchConfig:
    return load_bench(path)


def bench_config(plan: Plan, path: Path, place: Place) -> BenchConfig:
    """The bench file with the plan's overrides applied (simulation only, but evse_max)."""
    config = _bench_file(path)
    sim = config.simulation
    if sim is None:
        return config
    overrides = plan.bench
    update: dict[str, Any] = {"supply": overrides.supply or place.supply}
    if overrides.seed is not None:
        update["seed"] = overrides.seed
    if overrides.evse_max is not None:
        update["evse_max_a"] = overrides.evse_max.amps
    if plan.start is not None:
        update["start"] = plan.start
    if overrides.premise_base_load is not None and sim.premise is not None:
        update["premise"] = sim.premise.model_copy(
            update={"base_load_w": overrides.premise_base_load.kw * 1000.0}
        )
    return config.model_copy(update={"simulation": sim.model_copy(update=update)})


def make_clock(plan: Plan, config: BenchConfig, services: ServiceTarget | None) -> Clock:
    """The bench clock (see the module docstring).

    On the wall clock with embedded services, the plan's ``start`` becomes the
    clock's offset, so "now" reads the plan's start at plug-in for the bench and the
    services alike — how a short plan crosses a tariff boundary on a lab bench.
    """
    if services is not None:
        return WallClock(services.clock_offset_s)
    sim = config.simulation
    if sim is None or sim.clock == "wall":
        return WallClock(plan.start.timestamp() - time.time() if plan.start else 0.0)
    start = plan.start or sim.start
    return MirroredClock(start if start is not None else 0.0)


@dataclass
class World:
    """Everything one plan runs with; built by :func:`open_world`."""

    plan: Plan
    place: Place
    clock: Clock
    config: BenchConfig
    bench: Bench
    sim: SimulatedBench | None
    endpoints: ServiceEndpoints
    links: dict[str, UtilityLink]
    """The ESI's line to each utility, by utility ID (outages cut these)."""
    protocol: UtilityProtocol
    """How the ESI talks to its utility (:func:`utility_protocol`)."""
    record: SessionRecord
    recorder: Recorder
    pev: PevAgent
    evse: EvseControl
    esi: Esi
    loop: Loop
    signals: list[Signal] = field(default_factory=list)
    """Every grid signal the ESI received, in order."""
    published: list[Publication] = field(default_factory=list)
    """Every grid signal the plan's steps published, in order (what the oracle judges by)."""
    clearinghouse_reachable: bool = True
    """Cleared by ``clearinghouse_unreachable``, set again by ``clearinghouse_back``."""
    unreachable: UnreachableLog = field(default_factory=UnreachableLog)
    """The services any link of the plan could not reach (not the outages it injected)."""

    def operator(self, utility_id: str) -> ServiceLink:
        """The utility's own operator (publishes grid signals; reads its books)."""
        url = self.endpoints.urls[utility_id]
        return ServiceLink(utility_id, url, self.endpoints.token(utility_id), log=self.unreachable)


@contextmanager
def _services(
    name: str, data: LoadedDataset, clock: Clock, target: ServiceTarget | None
) -> Iterator[ServiceEndpoints]:
    """The plan's services: by URL, or a fresh :class:`~rig.services.cluster.Cluster`.

    On a virtual clock the fresh cluster comes from the services host
    (:mod:`rig.services.host`), started one plan ahead in a helper process
    and reading the plan's clock; otherwise (wall clock, host warming up or failed)
    it starts here, with the data set already loaded, the plan's clock, and its
    databases in a scratch directory (RAM where possible) that goes with it.
    """
    if target is not None:
        urls = {k: v for k, v in target.urls.items() if not k.endswith(SEP2_SUFFIX)}
        sep2 = {k.removesuffix(SEP2_SUFFIX): v for k, v in target.urls.items() if k not in urls}
        yield ServiceEndpoints(
            urls=urls, dataset=data, clock=None, sep2_urls=sep2, sep2_tls=target.sep2_tls
        )
        return
    host = services_host() if isinstance(clock, MirroredClock) else None
    lease = host.take(str(UTILITY_DATA / f"{name}.yaml")) if host else None
    if host is not None and lease is not None:
        assert isinstance(clock, MirroredClock)
        clock.bind(host.memory, lease.slot)
        try:
            yield ServiceEndpoints(
                urls=lease.urls, dataset=data, clock=clock, sep2_urls=lease.sep2_urls
            )
        finally:
            host.release(lease)
        return
    with tempfile.TemporaryDirectory(prefix="rig-services-", dir=_scratch_root()) as state:
        cluster = Cluster(data, state_dir=Path(state))
        cluster.clock = clock
        with cluster:
            yield ServiceEndpoints(
                urls=dict(cluster.endpoints),
                dataset=data,
                clock=clock,
                cluster=cluster,
                sep2_urls=dict(cluster.sep2_endpoints),
            )


@contextmanager
def _bench(
    config: BenchConfig, clock: Clock, plan_id: str
) -> Iterator[tuple[Bench, SimulatedBench | None]]:
    with ExitStack() as stack:
        sim = None
        if config.simulation is not None:
            sim = stack.enter_context(SimulatedBench(config, clock=clock))
            config = sim.config
        stack.enter_context(bench_lease(config, f"plan {plan_id}"))  # before any driver opens
        bench = stack.enter_context(open_bench(config, clock))
        yield bench, sim


@contextmanager
@teardown_exit  # a stop signal landing as the world closes is held, not raised into it
def open_world(
    plan: Plan,
    bench_file: Path,
    services: ServiceTarget | None,
    protocol: UtilityProtocol | None = None,
) -> Iterator[World]:
    """Build the plan's world; tear it down on exit (see the module docstring).

    The bench and the services start side by side (each takes a few hundred
    milliseconds); a failure of either is raised once both are done. On exit the
    bench goes to safe state *here*, confirmed by reading back — a
    :class:`~rig.bench.safe.SafeStateError` is raised from this block — and the rest
    (closing the drivers, stopping the simulators and the services, another
    ~0.3 s) finishes on a background thread while the next plan starts;
    :func:`~rig.runner.teardown.finish_teardowns` waits for it, and so does the interpreter at exit.

    ``protocol`` is the utility protocol the run chose (``--utility-protocol``);
    ``None`` takes the premise's utility's setting in the data set.
    """
    data = dataset(plan.utility_data)
    place = place_of(plan, data)
    chosen = utility_protocol(place, protocol)
    config = bench_config(plan, bench_file, place)
    clock = make_clock(plan, config, services)
    parts: list[AbstractContextManager[Any]] = [
        _bench(config, clock, plan.plan),
        _services(plan.utility_data, data, clock, services),
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        started = [pool.submit(part.__enter__) for part in parts]
    entered = [part for part, future in zip(parts, started, strict=True) if not future.exception()]
    try:
        _raise_first(started)
        (bench, sim), endpoints = started[0].result(), started[1].result()
        if config.defects is not None and config.defects.services():
            for utility in data.utilities:  # a defect-injected bench: every utility's door
                endpoints.inject(utility, config.defects.services())
        try:
            with (
                tempfile.TemporaryDirectory(prefix="rig-plan-", dir=_scratch_root()) as scratch,
                _actors(
                    plan, place, clock, config, bench, sim, endpoints, Path(scratch), chosen
                ) as world,
            ):
                if isinstance(clock, WallClock) and services is None and plan.start:
                    clock.offset_s = plan.start.timestamp() - time.time()  # set-up took a while
                yield world
        finally:
            bench.safe_state()
    finally:
        close_later(entered)


def utility_protocol(place: Place, chosen: UtilityProtocol | None) -> UtilityProtocol:
    """The protocol the ESI speaks: the run's choice, else the utility's in the data set."""
    return chosen if chosen is not None else place.utility.protocol


def _scratch_root() -> str | None:
    """Where the ESI's outbox and audit log live for one plan: RAM when there is a tmpfs.

    The outbox commits every message with ``synchronous=FULL``; on a disk that is
    ~7 ms per message, on tmpfs ~20 µs. Their durability only needs to outlast the
    rig's process within the plan (the directory goes when the plan ends), which a
    tmpfs gives.
    """
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _raise_first(futures: list[Future[Any]]) -> None:
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error


@contextmanager
def _actors(
    plan: Plan,
    place: Place,
    clock: Clock,
    config: BenchConfig,
    bench: Bench,
    sim: SimulatedBench | None,
    endpoints: ServiceEndpoints,
    scratch: Path,
    protocol: UtilityProtocol,
) -> Iterator[World]:
    record = SessionRecord(
        plan_id=plan.plan,
        facts=initial_facts(plan, place),
        load_accuracy_pct=config.load.power_accuracy_pct,
    )
    wired = sim.config if sim is not None else config  # where the simulators listen
    record.eumd = meter_timeline(
        place.eumd_id or "EUMD", bench.eumd, config.eumd.accuracy_pct, wired.eumd.describe()
    )
    if bench.premise_meter is not None and config.premise_meter is not None:
        record.premise_meter = meter_timeline(
            f"{place.premise.id}-revenue", bench.premise_meter, config.premise_meter.accuracy_pct
        )
    if bench.reference is not None and wired.reference is not None:
        record.reference = meter_timeline(
            "reference", bench.reference, wired.reference.accuracy_pct, wired.reference.describe()
        )
    recorder = Recorder(bench, clock, record)
    unreachable = UnreachableLog()
    links = open_links(protocol, place, endpoints, clock, unreachable)
    audit = AuditLog(scratch / "esi-audit.jsonl", clock)
    utility = links[place.utility.id]

    send = outbox_sender(utility)
    with Outbox(scratch / "esi-outbox.sqlite", clock, send, audit=audit) as outbox:
        esi = Esi(
            EsiSetup(
                esi_id=place.esi_id,
                premise_id=place.premise.id,
                portal_id=place.portal.id,
                eumd_id=place.eumd_id,
                interval_s=place.utility.interval_s,
            ),
            utility,
            clock,
            outbox,
            audit,
            recorder.eumd,
            eumd_rollover_wh=lambda: register_wrap(bench.eumd),
        )
        pev = PevAgent(plan.pev, bench.pilot, bench.load, record.setpoints)
        volts = NOMINAL_VOLTAGE_V[place.supply]
        rating = place.portal.max_kw * 1000.0 / volts
        if plan.bench.evse_max is not None:
            rating = min(rating, plan.bench.evse_max.amps)
        if config.simulation is not None:
            rating = min(rating, config.simulation.evse_max_a)
        evse = EvseControl(bench.pilot, record.ampacity, rating_a=rating, volts=volts)
        sampling = Sampling.for_clock(clock)
        bands = Bands(
            follow_s=sampling.settle_max_s,
            current_a=sampling.current_tolerance_a,
            meter_accuracy_pct=config.eumd.accuracy_pct,
            meter_silence_s=eumd_patience_s(place.utility.interval_s),
        )
        world = World(
            plan=plan,
            place=place,
            clock=clock,
            config=config,
            bench=bench,
            sim=sim,
            endpoints=endpoints,
            links=links,
            protocol=protocol,
            record=record,
            recorder=recorder,
            pev=pev,
            evse=evse,
            esi=esi,
            loop=Loop(clock, recorder, pev, evse, esi, lambda: None, sampling, Supervisor(bands)),
            unreachable=unreachable,
        )
        try:
            yield world
        finally:
            for link in links.values():
                link.close()
