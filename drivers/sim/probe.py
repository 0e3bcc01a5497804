"""The model probe: the simulated bench's physical truth, over HTTP, for judges outside it.

A driver's read-back says what the *instrument* answers; a safety test must know what
the *bench* is doing, even when the controller is dead or lying. ``rig sim`` serves
its coupled model's :class:`~drivers.sim.model.Truth` on ``GET /truth`` as JSON, on
127.0.0.1, and names the URL in its endpoints file under ``"model"``::

    {"t": 1780333200.5, "pilot_state": "C", "contactor_closed": true,
     "current_a": 29.97, "load_input_on": true, ...}

That is how the safety soak (``benchmarks/soak_safety.py``) and the wall-clock
tests judge an abort: from the model, never from the rig's own drivers. The probe
only reads; it cannot change the model.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from drivers.sim.model import BenchModel

HOST = "127.0.0.1"


def truth_document(model: BenchModel) -> dict[str, Any]:
    """The model's truth now, as plain JSON values."""
    truth = dataclasses.asdict(model.truth())
    truth["pilot_state"] = str(truth["pilot_state"].value)
    return truth


class ModelProbe:
    """Serve ``GET /truth`` for one model on 127.0.0.1 in a daemon thread."""

    def __init__(self, model: BenchModel, *, port: int = 0) -> None:
        self.model = model

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/truth":
                    self.send_error(404, "only GET /truth is served")
                    return
                body = json.dumps(truth_document(model)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one line per poll would drown `rig sim`'s own output

        self._server = ThreadingHTTPServer((HOST, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="model-probe", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/truth"

    def start(self) -> ModelProbe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
