"""HTTP load generator for `make bench` (no Django). Bounded in requests and time; 127.0.0.1 only.

Closed loop: `--requests N --concurrency C` sends N requests from C keep-alive connections
as fast as they answer. Open loop: `--rate R --seconds S` starts R requests a second on a
fixed schedule and measures each from its scheduled start (a slow server cannot hide its
queueing). Targets: `signed` (POST /api/terminal/v1/payments, Ed25519-signed per the
terminal API contract) or `plain` (the minimal one-row view).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import random
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.signing import key_load, signed_headers  # noqa: E402

HOST = "127.0.0.1"
API_PATH = "/api/terminal/v1/payments"
PLAIN_PATH = "/bench/insert"
MAX_REQUESTS = 200_000
MAX_SECONDS = 300.0


class Target:
    def __init__(self, kind: str, terminal: str, key_path: Path | None):
        self.kind, self.terminal = kind, terminal
        self.key = key_load(key_path) if key_path else None
        self.run = f"{random.randint(100000, 999999)}"
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    def request(self) -> tuple[str, bytes, dict]:
        with self.lock:
            n = next(self.counter)
        txn = f"{self.run}{n:08d}"
        account = f"916{n % 10_000_000:07d}"
        if account.endswith(("0001", "0002", "0003", "0004", "0005", "0006", "0007")):
            account = account[:-1] + "9"
        body = json.dumps({"txn": txn, "provider": "mts", "account": account, "amount": "100.00",
                           "paid_at": datetime.now(UTC).isoformat(timespec="seconds"), "fields": {}}).encode()
        headers = {"Content-Type": "application/json"}
        if self.kind == "signed":
            headers.update(signed_headers(self.key, self.terminal, "POST", API_PATH, body, int(time.time())))
            return API_PATH, body, headers
        return PLAIN_PATH, body, headers


def _send(conn_box: list, port: int, path: str, body: bytes, headers: dict) -> int:
    for attempt in range(2):
        if conn_box[0] is None:
            conn_box[0] = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            conn_box[0].request("POST", path, body=body, headers=headers)
            resp = conn_box[0].getresponse()
            resp.read()
            return resp.status
        except (ConnectionError, http.client.HTTPException, OSError):
            conn_box[0].close()
            conn_box[0] = None
            if attempt:
                raise
    raise AssertionError("unreachable")


def closed_loop(target: Target, port: int, requests: int, concurrency: int, deadline: float):
    latencies, statuses, lock = [], {}, threading.Lock()
    remaining = itertools.count()

    def worker():
        box = [None]
        while next(remaining) < requests and time.monotonic() < deadline:
            path, body, headers = target.request()
            t0 = time.perf_counter()
            status = _send(box, port, path, body, headers)
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses, time.perf_counter() - started


def open_loop(target: Target, port: int, rate: float, seconds: float, concurrency: int):
    latencies, statuses, lock = [], {}, threading.Lock()
    total = int(rate * seconds)
    slots = itertools.count()
    start = time.perf_counter() + 0.2

    def worker():
        box = [None]
        while True:
            i = next(slots)
            if i >= total:
                return
            scheduled = start + i / rate
            wait = scheduled - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            path, body, headers = target.request()
            status = _send(box, port, path, body, headers)
            dt = time.perf_counter() - scheduled
            with lock:
                latencies.append(dt)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses, time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["signed", "plain"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--terminal", default="8001")
    ap.add_argument("--key", type=Path)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rate", type=float, default=0.0, help="open loop at this many requests a second")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    requests = min(args.requests, MAX_REQUESTS)
    target = Target(args.kind, args.terminal, args.key)
    closed_loop(target, args.port, min(args.warmup, requests), args.concurrency, time.monotonic() + 30)
    if args.rate:
        lat, statuses, elapsed = open_loop(target, args.port, args.rate, min(args.seconds, MAX_SECONDS),
                                           args.concurrency)
    else:
        lat, statuses, elapsed = closed_loop(target, args.port, requests, args.concurrency,
                                             time.monotonic() + MAX_SECONDS)
    result = {"kind": args.kind, "requests": len(lat), "seconds": round(elapsed, 2),
              "per_second": round(len(lat) / elapsed, 1) if elapsed else 0.0,
              "p50_ms": round(pct(lat, 0.50) * 1000, 1), "p99_ms": round(pct(lat, 0.99) * 1000, 1),
              "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else None,
              "statuses": {str(k): v for k, v in sorted(statuses.items())}, "rate": args.rate or None}
    print(json.dumps(result) if args.json else result)


if __name__ == "__main__":
    main()
