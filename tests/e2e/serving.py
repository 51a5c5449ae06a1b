"""Run the real ``python -m generator serve`` process for end-to-end tests."""
from __future__ import annotations

import functools
import http.client
import http.server
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def serve_folder(web: Path) -> http.server.ThreadingHTTPServer:
    """A plain static HTTP server on 127.0.0.1 (any free port) for a built site, as a host would serve it."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(web))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wait_until(check: Callable[[], object], timeout: float = 15.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class ServeProcess:
    def __init__(self, site: Path, *extra: str) -> None:
        self.site = site
        self.output = site / ".preview"  # serve's own folder, never public/
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--port", "0", "--unpublished", *extra],
            cwd=site, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._read, daemon=True).start()
        line = wait_until(lambda: next((l for l in self.lines if l.startswith("Serving on ")), None), timeout=60,
                          what="the 'Serving on' line")
        self.url = line.split("Serving on ", 1)[1].strip()
        match = re.match(r"http://([\d.]+):(\d+)(/.*)", self.url)
        assert match, self.url
        self.host, self.port, self.base_path = match.group(1), int(match.group(2)), match.group(3)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def builds(self) -> int:
        return sum(1 for line in self.lines if line.startswith("Built "))

    def wait_until_idle(self, quiet: float = 1.0, timeout: float = 60.0) -> int:
        """Wait until no build has finished for ``quiet`` seconds; returns the build count."""
        deadline = time.monotonic() + timeout
        count, since = self.builds(), time.monotonic()
        while time.monotonic() - since < quiet:
            if time.monotonic() > deadline:
                raise AssertionError("the server kept rebuilding")
            time.sleep(0.05)
            if self.builds() != count:
                count, since = self.builds(), time.monotonic()
        return count

    def request(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        """A raw request: the path is sent exactly as given (no client-side normalisation)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        connection.putrequest(method, path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body

    def get(self, path: str) -> tuple[int, bytes]:
        status, _headers, body = self.request(self.base_path + path.lstrip("/"))
        return status, body

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise
        return self.process.returncode
