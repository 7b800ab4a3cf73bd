"""Submission throughput: accept N payments (queued to Celery on commit) and time them to final.

A Celery worker must be running on the gateway queue, and the CyberPlat simulator served
with its added latency (scripts/bench.sh does both). Each submission is a check and a pay.
Usage: python -m bench.submit --count 600 --timeout 120
"""

import argparse
import json
import os
import random
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kit.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Max, Min  # noqa: E402

from payments.models import Attempt, Payment  # noqa: E402
from payments.services import PaymentRequest, payment_accept  # noqa: E402
from terminals.models import Terminal  # noqa: E402

from .setup import TERMINAL  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=600)
    ap.add_argument("--timeout", type=float, default=180.0)
    args = ap.parse_args()
    count = min(args.count, 20000)
    terminal = Terminal.objects.select_related("dealer").get(number=TERMINAL)
    run = random.randint(10000, 99999) * 10 + 1  # never ends in 0: no magic account suffixes
    ids: list[int] = []
    lock = threading.Lock()

    def accept(part: range) -> None:
        for i in part:
            req = PaymentRequest(txn=f"9{run}{i:07d}", provider_code="mts", account=f"9{run}{i % 1000:03d}",
                                 amount=Decimal("100.00"), paid_at=datetime.now(UTC))
            payment, _ = payment_accept(terminal=terminal, request=req)
            with lock:
                ids.append(payment.pk)
        connection.close()

    t0 = time.perf_counter()
    # Accepted from a few threads, so acceptance does not set the pace of the submissions.
    threads = [threading.Thread(target=accept, args=(range(k, count, 8),)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted_s = time.perf_counter() - t0
    final = {"succeeded", "failed", "cancelled"}
    done = 0
    while time.perf_counter() - t0 < args.timeout:
        done = Payment.objects.filter(pk__in=ids, status__in=final).count()
        if done == count:
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - t0
    statuses = {}
    for status in Payment.objects.filter(pk__in=ids).values_list("status", flat=True):
        statuses[status] = statuses.get(status, 0) + 1
    # The submission rate itself: payments finished over the span from the first attempt to the last answer.
    span = Attempt.objects.filter(payment_id__in=ids).aggregate(a=Min("started_at"), b=Max("finished_at"))
    window = (span["b"] - span["a"]).total_seconds() if span["a"] and span["b"] else elapsed
    rate = done / window if window else 0.0
    print(f"  submissions    : {rate:8.1f} /s   ({done}/{count} final, attempts over {window:.1f} s; "
          f"end to end {elapsed:.1f} s, accepting took {accepted_s:.1f} s)   {statuses}   (target >= 60/s)")
    print(json.dumps({"payments": count, "final": done, "accept_seconds": round(accepted_s, 2),
                      "seconds": round(elapsed, 2), "submissions_per_second": round(rate, 1),
                      "statuses": statuses}))


if __name__ == "__main__":
    main()
