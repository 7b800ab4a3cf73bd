"""Submission throughput: accept N payments (queued to Celery on commit) and time them to final.

Two phases, so that acceptance does not share the CPU with the submissions being timed:
`--accept FILE` accepts the payments (each queued to Celery on commit) with no worker
running yet and writes their ids; then, with the CyberPlat simulator served with its added
latency and the Celery workers started (scripts/bench.sh does both), `--wait FILE` waits
until every one is final and reports the rate: payments finished over the span from the
first attempt to the last answer. Each submission is a check and a pay.
`--profile N` (scripts/bench.sh with BENCH_SUBMIT_PROFILE=N, the simulator at no added
latency): the engine's own CPU per submission without Celery, in this one thread: N
payments accepted, then submitted one after another, each step timed with the process's CPU
clock (reserve, check, pay, record) and the whole run under cProfile; the top functions
are printed and the stats kept in var/bench/submit.prof (python -m pstats).
Usage: python -m bench.submit --count 600 --accept var/bench/ids.json
       python -m bench.submit --wait var/bench/ids.json --timeout 180
       python -m bench.submit --profile 300
"""

import argparse
import json
import os
import random
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kit.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Max, Min  # noqa: E402

from payments.models import Attempt, Payment  # noqa: E402
from payments.services import PaymentRequest, payment_accept  # noqa: E402
from terminals.models import Terminal  # noqa: E402

from .setup import TERMINAL  # noqa: E402


def accept(count: int) -> tuple[list[int], float]:
    terminal = Terminal.objects.select_related("dealer").get(number=TERMINAL)
    run = random.randint(10000, 99999) * 10 + 1  # never ends in 0: no magic account suffixes
    ids: list[int] = []
    lock = threading.Lock()

    def part(numbers: range) -> None:
        for i in numbers:
            req = PaymentRequest(txn=f"9{run}{i:07d}", provider_code="mts", account=f"9{run}{i % 1000:03d}",
                                 amount=Decimal("100.00"), paid_at=datetime.now(UTC))
            payment, _ = payment_accept(terminal=terminal, request=req)
            with lock:
                ids.append(payment.pk)
        connection.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=part, args=(range(k, count, 8),)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ids, time.perf_counter() - t0


def wait(ids: list[int], timeout: float, quiet: bool = False) -> None:
    t0 = time.perf_counter()
    final = {"succeeded", "failed", "cancelled"}
    done = 0
    while time.perf_counter() - t0 < timeout:
        done = Payment.objects.filter(pk__in=ids, status__in=final).count()
        if done == len(ids):
            break
        time.sleep(1.0)  # the rate comes from the attempts' own timestamps, not from this loop
    elapsed = time.perf_counter() - t0
    statuses: dict[str, int] = {}
    for status in Payment.objects.filter(pk__in=ids).values_list("status", flat=True):
        statuses[status] = statuses.get(status, 0) + 1
    span = Attempt.objects.filter(payment_id__in=ids).aggregate(a=Min("started_at"), b=Max("finished_at"))
    window = (span["b"] - span["a"]).total_seconds() if span["a"] and span["b"] else elapsed
    rate = done / window if window else 0.0
    if quiet:
        if done != len(ids):
            print(f"  warm-up: only {done}/{len(ids)} final after {elapsed:.0f} s   {statuses}")
        return
    in_flight = sum((a.finished_at - a.started_at).total_seconds()
                    for a in Attempt.objects.filter(payment_id__in=ids, finished_at__isnull=False)
                    .only("started_at", "finished_at")) / window if window else 0.0
    print(f"  submissions    : {rate:8.1f} /s   ({done}/{len(ids)} final, attempts over {window:.1f} s, "
          f"{in_flight:.0f} in flight on average; waited {elapsed:.1f} s)   {statuses}   (target >= 60/s)")
    print(json.dumps({"payments": len(ids), "final": done, "seconds": round(elapsed, 2),
                      "submissions_per_second": round(rate, 1), "in_flight": round(in_flight, 1),
                      "statuses": statuses}))


