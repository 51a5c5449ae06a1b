"""Live reload: a build-event channel and the tiny script injected into served pages.

The script listens on a server-sent-events endpoint: ``reload`` reloads the
page, ``css`` swaps stylesheets in place, ``problems`` shows (or clears) an
overlay listing ``file:line: message``. It is only ever added to responses of
the preview server, never to files on disk.
"""

from __future__ import annotations

import json
import threading

ENDPOINT = "/__livereload"

SCRIPT = """<script>(function () {
  var source = new EventSource("__ENDPOINT__?since=__SINCE__");
  source.addEventListener("reload", function () { location.reload(); });
  source.addEventListener("css", function () {
    document.querySelectorAll('link[rel="stylesheet"]').forEach(function (link) {
      var url = new URL(link.href); url.searchParams.set("reload", Date.now()); link.href = url.href;
    });
  });
  source.addEventListener("problems", function (event) {
    var list = JSON.parse(event.data), box = document.getElementById("livereload-overlay");
    if (!list.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div"); box.id = "livereload-overlay"; box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 1rem 1rem 1rem;z-index:99999;max-height:50vh;overflow:auto;" +
        "background:#2b0b0e;color:#ffd7d9;border:2px solid #ff6b6b;border-radius:8px;padding:1rem;" +
        "font:14px/1.4 monospace";
      document.body.appendChild(box);
    }
    box.textContent = "";
    var title = document.createElement("strong"); title.textContent = "Build problems"; box.appendChild(title);
    list.forEach(function (line) {
      var row = document.createElement("pre"); row.style.whiteSpace = "pre-wrap"; row.textContent = line;
      box.appendChild(row);
    });
  });
})();</script>""".replace("__ENDPOINT__", ENDPOINT)


def inject(html: bytes, since: int) -> bytes:
    """Add the reload script before the last </body> (or at the end).

    ``since`` is the event sequence the page was served at: events after it
    are replayed when the script connects, so an edit made while the page was
    loading is not missed.
    """
    script = SCRIPT.replace("__SINCE__", str(since)).encode("utf-8")
    at = html.lower().rfind(b"</body>")
    return html + script if at < 0 else html[:at] + script + html[at:]


class BuildEvents:
    """What open pages need to hear: a sequence of events, and the current problems."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._events: list[tuple[int, str, str]] = []
        self._sequence = 0
        self.problems: list[str] = []
        self.closed = False

    def publish(self, event: str, data: object = "") -> None:
        with self._condition:
            if event == "problems" and isinstance(data, list):
                self.problems = [str(line) for line in data]
            self._sequence += 1
            self._events = [*self._events[-50:], (self._sequence, event, json.dumps(data))]
            self._condition.notify_all()

    def current(self) -> tuple[int, list[str]]:
        with self._condition:
            return self._sequence, list(self.problems)

    def wait(self, after: int, timeout: float) -> list[tuple[int, str, str]]:
        with self._condition:
            self._condition.wait_for(lambda: self._sequence > after or self.closed, timeout=timeout)
            return [e for e in self._events if e[0] > after]

    def close(self) -> None:
        with self._condition:
            self.closed = True
            self._condition.notify_all()


def format_event(event: str, data: str) -> bytes:
    return f"event: {event}\ndata: {data}\n\n".encode()
