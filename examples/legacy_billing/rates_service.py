"""The exchange-rate and notification service the billing job talks to.

In production it is another team's service; here a small HTTP server on 127.0.0.1, in a
process of its own, that the job's driver starts and stops when the month is billed.

    python rates_service.py    # serves on the first free port from 8765, prints its URL
"""

import json
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RATES = {"EUR": 1.0, "USD": 1.0875, "GBP": 0.8561, "CHF": 0.9642}
PORTS = range(8765, 8865)


class Handler(BaseHTTPRequestHandler):
    notifications = []
    disable_nagle_algorithm = True  # headers and body leave at once

    def log_message(self, format, *args):
        pass

    def _send(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        currency = self.path.rsplit("/", 1)[-1]
        if not self.path.startswith("/rates/") or currency not in RATES:
            self._send(404, {"error": f"no rate for {currency}"})
            return
        self._send(200, {"currency": currency, "per_eur": RATES[currency]})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        message = json.loads(self.rfile.read(length) or b"{}")
        Handler.notifications.append(message)
        self._send(201, {"id": len(Handler.notifications)})


def serve():
    """Serve on the first free port from 8765; print the base URL once listening."""
    for port in PORTS:
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
            break
        except OSError:
            continue
    else:
        raise SystemExit("no free port for the rates service in 8765-8864")
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


def start():
    """Start the service in a process of its own; returns (process, base URL)."""
    process = subprocess.Popen(
        [sys.executable, __file__], stdout=subprocess.PIPE, text=True
    )
    url = process.stdout.readline().strip()
    if not url:
        process.wait()
        raise RuntimeError("the rates service did not start")
    return process, url


def stop(process):
    process.terminate()
    process.wait()


if __name__ == "__main__":
    serve()
