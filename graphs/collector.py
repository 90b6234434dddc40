"""A tiny collector workload: the process the assurance loop deploys, watches and restarts.

    python -m maestro.graphs.collector --name collector1

It serves ``GET /health`` on a loopback port (printed as the first line of stdout) with its
resource readings, standing in for the paper's Netflow collector VM. Killing the process is
the fault the loop must detect and repair.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _handler(name: str, started: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path != "/health":
                self.send_error(404)
                return
            # Readings inside the paper's target band [40, 70] for a working collector.
            body = json.dumps(
                {
                    "name": name,
                    "status": "up",
                    "pid": os.getpid(),
                    "uptime_s": round(time.monotonic() - started, 3),
                    "cpu": 55.0,
                    "ram": 50.0,
                    "storage": 45.0,
                    "net": 100.0,
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _handler(args.name, time.monotonic()))
    parent = os.getppid()

    def orphan_watch() -> None:
        # A loop killed without closing its executor must not leave collectors behind.
        while os.getppid() == parent:
            time.sleep(0.5)
        server.shutdown()

    threading.Thread(target=orphan_watch, daemon=True).start()
    sys.stdout.write(f"{server.server_address[1]}\n")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
