"""Cabinet bench (opt-in, BENCH_CABINET=1 in scripts/bench.sh): CSV export speed and memory, month report time.

Fills payments for the demo dealer with `manage.py generate_payments` when that command exists
(the support console's), else with a quick bulk insert of its own; then streams the payments CSV
through Django's handler (as the web process would) and times a month's report.

    python -m bench.cabinet --payments 1000000
"""

import argparse
import os
import resource
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--payments", type=int, default=100_000)
    args = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kit.settings")
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from django.core.management import call_command, get_commands
    from django.test import Client
    from django.utils import timezone

    from dealers.aggregates import aggregates_refresh, report_build
    from dealers.models import Dealer
    from kit.demo import demo_load
    from payments.models import Payment
    from providers.models import Provider
    from terminals.models import Terminal

    demo_load()
    demo = Dealer.objects.get(name="Demo")
    have = Payment.objects.filter(dealer=demo).count()
    if have < args.payments:
        t0 = time.perf_counter()
        if "generate_payments" in get_commands():
            call_command("generate_payments", str(args.payments - have))
        else:
            terminals = list(Terminal.objects.filter(dealer=demo))
            providers = list(Provider.objects.all())
            now = timezone.now()
            batch = []
            for i in range(have, args.payments):
                t = terminals[i % len(terminals)]
                amount = Decimal(100 + i % 900)
                batch.append(Payment(terminal=t, dealer=demo, txn=f"b{i}", provider=providers[i % len(providers)],
                                     provider_code="x", account="9161234567", amount=amount, credited=amount,
                                     reward=Decimal("1.00"), status="succeeded", content_hash="b",
                                     cheque_number=f"{t.number}-b{i}",
                                     paid_at=now - timedelta(minutes=i % (60 * 24 * 60))))
                if len(batch) == 5000:
                    Payment.objects.bulk_create(batch)
                    batch = []
            Payment.objects.bulk_create(batch)
            # received_at is auto_now_add: spread it like paid_at for day-based reports.
            Payment.objects.filter(dealer=demo).update(received_at=__import__("django.db.models", fromlist=["F"]).F("paid_at"))
        print(f"filled {args.payments - have} payments in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    aggregates_refresh()
    print(f"aggregates built in {time.perf_counter() - t0:.1f} s")

    client = Client(HTTP_HOST="127.0.0.1")
    client.login(username="dealer", password="kit-demo")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    resp = client.get("/cabinet/payments/?format=csv")
    lines = 0
    for chunk in resp.streaming_content:
        lines += chunk.count(b"\n")
    dt = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"CSV: {lines - 1} rows in {dt:.2f} s = {(lines - 1) / dt:,.0f} rows/s; "
          f"peak RSS of this process {rss1:.0f} MB (before the export {rss0:.0f} MB)")
    today = timezone.now().date()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        report_build(dealer=demo, date_from=today.replace(day=1) - timedelta(days=30), date_to=today, group="day")
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    page = client.get("/cabinet/reports/?group=day")
    page_ms = (time.perf_counter() - t0) * 1000
    print(f"month report (selector) best {min(times) * 1000:.0f} ms, page {page_ms:.0f} ms (status {page.status_code})")


if __name__ == "__main__":
    main()
