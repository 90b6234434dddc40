"""Small CNFs for the image catalogue: a chain backend, a relay and a traffic probe.

Each is an HTTP server on the given host and port with `/healthz` (readiness) and
`/metrics` (Prometheus text format); SIGTERM stops it cleanly. Run as
`python -m maestro.tools.orchestrator.workloads {backend,relay,probe} --port N ...`.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counters: dict[str, float] = {}

    def add(self, name: str, value: float = 1.0) -> None:
        with self.lock:
            self.counters[name] = self.counters.get(name, 0.0) + value

    def set(self, name: str, value: float) -> None:
        with self.lock:
            self.counters[name] = value

    def metrics(self) -> str:
        with self.lock:
            return "".join(f"{k} {v:g}\n" for k, v in sorted(self.counters.items()))


def _fetch(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (our own URL)
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _server(args: argparse.Namespace, state: _State, answer: Any) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path == "/healthz":
                self._send(200, b"ok\n", "text/plain")
            elif self.path == "/metrics":
                self._send(200, state.metrics().encode(), "text/plain; version=0.0.4")
            else:
                state.add("workload_requests_total")
                code, body = answer(self.path)
                self._send(code, json.dumps(body).encode() + b"\n", "application/json")

        def _send(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: Any) -> None:  # quiet: the log is the reconciler's file
            pass

    return ThreadingHTTPServer((args.host, args.port), Handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workloads")
    parser.add_argument("kind", choices=["backend", "relay", "probe"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--message", default="hello")
    parser.add_argument("--upstream", default="")
    parser.add_argument("--target", default="")
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    state = _State()
    stop = threading.Event()

    if args.kind == "backend":

        def answer(path: str) -> tuple[int, Any]:
            return 200, {"message": args.message, "path": path}

    elif args.kind == "relay":

        def answer(path: str) -> tuple[int, Any]:
            try:
                code, body = _fetch(args.upstream.rstrip("/") + path)
                return code, {"via": "relay", "upstream": json.loads(body or b"null")}
            except (OSError, ValueError) as exc:
                state.add("relay_errors_total")
                return 502, {"via": "relay", "error": str(exc)}

    else:
        last: dict[str, Any] = {}

        def answer(path: str) -> tuple[int, Any]:
            return 200, {"target": args.target, "last": last}

        def probe() -> None:
            while not stop.is_set():
                start = time.perf_counter()
                try:
                    code, body = _fetch(args.target)
                    ok = 200 <= code < 300
                    last.update(code=code, body=body[:200].decode("utf-8", "replace"))
                except OSError as exc:
                    ok = False
                    last.update(code=None, error=str(exc))
                state.add("probe_success_total" if ok else "probe_failure_total")
                state.set("probe_last_latency_seconds", time.perf_counter() - start)
                stop.wait(args.interval)

        threading.Thread(target=probe, daemon=True).start()

    server = _server(args, state, answer)

    def terminate(*_: Any) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    print(f"{args.kind} listening on http://{args.host}:{args.port}", flush=True)
    server.serve_forever(poll_interval=0.5)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
