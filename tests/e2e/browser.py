"""A real headless Chromium driven over the DevTools protocol (websocket-client only)."""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


# For "the reader is offline": every host but this machine fails to resolve.
OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


class Browser:
    # A fresh machine's first Chromium builds its font cache before it listens, which has taken
    # over 30 s on a busy CI runner; a start that dies is tried again with a fresh profile.
    START_TIMEOUT = 120.0
    ATTEMPTS = 3

    def __init__(self, extra_flags: list[str] | None = None) -> None:
        failures: list[str] = []
        for _ in range(self.ATTEMPTS):
            self.profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
            port = self._start(extra_flags or [], failures)
            if port is not None:
                self.port = port
                return
            self.close()
        raise RuntimeError("Chromium did not start its DevTools endpoint: " + " | ".join(failures))

    def _start(self, extra_flags: list[str], failures: list[str]) -> int | None:
        log = self.profile.parent / f"{self.profile.name}.log"
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                [CHROMIUM, *FLAGS, *extra_flags, f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
                 "about:blank"],
                stdout=subprocess.DEVNULL, stderr=stderr)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.START_TIMEOUT
        try:
            while not (port_file.exists() and port_file.read_text().strip()):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    status = "timed out" if self.process.poll() is None else f"exit {self.process.returncode}"
                    tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                    failures.append(f"{status}: {' / '.join(tail)}")
                    return None
                time.sleep(0.05)
            return int(port_file.read_text().split()[0])
        finally:
            log.unlink(missing_ok=True)

    def new_page(self) -> Page:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=10) as response:
            target = json.load(response)
        return Page(target["webSocketDebuggerUrl"])

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, ws_url: str) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self._id = 0
        self.events: list[dict[str, Any]] = []
        self.send("Runtime.enable")
        self.send("Page.enable")
        self.send("Log.enable")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def navigate(self, url: str, timeout: float = 20) -> None:
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'", timeout)

    def evaluate(self, expression: str, wait: bool = False) -> Any:
        """The value of a JavaScript expression (``wait``: of the promise it gives, raising if it fails)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=wait)
        if wait and "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("exception", {}).get("description", "exception"))
        return result.get("result", {}).get("value")

    def emulate(self, width: int, dark: bool) -> None:
        """A viewport ``width`` CSS pixels wide (a phone below 500), in light or dark mode."""
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=800 if width > 500 else 740,
                  deviceScaleFactor=2 if width < 500 else 1, mobile=width < 500)
        self.send(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}],
        )

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError:
                value = None  # the page is between documents
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for: {expression}")

    def console_errors(self) -> list[str]:
        self.evaluate("0")  # drain pending events
        errors = []
        for event in self.events:
            if event.get("method") == "Runtime.consoleAPICalled" and event["params"]["type"] == "error":
                errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in event["params"]["args"]))
            elif event.get("method") == "Runtime.exceptionThrown":
                errors.append(event["params"]["exceptionDetails"].get("text", "exception"))
            elif event.get("method") == "Log.entryAdded" and event["params"]["entry"]["level"] == "error":
                errors.append(event["params"]["entry"].get("text", ""))
        return errors

    def close(self) -> None:
        self.ws.close()
