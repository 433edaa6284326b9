#!/usr/bin/env python3
"""What notifying adds to a run: ``benchmark run root`` on the example snapshot, plain and with a
JSON webhook, a Slack webhook, an Apprise URL and a dry run, side by side in one run.

The receiver is an HTTP server on 127.0.0.1 started by this script, so the figures are rootwatch's
own cost (imports, rendering, one POST), not a network's. Each command runs ``--runs`` times,
interleaved; the median counts. Needs the example snapshot (``./dev demo`` builds it)::

    .venv/bin/python perf/notify_overhead.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = REPO / "build" / "example.duckdb"


class _Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def wall(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not SNAPSHOT.exists():
        sys.exit(f"{SNAPSHOT} is missing: run ./dev demo first")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"127.0.0.1:{server.server_address[1]}/hook"
    run = [sys.executable, "-m", "rootwatch", "benchmark", "run", "root", "--snapshot", str(SNAPSHOT), "--output", "none"]
    commands = {
        "no notifier": run,
        "--notify-dry-run (webhook)": [*run, "--notify", f"webhook:http://{url}", "--notify-dry-run"],
        "json webhook": [*run, "--notify", f"webhook:http://{url}"],
        "slack webhook": [*run, "--notify", f"slack:http://{url}"],
        "apprise json://": [*run, "--notify", f"apprise:json://{url}"],
    }
    for command in commands.values():
        wall(command)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            samples[name].append(wall(command))
    base = statistics.median(samples["no notifier"])
    print(f"{'command':<28} {'median':>9} {'added':>9}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<28} {median:>8.3f}s {median - base:>+8.3f}s")
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
