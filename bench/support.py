"""Support console bench (`make bench`, on by default; BENCH_SUPPORT=0 skips it): on PostgreSQL with
BENCH_SUPPORT_PAYMENTS payments (default 1,000,000, made by `manage.py generate_payments`), time over
HTTP, logged in as the demo `support` user, (1) the cheque lookup by terminal + txn and (2) the
first queue page; print p50/p99 of each and the EXPLAIN of the queries behind them.

    python -m bench.support fill --payments 1000000
    python -m bench.support measure --port 8765 --requests 500

The measuring client is one keep-alive connection, one request at a time: an operator's view
of latency, not throughput. Bounded in requests; 127.0.0.1 only.
"""

import argparse
import http.client
import os
import random
import re
import statistics
import time
from urllib.parse import urlencode

MAX_REQUESTS = 5000


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kit.settings")
    import django

    django.setup()


def fill(payments: int) -> None:
    _django()
    from django.core.management import call_command
    from django.db import connection

    from kit.demo import demo_load
    from payments.models import Payment

    demo_load()
    have = Payment.objects.count()
    if have < payments:
        t0 = time.perf_counter()
        call_command("generate_payments", str(payments - have), seed=12)
        print(f"  filled {payments - have} payments in {time.perf_counter() - t0:.1f} s")
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE payments_payment")
        c.execute("VACUUM ANALYZE payments_attempt")
        c.execute("VACUUM ANALYZE payments_event")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Session:
    """A logged-in browser, as far as cookies go."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, dict]:
        headers = {"Host": "127.0.0.1", "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1{path}"
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for header, value in resp.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return resp.status, text, dict(resp.getheaders())

    def login(self, username: str, password: str) -> None:
        status, page, _ = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
        status, _, headers = self.request("POST", "/accounts/login/", body)
        if status != 302:
            raise SystemExit(f"login as {username} failed: HTTP {status}")


def _timed(session: Session, paths: list[str], expect: int) -> list[float]:
    times, bad = [], 0
    for path in paths:
        t0 = time.perf_counter()
        status, _, _ = session.request("GET", path)
        times.append((time.perf_counter() - t0) * 1000)
        bad += status != expect
    if bad:
        print(f"  !! {bad} of {len(paths)} answers were not HTTP {expect}")
    return times


def _line(name: str, times: list[float]) -> str:
    return (f"  {name:<26}: {len(times)} requests   p50 {statistics.median(times):6.1f} ms   "
            f"p99 {_percentile(times, 0.99):6.1f} ms   max {max(times):6.1f} ms   (target p99 < 50 ms)")


def measure(port: int, requests: int) -> None:
    _django()
    from payments.models import Payment
    from support import selectors

    requests = min(requests, MAX_REQUESTS)
    total = Payment.objects.count()
    rng = random.Random(7)
    # Random payments across the whole table: ids drawn, then their cheque keys looked up once.
    top = Payment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    sample = list(Payment.objects.filter(pk__in=[rng.randint(1, top) for _ in range(requests * 2)])
                  .values_list("terminal__number", "txn")[:requests])
    print(f"  {total} payments in the table; {Payment.objects.filter(selectors.queue_condition()).count()} in the queue")

    session = Session(port)
    session.login("support", "kit-demo")
    # Warm each worker's connection and templates before timing.
    _timed(session, ["/support/queue/"] * 10, 200)
    lookup = _timed(session, [f"/support/cheque/?terminal={t}&txn={x}" for t, x in sample], 302)
    queue = _timed(session, ["/support/queue/"] * requests, 200)
    print(_line("cheque lookup terminal+txn", lookup))
    print(_line("queue, first page", queue))
    explain(sample[0])


def explain(key: tuple[str, str]) -> None:
    from django.db import connection

    from payments.models import Payment
    from support import selectors
    from terminals.models import Terminal

    terminal, txn = key
    tid = Terminal.objects.get(number=terminal).pk
    plans = [
        ("cheque lookup (terminal + txn)",
         Payment.objects.filter(terminal_id=tid, txn=txn)),
        ("queue, first page", selectors.queue_queryset(selectors.QueueFilter()).order_by("received_at", "id")[:51]),
        ("queue, counts per reason", Payment.objects.filter(selectors.queue_condition()).values("status", "reason")
         .order_by().annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))),
    ]
    assert connection.vendor == "postgresql"
    for name, qs in plans:
        print(f"  -- EXPLAIN ANALYZE {name}")
        for line in qs.explain(analyze=True).splitlines():
            print(f"     {line}")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fill")
    f.add_argument("--payments", type=int, default=1_000_000)
    m = sub.add_parser("measure")
    m.add_argument("--port", type=int, required=True)
    m.add_argument("--requests", type=int, default=500)
    args = ap.parse_args()
    if args.cmd == "fill":
        fill(args.payments)
    else:
        measure(args.port, args.requests)


if __name__ == "__main__":
    main()