def profile(count: int, out: Path, threads: int = 1) -> None:
    import cProfile
    import pstats

    from payments.services import submit as engine

    steps = {"reserve": 0.0, "check": 0.0, "pay": 0.0, "record": 0.0}

    def timed(name, fn):
        def run(*args, **kwargs):
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                steps[name] += time.process_time() - t0
        return run

    ids, _ = accept(count)
    warm = ids[:20]  # imports, the first connections, the caches: not what a busy worker pays
    for pk in warm:
        engine.payment_submit(payment_id=pk)
    real = (engine._reserve, engine._record, engine.outcomes.call_safely)

    def call_safely(fn, order, *, on_error):
        return timed(fn.__name__, real[2])(fn, order, on_error=on_error)

    engine._reserve, engine._record = timed("reserve", real[0]), timed("record", real[1])
    engine.outcomes.call_safely = call_safely
    rest = ids[len(warm):]
    # With threads the whole rest runs unprofiled (one at a time under the simulator's latency
    # would take minutes); single-threaded, the second half runs under cProfile.
    plain, profiled = (rest, []) if threads > 1 else (rest[: len(rest) // 2], rest[len(rest) // 2:])
    # First half without the profiler (its CPU per submission is the figure), then the
    # second half under cProfile with a CPU clock, so waits on PostgreSQL and the simulator
    # do not count as time spent in a function.
    prof = cProfile.Profile(time.process_time)
    try:
        t0 = time.process_time()
        if threads > 1:  # as a worker's pool runs them, without Celery: what the threads themselves cost
            from concurrent.futures import ThreadPoolExecutor

            def one(pk):
                try:
                    engine.payment_submit(payment_id=pk)
                finally:
                    connection.close()

            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(one, plain))
        else:
            for pk in plain:
                engine.payment_submit(payment_id=pk)
        cpu = time.process_time() - t0
        per_step = {k: 1000 * v / len(plain) for k, v in steps.items()}
        prof.enable()
        for pk in profiled:
            engine.payment_submit(payment_id=pk)
        prof.disable()
    finally:
        engine._reserve, engine._record, engine.outcomes.call_safely = real
    statuses: dict[str, int] = {}
    for status in Payment.objects.filter(pk__in=rest).values_list("status", flat=True):
        statuses[status] = statuses.get(status, 0) + 1
    n = len(plain)
    print(f"  in-process     : {1000 * cpu / n:.2f} ms CPU per submission over {n} in {threads} thread(s) "
          f"({len(rest)} submitted: {statuses})")
    print("  steps (ms CPU each): " + "   ".join(f"{k} {v:.2f}" for k, v in per_step.items()))
    if not profiled:
        return
    prof.dump_stats(str(out))
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(35)
    stats.sort_stats("cumulative").print_stats(60)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=600)
    ap.add_argument("--accept", type=Path, help="accept --count payments, write their ids here")
    ap.add_argument("--wait", type=Path, help="wait for the payments whose ids are here")
    ap.add_argument("--timeout", type=float, default=180.0)
    ap.add_argument("--quiet", action="store_true", help="with --wait: say nothing unless some are not final")
    ap.add_argument("--profile", type=int, help="submit this many payments in this thread under cProfile")
    ap.add_argument("--profile-out", type=Path, default=Path("var/bench/submit.prof"))
    ap.add_argument("--threads", type=int, default=1, help="with --profile: the unprofiled half in this many threads")
    args = ap.parse_args()
    if args.accept:
        ids, seconds = accept(min(args.count, 20000))
        args.accept.write_text(json.dumps(ids))
        print(f"  accepted {len(ids)} payments in {seconds:.1f} s (queued for the workers)")
    elif args.profile:
        profile(args.profile, args.profile_out, args.threads)
    elif args.wait:
        wait(json.loads(args.wait.read_text()), args.timeout, quiet=args.quiet)
    else:
        ap.error("--accept FILE or --wait FILE")


if __name__ == "__main__":
    main()
