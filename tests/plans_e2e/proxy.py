"""A deliberately wrong utility: a tampering reverse proxy in front of the real one.

:class:`TamperingProxy` is a real HTTP/1.1 server on 127.0.0.1 that forwards every
request to an upstream utility service and hands each exchange to a
:class:`Tamper`, which may

- answer a request itself without forwarding it (:meth:`Tamper.intercept`) — the
  utility "loses" what it was sent, yet acknowledges it;
- rewrite the JSON of an answer (:meth:`Tamper.rewrite`) — the utility's records
  say something other than what it stored (a wrong rate, a wrong payer, a line
  billed twice).

The rig sees nothing but a utility at a URL, reached through the runner's
external-services path (:class:`rig.runner.api.ServiceTarget`), so the oracle is
held to what it would see from a real, wrong back office.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

#: Request headers passed on to the upstream service (the rest are hop-by-hop or noise).
_FORWARDED = ("authorization", "content-type", "accept")


class Tamper:
    """Pass-through; subclasses override what they falsify. Both hooks may run on any thread."""

    def intercept(self, method: str, path: str, body: Any) -> tuple[int, Any] | None:
        """Answer ``(status, json)`` instead of forwarding; ``None`` forwards the request."""
        return None

    def rewrite(self, method: str, path: str, status: int, body: Any) -> Any:
        """The JSON answer the caller gets for the upstream's ``body``."""
        return body


class TamperingProxy:
    """Forwards to ``upstream`` (``http://127.0.0.1:PORT``) through ``tamper``."""

    def __init__(self, upstream: str, tamper: Tamper) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"need an http://host:port upstream, got {upstream!r}")
        self.upstream = (parts.hostname, parts.port)
        self.tamper = tamper
        self.requests: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="tampering-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> TamperingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> TamperingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=10)
        try:
            connection.connect()
            assert connection.sock is not None
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.request(method, path, body=body or None, headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.getheader("content-type", ""), answer.read()
        finally:
            connection.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the rig's httpx clients expect

            def setup(self) -> None:
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                super().setup()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the test reports what matters

            def _exchange(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                proxy.requests.append((self.command, self.path))
                request = json.loads(raw) if raw else None
                answered = proxy.tamper.intercept(self.command, self.path, request)
                if answered is not None:
                    status, reply = answered
                    self._reply(status, "application/json", json.dumps(reply).encode())
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() in _FORWARDED}
                status, kind, body = proxy._forward(self.command, self.path, headers, raw)
                if kind.startswith("application/json") and body:
                    rewritten = proxy.tamper.rewrite(
                        self.command, self.path, status, json.loads(body)
                    )
                    body = json.dumps(rewritten).encode()
                self._reply(status, kind, body)

            def _reply(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                if kind:
                    self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _exchange

        return Handler
