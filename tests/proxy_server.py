"""A small forward proxy for the tests, run as a process of its own: plain HTTP requests with the whole URL,
HTTPS through CONNECT tunnels. Each request is logged as one line of JSON to the file named on the command
line, with whether a Proxy-Authorization header came; the port it listens on is printed first.

    python tests/proxy_server.py LOG
"""
from __future__ import annotations

import http.client
import http.server
import json
import select
import socket
import sys
import threading
from urllib.parse import urlsplit


def main(log_path: str) -> None:
    log_lock = threading.Lock()

    def log(**entry: object) -> None:
        with log_lock, open(log_path, "a", encoding="utf-8") as log_file:
            log_file.write(json.dumps(entry) + "\n")

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the standard library's name
            pass

        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            log(method="GET", target=self.path, login=self.headers.get("Proxy-Authorization", ""))
            parts = urlsplit(self.path)
            if parts.scheme != "http" or not parts.hostname:
                self.send_error(400, "absolute http:// URL expected")
                return
            upstream = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-authorization", "connection")}
            upstream.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), headers=headers)
            reply = upstream.getresponse()
            body = reply.read()
            self.send_response(reply.status, reply.reason)
            for name, value in reply.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            upstream.close()

        def do_CONNECT(self) -> None:  # noqa: N802 - the standard library's name
            log(method="CONNECT", target=self.path, login=self.headers.get("Proxy-Authorization", ""))
            host, _, port = self.path.rpartition(":")
            try:
                upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
            except OSError:
                self.send_error(502)
                return
            self.send_response(200, "Connection established")
            self.end_headers()
            sockets = [self.connection, upstream]
            while True:
                ready, _, _ = select.select(sockets, [], [], 10)
                if not ready:
                    break
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        upstream.close()
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
            upstream.close()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
