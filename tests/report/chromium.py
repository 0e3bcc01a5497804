"""A headless Chromium the report's tests (and its benchmark) start and drive over CDP.

The browser is started by the caller with the flags that keep it quiet and local
(``--headless --no-sandbox --disable-gpu --disable-background-networking
--disable-component-update --no-first-run``, a throw-away ``--user-data-dir``) and
``--remote-debugging-port=0``. ``--remote-allow-origins=*`` lets the DevTools
websocket accept this client: Chromium 111 to 150 (Debian 12's) refuse a websocket
whose ``Origin`` is not listed, later versions accept it; the port is on 127.0.0.1 and
the profile is thrown away, so any origin is safe here. The port it picked is read
from ``DevToolsActivePort`` in the profile directory. One page target is driven over
the Chrome DevTools Protocol with ``websocket-client``: navigate and time the load event, evaluate
JavaScript, take a full-page screenshot, and collect what would embarrass a report
— console errors, uncaught exceptions, log entries at error level, and any request
that is not ``file:`` or ``data:`` (a report must fetch nothing).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket

from rig.domain.closing import Closing

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--remote-allow-origins=*",
)
INSTALL = "apt-get update && apt-get install -y chromium"


def find_chromium() -> str | None:
    """``$RIG_CHROMIUM``, else ``chromium`` (Debian), ``chromium-browser`` or Chrome on PATH."""
    configured = os.environ.get("RIG_CHROMIUM")
    if configured:
        return configured
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    return next((found for name in names if (found := shutil.which(name))), None)


class Chromium(Closing):
    """One headless browser process and one page; use as a context manager."""

    def __init__(self, binary: str, profile: Path, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        profile.mkdir(parents=True, exist_ok=True)
        (profile / "DevToolsActivePort").unlink(missing_ok=True)  # a previous browser's
        self.log = profile / "chromium-stderr.log"
        with self.log.open("wb") as stderr:
            self.process = subprocess.Popen(
                [
                    binary,
                    *FLAGS,
                    f"--user-data-dir={profile}",
                    "--remote-debugging-port=0",
                    "--window-size=1200,900",
                    "about:blank",
                ],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        try:
            port = self._port(profile / "DevToolsActivePort")
            self.socket = websocket.create_connection(self._page_url(port), timeout=timeout)
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.call(f"{domain}.enable")
        except BaseException:
            self.close()
            raise

    def _port(self, active: Path) -> int:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                errors = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"chromium exited with {self.process.returncode}: {errors}")
            text = active.read_text() if active.exists() else ""
            if text.strip():
                return int(text.split()[0])
            time.sleep(0.05)
        raise TimeoutError(f"chromium did not open its DevTools port within {self.timeout} s")

    def _page_url(self, port: int) -> str:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                targets = json.load(r)
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
            time.sleep(0.05)
        raise TimeoutError("chromium opened no page target")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one CDP command and return its result; events seen meanwhile are kept."""
        self._next_id += 1
        ident = self._next_id
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)

    def wait_for(self, event: str) -> dict[str, Any]:
        """Block until the CDP ``event`` arrives (or was already seen since the last call)."""
        for seen in self.events:
            if seen["method"] == event:
                self.events.remove(seen)
                return seen
        while True:
            message: dict[str, Any] = json.loads(self.socket.recv())
            if message.get("method") == event:
                return message
            if "method" in message:
                self.events.append(message)

    def open(self, url: str) -> float:
        """Navigate to ``url``; the seconds until its load event fired."""
        self.events.clear()
        began = time.perf_counter()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        return time.perf_counter() - began

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page (not only the window)."""
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def problems(self) -> list[str]:
        """Console errors, exceptions, error log entries and non-local requests so far."""
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params.get('exceptionDetails')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(("file:", "data:", "about:")):
                    found.append(f"request: {url}")
        return found

    def close(self) -> None:
        sock = getattr(self, "socket", None)
        if sock is not None:
            sock.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
