"""Start every service of a data set on 127.0.0.1 in this process, and stop them.

:class:`Cluster` is what both ``rig serve`` and the pytest fixture use. For a data
set with utilities ``A`` and ``B`` and a clearinghouse it

1. binds one listening socket per service on ``127.0.0.1`` (port 0: the OS picks
   free ports, so parallel test runs never collide) — the URLs are known before any
   service starts, so each can be told where the others are;
2. opens each service's database (see :func:`database_url`), creates the schema,
   stores the data set and seeds its signals;
3. runs one uvicorn server per service, each on its own thread and event loop,
   behind a :class:`~rig.services.faults.Reachability` switch
   (:meth:`Cluster.set_reachable`: the service answers 503 while cut).

:attr:`Cluster.endpoints` maps each service's name — the utility IDs and
``clearinghouse`` — to its base URL; :attr:`Cluster.sep2_endpoints` maps each
utility ID to the base URL of its IEEE 2030.5 server (:mod:`rig.services.sep2_api`:
the same service and database, ``application/sep+xml``, on a port of its own; cut
and restored with its utility; ``https://`` with client certificates when the cluster
has :attr:`Cluster.sep2_tls`). :meth:`Cluster.stop` stops the servers,
flushes the audit logs and closes the databases; a cluster started again on the
same database files finds everything it had recorded.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from rig.clock import Clock, WallClock
from rig.services import clearinghouse_api, sep2_api, utility_api
from rig.services.clearinghouse_service import ClearinghouseService
from rig.services.dataset import LoadedDataset, load_dataset
from rig.services.db import Database, sqlite_url
from rig.services.faults import Reachability, ServiceDefects
from rig.services.sep2_tls import Sep2Tls
from rig.services.utility_service import UtilityService

CLEARINGHOUSE = "clearinghouse"


def database_url(db: str | None, state_dir: Path, service: str) -> tuple[str, str]:
    """The URL and table prefix of one service's database.

    * no ``db``: a SQLite file ``<state_dir>/<service>.sqlite``;
    * a URL containing ``{service}``: that URL with the service's name filled in;
    * a SQLite URL: the file name gets ``-<service>`` before its suffix, one file each;
    * any other URL (PostgreSQL): one shared database, tables prefixed ``<service>_``.
    """
    name = service.lower().replace(":", "_").replace(".", "_")
    if db is None:
        state_dir.mkdir(parents=True, exist_ok=True)
        return sqlite_url(str(state_dir / f"{name}.sqlite")), ""
    if "{service}" in db:
        return db.replace("{service}", name), ""
    url = make_url(db)
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database)
        return str(url.set(database=str(path.with_name(f"{path.stem}-{name}{path.suffix}")))), ""
    return db, f"{name}_"


SEP2_SUFFIX = ":2030.5"


def sep2_name(utility_id: str) -> str:
    """The name of a utility's IEEE 2030.5 server among the cluster's servers."""
    return utility_id + SEP2_SUFFIX


@dataclass
class _Running:
    name: str
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread
    service: UtilityService | ClearinghouseService
    db: Database
    switch: Reachability


@dataclass
class Cluster:
    """All services of one data set, running on 127.0.0.1 until stopped."""

    dataset: LoadedDataset
    clock: Clock = field(default_factory=WallClock)
    db: str | None = None
    state_dir: Path = Path("reports/services")
    port: int = 0
    endpoints: dict[str, str] = field(default_factory=dict)
    sep2_endpoints: dict[str, str] = field(default_factory=dict)
    sep2_tls: Sep2Tls | None = None
    """The 2030.5 servers' certificate, key and client CA: mutual TLS; ``None``: plain HTTP."""
    _running: list[_Running] = field(default_factory=list)

    @classmethod
    def from_file(cls, data: str | Path, **kwargs: Any) -> Cluster:
        return cls(load_dataset(data), **kwargs)

    @property
    def services(self) -> dict[str, UtilityService | ClearinghouseService]:
        return {r.name: r.service for r in self._running if not r.name.endswith(SEP2_SUFFIX)}

    def start(self) -> Cluster:
        utilities = [u.id for u in self.dataset.data.utilities]
        names = [*utilities, CLEARINGHOUSE]
        sockets: dict[str, socket.socket] = {}
        try:
            # the JSON services first (ports port, port+1, …), then each utility's 2030.5
            for i, name in enumerate([*names, *(sep2_name(u) for u in utilities)]):
                # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted
                # connections only then (without it, Nagle + delayed ACK add ~40 ms)
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("127.0.0.1", self.port + i if self.port else 0))
                sock.listen(1024)
                sockets[name] = sock
                port = sock.getsockname()[1]
                if name in names:
                    self.endpoints[name] = f"http://127.0.0.1:{port}"
                else:
                    scheme = "https" if self.sep2_tls else "http"
                    self.sep2_endpoints[name.removesuffix(SEP2_SUFFIX)] = (
                        f"{scheme}://127.0.0.1:{port}"
                    )
            utility_urls = {n: u for n, u in self.endpoints.items() if n != CLEARINGHOUSE}
            for name in names:
                url, prefix = database_url(self.db, self.state_dir, name)
                db = Database(url, prefix=prefix)
                service: UtilityService | ClearinghouseService
                if name == CLEARINGHOUSE:
                    service = ClearinghouseService(
                        self.dataset, db, self.clock, utility_urls=utility_urls
                    )
                    app = clearinghouse_api.create_app(service)
                else:
                    service = UtilityService(
                        self.dataset,
                        name,
                        db,
                        self.clock,
                        clearinghouse_url=self.endpoints[CLEARINGHOUSE],
                    )
                    app = utility_api.create_app(service)
                service.start()
                db.start_checkpointer()
                self._serve(name, app, service, db, sockets[name])
                if isinstance(service, UtilityService):
                    sep2 = sep2_api.create_app(service, app.state.audit)
                    self._serve(sep2_name(name), sep2, service, db, sockets[sep2_name(name)])
        except BaseException:
            for sock in sockets.values():
                sock.close()
            self.stop()
            raise
        return self

    def _serve(
        self,
        name: str,
        app: FastAPI,
        service: UtilityService | ClearinghouseService,
        db: Database,
        sock: socket.socket,
    ) -> None:
        token = service.ch.token if isinstance(service, ClearinghouseService) else service.u.token
        switch = Reachability(app, name=name, token=token, on_change=self._restored)
        tls = (
            self.sep2_tls.uvicorn_options() if self.sep2_tls and name.endswith(SEP2_SUFFIX) else {}
        )
        config = uvicorn.Config(
            switch,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=3,
            backlog=1024,
            **tls,  # type: ignore[arg-type]
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"serve-{name}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"service {name} did not start")
            time.sleep(0.005)
        self._running.append(_Running(name, app, server, thread, service, db, switch))

    def set_reachable(self, name: str, reachable: bool) -> None:
        """Cut (503 to every request) or restore one service: a utility ID or ``clearinghouse``.

        Restored, every service's outbox delivers what waited before this returns.
        """
        found = [r for r in self._running if r.name in (name, sep2_name(name))]
        for r in found:
            r.switch.set(reachable)
        if found:
            return
        raise KeyError(f"no service '{name}' in this cluster ({', '.join(self.endpoints)})")

    def inject(self, name: str, defects: ServiceDefects) -> None:
        """Make one service defective on purpose (:class:`~rig.services.faults.ServiceDefects`)."""
        found = [r for r in self._running if r.name in (name, sep2_name(name))]
        for r in found:
            r.switch.inject(defects)
        if not found:
            raise KeyError(f"no service '{name}' in this cluster ({', '.join(self.endpoints)})")

    def reachable(self, name: str) -> bool:
        return next(r.switch.reachable for r in self._running if r.name == name)

    def _restored(self, reachable: bool) -> None:
        """A service is back: each outbox tries once now, utilities first (their
        charges go to the clearinghouse, which forwards them to the home utility)."""
        if reachable:
            for r in sorted(self._running, key=lambda r: r.name == CLEARINGHOUSE):
                if not r.name.endswith(SEP2_SUFFIX):  # its utility's entry delivers
                    r.service.outbox.deliver_pending()

    def stop(self) -> None:
        for r in self._running:
            r.server.should_exit = True
        for r in self._running:
            r.thread.join(timeout=10)
        for r in self._running:
            if r.name.endswith(SEP2_SUFFIX):
                continue  # the utility's own entry closes the shared service and audit log
            r.app.state.audit.close()
            r.service.close()
            r.db.dispose()
        self._running.clear()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
