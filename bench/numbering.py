"""Numbering-plan bench: a generated plan of 500,000 ranges loaded through `load_numbering_plan`, then
the phone look-up's database time (p50/p99 from EXPLAIN ANALYZE's execution time) and EXPLAIN's plan.

    python -m bench.numbering --ranges 500000 --lookups 2000
"""

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kit.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from providers.models import NumberRange, PortedNumber  # noqa: E402
from providers.numbering import HEADER, phone_lookup  # noqa: E402

OPERATORS = [("ПАО \"Мобильные ТелеСистемы\"", "7740000076"), ("ПАО \"Вымпел-Коммуникации\"", "7713076301"),
             ("ПАО \"МегаФон\"", "7812014560"), ("ООО \"Т2 Мобайл\"", "7743895280")]


def plan_write(path: Path, ranges: int) -> None:
    """`ranges` ranges over DEF codes 900..999, each code cut into equal ranges (UTF-8 with BOM)."""
    per_code = ranges // 100
    size = 10_000_000 // per_code
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        f.write(";".join(HEADER) + "\r\n")
        for code in range(900, 1000):
            for i in range(per_code):
                name, inn = OPERATORS[(code + i) % len(OPERATORS)]
                lo = i * size
                f.write(f"{code};{lo:07d};{lo + size - 1:07d};{size};{name};Регион {i % 85};;{inn}\r\n")


def ported_write(path: Path, count: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("number;operator_inn;ported_at\n")
        for n in rng.sample(range(9000000000, 10000000000), count):
            f.write(f"{n};{OPERATORS[n % len(OPERATORS)][1]};2025-01-01\n")


def explain(sql: str, params, *, analyze: bool) -> dict | str:
    with connection.cursor() as cur:
        if analyze:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
            doc = cur.fetchone()[0]
            return (json.loads(doc) if isinstance(doc, str) else doc)[0]
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cur.fetchall())


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ranges", type=int, default=500_000)
    ap.add_argument("--ported", type=int, default=50_000)
    ap.add_argument("--lookups", type=int, default=2000)
    ap.add_argument("--dir", type=Path, default=Path("var/bench"))
    args = ap.parse_args()
    rng = random.Random(18)
    args.dir.mkdir(parents=True, exist_ok=True)
    plan, ported = args.dir / "generated-plan.csv", args.dir / "generated-ported.csv"
    plan_write(plan, args.ranges)
    ported_write(ported, args.ported, rng)
    t0 = time.perf_counter()
    call_command("load_numbering_plan", str(plan), verbosity=0)
    loaded = time.perf_counter() - t0
    call_command("load_ported_numbers", str(ported), verbosity=0)
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {NumberRange._meta.db_table}")
        cur.execute(f"ANALYZE {PortedNumber._meta.db_table}")
    print(f"  plan loaded    : {NumberRange.objects.count():,} ranges in {loaded:.1f} s "
          f"(+ {PortedNumber.objects.count():,} ported numbers)")

    numbers = [rng.randrange(9000000000, 10000000000) for _ in range(args.lookups)]
    # The look-up's two statements, as providers.numbering.phone_lookup issues them.
    range_sql, _ = NumberRange.objects.filter(first__lte=0).order_by("-first")[:1].query.sql_with_params()
    ported_sql, _ = PortedNumber.objects.filter(number=0)[:1].query.sql_with_params()
    for n in numbers[:50]:  # warm the cache as a running server's would be
        explain(range_sql, [n], analyze=True)
    db_ms = []
    for n in numbers:
        ms = explain(range_sql, [n], analyze=True)["Execution Time"]
        ms += explain(ported_sql, [n], analyze=True)["Execution Time"]
        db_ms.append(ms)
    wall_ms = []
    for n in numbers:
        t0 = time.perf_counter()
        phone_lookup(str(n))
        wall_ms.append((time.perf_counter() - t0) * 1000)
    print(f"  look-up DB time: p50 {p(db_ms, 0.5):.3f} ms, p99 {p(db_ms, 0.99):.3f} ms over {len(db_ms)} numbers "
          f"(range + ported statements, EXPLAIN ANALYZE execution time; target p99 < 1 ms)")
    print(f"  look-up in app : p50 {p(wall_ms, 0.5):.2f} ms, p99 {p(wall_ms, 0.99):.2f} ms "
          f"(phone_lookup with its round trips and the operator mapping)")
    print("  EXPLAIN of the range statement:")
    for line in explain(range_sql, [numbers[0]], analyze=False).splitlines():
        print("    " + line)


if __name__ == "__main__":
    main()
