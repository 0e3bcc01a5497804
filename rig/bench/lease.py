"""One bench, one run: an exclusive lease on a bench's instruments, taken before any opens.

Two runs driving one bench at once is a safety fault, not a scheduling nuisance: the
second run's safe state switches the load off and the pilot to A underneath the
first, and both "charge" against the same meter. So opening a bench
(:func:`rig.bench.build.open_bench`) first takes a :class:`BenchLease`:

- one lock file per instrument *address* (the EUMD's and premise meter's Modbus
  transport, the load's VISA resource, the pilot's CAN or serial link), so two bench
  files that name the same load under different bench names still exclude each other;
- each lock is an ``fcntl.flock`` on ``<lease dir>/<address digest>.lock``, taken
  without waiting. The lease directory is ``$RIG_LEASE_DIR``, else
  ``<temp dir>/rig-leases`` (one per station PC, shared by its users);
- the lock file holds the holder as JSON: pid, host, plan (or command) and start time.
  A second run is refused at once with :class:`BenchInUse`, which names the holder,
  before any instrument is touched;
- the kernel drops a ``flock`` when its process dies, however it dies (SIGKILL, power
  loss of the station PC excepted — the file then survives but the lock does not), so
  a stale lease is recovered by simply taking it; the previous holder's record is
  logged as recovered.

Within one process the lease is re-entrant: the pytest plugin opens the bench once per
plan, and the teardown of one plan may still be closing drivers while the next opens
them. Separate processes (pytest-xdist workers included) never share a lease.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import socket
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from rig.bench.config import BenchConfig

log = logging.getLogger("rig.bench.lease")


@dataclass(frozen=True)
class Holder:
    """Who holds a bench: enough for an operator to find the run and its owner."""

    pid: int
    host: str
    plan: str
    started: str
    address: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, running {self.plan!r} since {self.started}"


class BenchInUse(RuntimeError):
    """Another live run holds one of this bench's instruments."""

    def __init__(self, bench: str, holder: Holder | None, address: str) -> None:
        self.bench = bench
        self.holder = holder
        who = holder.describe() if holder is not None else "another process (holder unknown)"
        super().__init__(
            f"bench '{bench}' is in use: {address} is leased by {who}. Nothing was sent to "
            "the bench. Wait for that run to finish, or stop it (its own safe state will "
            "switch the bench off), then run again."
        )


def lease_dir() -> Path:
    """Where the lock files live: ``$RIG_LEASE_DIR``, else ``<temp dir>/rig-leases``."""
    configured = os.environ.get("RIG_LEASE_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "rig-leases"


def _lock_path(address: str) -> Path:
    digest = hashlib.sha256(address.encode()).hexdigest()[:20]
    return lease_dir() / f"{digest}.lock"


def _read_holder(fd: int) -> Holder | None:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        return Holder(**json.loads(raw))
    except (ValueError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Held:
    """The locks this process holds, by address, with a use count (re-entrancy)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fds: dict[str, tuple[int, int]] = {}


_HELD = _Held()


def _take(bench: str, address: str, plan: str) -> None:
    fd, count = _HELD.fds.get(address, (-1, 0))
    if count:
        _HELD.fds[address] = (fd, count + 1)
        return
    path = _lock_path(address)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_holder(fd)
        os.close(fd)
        raise BenchInUse(bench, holder, address) from None
    previous = _read_holder(fd)
    if previous is not None and previous.pid != os.getpid() and not _alive(previous.pid):
        log.warning("recovered a stale lease on %s from %s", address, previous.describe())
    holder = Holder(
        pid=os.getpid(),
        host=socket.gethostname(),
        plan=plan,
        started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        address=address,
    )
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(asdict(holder)).encode(), 0)
    _HELD.fds[address] = (fd, 1)


def _give_back(address: str) -> None:
    fd, count = _HELD.fds[address]
    if count > 1:
        _HELD.fds[address] = (fd, count - 1)
        return
    del _HELD.fds[address]
    os.ftruncate(fd, 0)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


class BenchLease:
    """Exclusive use of the instruments at ``addresses``; a context manager.

    ``plan`` is what the holder record shows another run (a plan ID or a command).
    """

    def __init__(self, bench: str, addresses: list[str], plan: str) -> None:
        self.bench = bench
        self.addresses = sorted(set(addresses))
        self.plan = plan
        self._taken: list[str] = []

    def acquire(self) -> BenchLease:
        """Take every address's lock, or none: raise :class:`BenchInUse` at the first held."""
        with _HELD.lock:
            try:
                for address in self.addresses:
                    _take(self.bench, address, self.plan)
                    self._taken.append(address)
            except BaseException:
                self._release_taken()
                raise
        return self

    def release(self) -> None:
        with _HELD.lock:
            self._release_taken()

    def _release_taken(self) -> None:
        while self._taken:
            _give_back(self._taken.pop())

    def __enter__(self) -> BenchLease:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def bench_addresses(config: BenchConfig) -> list[str]:
    """Every instrument address of ``config``: what two benches must not share."""
    addresses = [f"meter {spec.transport.describe()}" for spec in config.meters().values()]
    addresses.append(f"load {config.load.describe()}")
    addresses.append(f"pilot {config.pilot.transport.describe()}")
    return addresses


def bench_lease(config: BenchConfig, plan: str) -> BenchLease:
    """The lease for ``config``'s instruments, held by ``plan`` (not yet taken)."""
    return BenchLease(config.bench, bench_addresses(config), plan)
