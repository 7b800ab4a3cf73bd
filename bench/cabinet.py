"""Cabinet bench (BENCH_CABINET=1 in scripts/bench.sh): CSV export speed and memory, a month's report.

Fills payments for the demo dealer with `manage.py generate_payments` when that command exists
(the support console's), else with one INSERT ... SELECT over generate_series of its own; then
streams the payments CSV through Django's handler in a fresh process (so its peak memory is the
export's, not the fill's) and times a month's report, the selector and the page.

    python -m bench.cabinet --payments 1000000
"""

import argparse
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kit.settings")

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402

from django.core.management import call_command, get_commands  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from dealers.aggregates import aggregates_refresh, report_build  # noqa: E402
from dealers.models import Dealer  # noqa: E402
from kit.demo import demo_load  # noqa: E402
from payments.models import Payment  # noqa: E402
from providers.models import Provider  # noqa: E402
from terminals.models import Terminal  # noqa: E402

DAYS = 60  # the fill spreads payments over the last 60 days: a month's report reads half of them


def _fill_sql(dealer: Dealer, start: int, stop: int) -> None:
    """Payments start..stop-1 of `dealer` in one statement: 19 in 20 succeeded, the rest failed."""
    terminals = list(Terminal.objects.filter(dealer=dealer).values_list("pk", "number"))
    providers = list(Provider.objects.values_list("pk", "code"))
    sql = """
        INSERT INTO payments_payment (terminal_id, dealer_id, txn, provider_id, provider_code, account, fields, amount,
                             fee, credited, reward, status, reason, flags, content_hash, cheque_number, paid_at,
                             received_at, finished_at, gateway_id, next_try_at, tries, leased_until)
        SELECT t.id, %(dealer)s, 'b' || g, p.id, p.code, (9160000000 + g %% 10000000)::text, '{}',
               100 + g %% 900, 0, 100 + g %% 900, round((100 + g %% 900) * 0.015, 2),
               CASE WHEN g %% 20 = 0 THEN 'failed' ELSE 'succeeded' END,
               CASE WHEN g %% 20 = 0 THEN 'declined' ELSE '' END, '[]', 'bench',
               t.number || '-b' || g, ts, ts, ts, NULL, NULL, 1, NULL
        FROM generate_series(%(start)s, %(stop)s - 1) AS g
        CROSS JOIN LATERAL (SELECT now() - (g %% %(minutes)s) * interval '1 minute' AS ts) AS w
        JOIN unnest(%(t_ids)s::bigint[], %(t_numbers)s::text[]) WITH ORDINALITY AS t(id, number, n)
          ON t.n = 1 + g %% %(t_count)s
        JOIN unnest(%(p_ids)s::bigint[], %(p_codes)s::text[]) WITH ORDINALITY AS p(id, code, n)
          ON p.n = 1 + g %% %(p_count)s
    """
    with connection.cursor() as cur:
        cur.execute(sql, {"dealer": dealer.pk, "start": start, "stop": stop, "minutes": DAYS * 24 * 60,
                          "t_ids": [t[0] for t in terminals], "t_numbers": [t[1] for t in terminals],
                          "t_count": len(terminals), "p_ids": [p[0] for p in providers],
                          "p_codes": [p[1] for p in providers], "p_count": len(providers)})
        cur.execute("ANALYZE payments_payment")


def export() -> None:
    """The CSV export alone, as the web process would serve it: rows, rows/s, peak RSS."""
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
    rows = lines - 1
    print(f"  CSV export     : {rows:,} rows in {dt:.1f} s = {rows / dt:,.0f} rows/s (target >= 50,000); "
          f"peak RSS of the exporting process {rss1:.0f} MB, {rss0:.0f} MB before the export (target < 150 MB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--payments", type=int, default=100_000)
    ap.add_argument("--export-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.export_only:
        export()
        return
    demo_load()
    demo = Dealer.objects.get(name="Demo")
    have = Payment.objects.filter(dealer=demo).count()
    if have < args.payments:
        t0 = time.perf_counter()
        if "generate_payments" in get_commands():
            call_command("generate_payments", str(args.payments - have))
            how = "generate_payments"
        else:
            _fill_sql(demo, have, args.payments)
            how = "INSERT ... SELECT"
        print(f"  filled         : {args.payments - have:,} payments in {time.perf_counter() - t0:.1f} s ({how})")
    t0 = time.perf_counter()
    aggregates_refresh()
    print(f"  aggregates     : built in {time.perf_counter() - t0:.1f} s")

    subprocess.run([sys.executable, "-m", "bench.cabinet", "--export-only"], check=True)

    today = timezone.localdate(timezone=timezone.get_fixed_timezone(180))
    month = today - timedelta(days=29)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        report = report_build(dealer=demo, date_from=month, date_to=today, group="day")
        times.append(time.perf_counter() - t0)
    client = Client(HTTP_HOST="127.0.0.1")
    client.login(username="dealer", password="kit-demo")
    pages = []
    for _ in range(5):
        t0 = time.perf_counter()
        page = client.get(f"/cabinet/reports/?date_from={month:%Y-%m-%d}&date_to={today:%Y-%m-%d}&group=day")
        pages.append(time.perf_counter() - t0)
        assert page.status_code == 200, page.status_code
    print(f"  month report   : {report.total.count:,} payments in 30 days; selector best {min(times) * 1000:.0f} ms, "
          f"page best {min(pages) * 1000:.0f} ms, worst {max(pages) * 1000:.0f} ms (target < 300 ms)")


if __name__ == "__main__":
    main()
