"""HTTP load generator for `make bench` (no Django). Bounded in requests and time; 127.0.0.1 only.

Closed loop: `--requests N --concurrency C` sends N requests from C keep-alive connections
as fast as they answer. Open loop: `--rate R --seconds S` starts R requests a second on a
fixed schedule and measures each from its scheduled start (a slow server cannot hide its
queueing). Targets: `signed` (POST /api/terminal/v1/payments, Ed25519-signed per the
terminal API contract), `batch` (POST /api/terminal/v1/payments/batch with --batch-size
payments a request; rates are counted in payments) or `plain` (the minimal one-row view).

The generator shares the machine's cores with the server: it reports its own CPU time as a
share of the machine (`loadgen_cpu_share`), so a figure can be read against what was left.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
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
BATCH_PATH = "/api/terminal/v1/payments/batch"
PLAIN_PATH = "/bench/insert"
MAX_REQUESTS = 200_000
MAX_SECONDS = 300.0


class Target:
    def __init__(self, kind: str, terminal: str, key_path: Path | None, batch_size: int = 500):
        self.kind, self.terminal, self.batch_size = kind, terminal, batch_size
        self.key = key_load(key_path) if key_path else None
        self.run = f"{random.randint(100000, 999999)}"
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    def item(self) -> dict:
        with self.lock:
            n = next(self.counter)
        txn = f"{self.run}{n:08d}"
        account = f"916{n % 10_000_000:07d}"
        if account.endswith(("0001", "0002", "0003", "0004", "0005", "0006", "0007")):
            account = account[:-1] + "9"
        return {"txn": txn, "provider": "mts", "account": account, "amount": "100.00",
                "paid_at": datetime.now(UTC).isoformat(timespec="seconds"), "fields": {}}

    @property
    def per_request(self) -> int:
        return self.batch_size if self.kind == "batch" else 1

    def request(self) -> tuple[str, bytes, dict]:
        headers = {"Content-Type": "application/json"}
        if self.kind == "batch":
            body = json.dumps({"payments": [self.item() for _ in range(self.batch_size)]}).encode()
            headers.update(signed_headers(self.key, self.terminal, "POST", BATCH_PATH, body, int(time.time())))
            return BATCH_PATH, body, headers
        body = json.dumps(self.item()).encode()
        if self.kind == "signed":
            headers.update(signed_headers(self.key, self.terminal, "POST", API_PATH, body, int(time.time())))
            return API_PATH, body, headers
        return PLAIN_PATH, body, headers


def _send(conn_box: list, port: int, path: str, body: bytes, headers: dict) -> int:
    for attempt in range(2):
        if conn_box[0] is None:
            conn_box[0] = http.client.HTTPConnection(HOST, port, timeout=120)
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
    ap.add_argument("kind", choices=["signed", "batch", "plain"])
    ap.add_argument("--batch-size", type=int, default=500)
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
    target = Target(args.kind, args.terminal, args.key, args.batch_size)
    warmup = min(args.warmup, requests) if args.kind != "batch" else min(2, requests)
    closed_loop(target, args.port, warmup, args.concurrency, time.monotonic() + 60)
    cpu0 = time.process_time()
    if args.rate:
        lat, statuses, elapsed = open_loop(target, args.port, args.rate, min(args.seconds, MAX_SECONDS),
                                           args.concurrency)
    else:
        lat, statuses, elapsed = closed_loop(target, args.port, requests, args.concurrency,
                                             time.monotonic() + MAX_SECONDS)
    cpu = time.process_time() - cpu0
    result = {"kind": args.kind, "requests": len(lat), "seconds": round(elapsed, 2),
              "per_second": round(len(lat) * target.per_request / elapsed, 1) if elapsed else 0.0,
              "loadgen_cpu_share": round(cpu / (elapsed * (os.cpu_count() or 1)), 3) if elapsed else None,
              "p50_ms": round(pct(lat, 0.50) * 1000, 1), "p99_ms": round(pct(lat, 0.99) * 1000, 1),
              "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else None,
              "statuses": {str(k): v for k, v in sorted(statuses.items())}, "rate": args.rate or None}
    print(json.dumps(result) if args.json else result)


if __name__ == "__main__":
    main()
