"""`manage.py generate_payments N [--days 90] [--seed 1]`: N realistic payments for benches and demos.

Spread over dealers (it adds a few generated dealers and sub-agents with terminals when the
database has fewer), terminals (some much busier than others), providers (mobile operators
most), the last `--days` days (more by day than by night), and statuses with their reasons in
about the proportions production sees; each payment gets its event rows (the timeline) and,
once it reached a gateway, its attempts. Written with COPY on PostgreSQL (about 1,000,000 in a
few minutes on two cores), plain multi-row inserts elsewhere.

It needs the catalogue (providers, gateways, routes: `manage.py load_demo` or the admin). It
writes no ledger entries: dealer balances stay as they are. Running it again adds N more.
"""

import io
import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from dealers.models import Dealer
from dealers.services import dealer_create
from gateways.models import Route
from payments.models import Attempt, Event, Payment
from providers.models import Provider
from terminals.models import Terminal

CHUNK = 20_000
MIN_DEALERS, MIN_TERMINALS = 12, 150

# (status, reason, weight, path): where the payment stopped. Paths: "accept" failed or held at
# acceptance (no gateway), "gateway" went through a gateway, "recent" is still under way.
OUTCOMES = [
    ("succeeded", "", 95.0, "gateway"),
    ("failed", "declined", 1.2, "gateway"),
    ("failed", "account_format", 0.4, "accept"),
    ("failed", "gateway_unavailable", 0.2, "gateway"),
    ("failed", "no_route", 0.08, "accept"),
    ("failed", "amount_out_of_limits", 0.1, "accept"),
    ("failed", "blacklisted_account", 0.05, "accept"),
    ("failed", "unknown_provider", 0.05, "accept"),
    ("cancelled", "", 0.4, "gateway"),
    ("held", "insufficient_balance", 0.25, "accept"),
    ("held", "provider_disabled", 0.05, "accept"),
    ("held", "terminal_blocked", 0.03, "accept"),
    ("processing", "outcome_unknown", 0.06, "gateway"),
    ("processing", "gateway_config", 0.02, "gateway"),
    ("processing", "no_gateway_available", 0.02, "gateway"),
    ("processing", "", 0.8, "recent"),
    ("accepted", "", 0.2, "recent"),
]
# Result codes per protocol for a success and for a final decline (from each adapter's table).
CODES = {"cyberplat": ("0", "23"), "osmp": ("0", "298"), "contact": ("0", "201"), "comepay": ("0", "298"),
         "provider": ("0", "5")}
# Banknotes and round sums dominate what a kiosk takes.
AMOUNTS = [10, 20, 30, 50, 50, 100, 100, 100, 100, 150, 200, 200, 250, 300, 300, 350, 400, 500, 500, 500,
           600, 700, 800, 1000, 1000, 1000, 1500, 2000, 2500, 3000, 5000, 10000]


class Command(BaseCommand):
    help = "Generate N realistic payments (with events and attempts) spread over dealers, terminals and days."

    def add_arguments(self, parser):
        parser.add_argument("n", type=int)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--seed", type=int, default=None, help="the same seed gives the same data")

    def handle(self, *args, n: int, days: int, seed, **options):
        if n <= 0 or days <= 0:
            raise CommandError("N and --days must be positive")
        providers = list(Provider.objects.select_related("category").order_by("pk"))
        if not providers:
            raise CommandError("no providers: load a catalogue first (manage.py load_demo)")
        rng = random.Random(seed)
        started = timezone.now()
        terminals = _terminals(rng)
        routes = _routes()
        gen = _Generator(rng, terminals, providers, routes, days, started)
        counts = gen.write(n)
        took = (timezone.now() - started).total_seconds()
        self.stdout.write(f"generated {counts['payments']} payments, {counts['events']} events, "
                          f"{counts['attempts']} attempts over {len(terminals)} terminals in {took:.1f} s")


def _terminals(rng: random.Random) -> list[Terminal]:
    """The terminals to spread over; adds generated dealers, sub-agents and terminals up to a realistic few."""
    with transaction.atomic():
        dealers = list(Dealer.objects.order_by("pk"))
        for i in range(len(dealers), MIN_DEALERS):
            parent = rng.choice(dealers) if dealers and i % 3 == 2 else None
            dealers.append(dealer_create(name=f"Генератор {i + 1:02d}", parent=parent,
                                         support_phone=f"8 800 100-{i:02d}-00"))
        have = Terminal.objects.count()
        if have < MIN_TERMINALS:
            taken = set(Terminal.objects.values_list("number", flat=True))
            numbers = (str(n) for n in range(50001, 99999) if str(n) not in taken)
            cities = ["Москва", "Тверь", "Казань", "Самара", "Пермь", "Уфа", "Омск", "Томск"]
            Terminal.objects.bulk_create([
                Terminal(number=next(numbers), dealer=dealers[i % len(dealers)],
                         address=f"{rng.choice(cities)}, ул. Генераторная, {i + 1}")
                for i in range(MIN_TERMINALS - have)])
    return list(Terminal.objects.order_by("pk"))


def _routes() -> dict[int, list]:
    """provider id -> its general route's gateways by priority."""
    out: dict[int, list] = {}
    for r in Route.objects.filter(dealer=None, is_active=True).select_related("gateway").order_by("priority", "pk"):
        out.setdefault(r.provider_id, []).append(r.gateway)
    return out


class _Generator:
    def __init__(self, rng, terminals, providers, routes, days, now):
        self.rng, self.terminals, self.providers, self.routes = rng, terminals, providers, routes
        self.days, self.now = days, now
        # Busy terminals and popular providers: weights fall off like a long tail.
        self.t_weights = [1 / (i + 1) ** 0.6 for i in range(len(terminals))]
        rng.shuffle(self.t_weights)
        self.p_weights = [(6 if p.category.code == "mobile" else 1) for p in providers]
        self.o_weights = [o[2] for o in OUTCOMES]
        self.next_txn = _next_txns(terminals)
        self.pg = connection.vendor == "postgresql"

    def _paid_at(self, recent: bool) -> datetime:
        if recent:
            return self.now - timedelta(seconds=self.rng.uniform(5, 3600))
        while True:
            t = self.now - timedelta(seconds=self.rng.uniform(3600, self.days * 86400))
            hour = (t.hour + 3) % 24  # Moscow: kiosks are busy by day, quiet at night
            if self.rng.random() < (0.15 if hour < 7 else 1.0):
                return t

    def write(self, n: int) -> dict:
        rng = self.rng
        # Draw everything but ids first, then order by time: a terminal's txn numbers grow with time.
        # One draw of k each: choices() with weights recomputes their running sum on every call.
        outcomes = rng.choices(OUTCOMES, self.o_weights, k=n)
        terminals = rng.choices(self.terminals, self.t_weights, k=n)
        providers = rng.choices(self.providers, self.p_weights, k=n)
        drafts = [(self._paid_at(o[3] == "recent"), t, p, o)
                  for o, t, p in zip(outcomes, terminals, providers, strict=True)]
        drafts.sort(key=lambda d: d[0])
        counts = {"payments": 0, "events": 0, "attempts": 0}
        ids = _Ids(self.pg)
        for start in range(0, n, CHUNK):
            chunk = drafts[start:start + CHUNK]
            pids = ids.take(len(chunk))
            payments, events, attempts = [], [], []
            for pid, draft in zip(pids, chunk, strict=True):
                self._one(pid, *draft, payments, events, attempts)
            with transaction.atomic():
                _insert(Payment, payments, explicit_id=True)
                _insert(Event, events)
                _insert(Attempt, attempts)
            counts["payments"] += len(payments)
            counts["events"] += len(events)
            counts["attempts"] += len(attempts)
        ids.finish()
        return counts

    def _one(self, pid, paid_at, terminal, provider, outcome, payments, events, attempts):
        rng = self.rng
        status, reason, _w, path = outcome
        mobile = provider.category.code == "mobile"
        account = f"9{rng.randrange(10**9):09d}" if mobile else f"{rng.randrange(10**9, 10**11)}"
        amount = Decimal(rng.choice(AMOUNTS))
        if reason == "amount_out_of_limits":
            amount = provider.max_amount + Decimal(rng.choice([5000, 10000]))
        fee = Decimal(0) if mobile else (amount * Decimal("0.01")).quantize(Decimal("0.01"))
        credited = amount - fee
        reward = (credited * Decimal("0.015")).quantize(Decimal("0.01"))
        received = paid_at + timedelta(seconds=rng.uniform(0.05, 2) if rng.random() > 0.02 else rng.uniform(60, 7200))
        txn = self.next_txn[terminal.pk]
        self.next_txn[terminal.pk] = txn + 1
        gateways = self.routes.get(provider.pk, [])
        reaches_gateway = path in ("gateway", "recent") and gateways and status != "accepted"
        gateway = gateways[0] if reaches_gateway else None
        t = received
        evs = [("", "accepted" if path != "accept" else status, reason if path == "accept" else "",
                f"terminal:{terminal.number}", t)]
        finished = None
        tries = 0
        if reaches_gateway:
            t += timedelta(milliseconds=rng.randint(20, 400))
            evs.append(("accepted", "processing", "", "worker", t))
            second = len(gateways) > 1 and rng.random() < 0.05
            tries = 2 if second else 1
            for k in range(tries):
                gw = gateways[k]
                ok_code, no_code = CODES.get(gw.protocol, ("0", "1"))
                last = k == tries - 1
                if status == "succeeded" and last:
                    outcome_code, code = "ok", ok_code
                elif status in ("failed", "cancelled") and last and reason != "gateway_unavailable":
                    outcome_code, code = "declined", no_code
                elif reason == "gateway_unavailable" or (not last):
                    outcome_code, code = "retry", "transport"
                elif reason == "gateway_config":
                    outcome_code, code = "config", "http_403"
                else:
                    outcome_code, code = ("unknown", "transport") if status == "processing" and reason else ("", "")
                ms = rng.randint(80, 900) if code != "transport" else rng.randint(3000, 5000)
                started = t
                t += timedelta(milliseconds=ms)
                closed = outcome_code in ("ok", "declined", "retry", "config")
                exchange = []
                if outcome_code not in ("ok", ""):
                    exchange = [{"op": "pay", "url": f"{gw.base_url.rstrip('/')}/pay", "status": None if code == "transport" else 200,
                                 "request": f"SESSION=9{pid:015d}{k:02d}&NUMBER={account}&AMOUNT={credited}&PASSWORD=***",
                                 "response": "no reply: ReadTimeout" if code == "transport" else f"ERROR={code}",
                                 "ms": ms}]
                attempts.append({
                    "payment_id": pid, "gateway_id": gw.pk, "attempt_id": f"9{pid:015d}{k:02d}",
                    "state": "closed" if closed else "open", "outcome": outcome_code, "result_code": code,
                    "message": "" if outcome_code == "ok" else ("timeout" if code == "transport" else "declined"),
                    "upstream_id": f"{rng.randrange(10**11, 10**12)}" if outcome_code in ("ok", "declined") else "",
                    "remote_id": str(provider.pk), "polls": rng.randint(5, 40) if outcome_code == "unknown" else 0,
                    "exchange": exchange, "duration_ms": ms if closed else None, "started_at": started,
                    "finished_at": t if closed else None})
                if not last:
                    evs.append(("processing", "processing", "rerouted", "worker", t))
            if status in ("succeeded", "failed", "cancelled"):
                to = "succeeded" if status == "succeeded" else "failed"
                evs.append(("processing", to, "" if to == "succeeded" else reason or "declined", "worker", t))
                finished = t
            if status == "cancelled":
                t += timedelta(minutes=rng.randint(5, 600))
                evs.append(("failed", "cancelled", "", "user:senior", t))
                finished = t
        elif path == "accept" and status == "failed":
            finished = received
        elif path == "gateway":
            # The route has no gateway left (a catalogue without routes): it failed at submission.
            status, reason = ("failed", "no_route") if status != "held" else (status, reason)
            evs.append(("accepted", "failed", "no_route", "worker", t))
            finished = t
        payments.append({
            "id": pid, "terminal_id": terminal.pk, "dealer_id": terminal.dealer_id, "txn": str(txn),
            "provider_id": provider.pk, "provider_code": provider.code, "account": account, "fields": {},
            "amount": amount, "fee": fee, "credited": credited, "reward": reward, "status": status,
            "reason": reason, "flags": [], "content_hash": f"gen{pid:016x}",
            "cheque_number": f"{terminal.number}-{txn}", "paid_at": paid_at, "received_at": received,
            "finished_at": finished, "gateway_id": gateway.pk if gateway and status != "accepted" else None,
            "next_try_at": received + timedelta(minutes=5) if status == "processing" else None, "tries": tries,
            "leased_until": None})
        for frm, to, why, actor, at in evs:
            events.append({"payment_id": pid, "from_status": frm, "to_status": to, "reason": why, "actor": actor,
                           "user_id": None, "detail": {}, "created_at": at})


def _next_txns(terminals) -> dict[int, int]:
    """Per terminal, a txn number above every numeric txn it already used."""
    nxt = {t.pk: 1 for t in terminals}
    for tid, txn in Payment.objects.values_list("terminal_id", "txn").iterator(chunk_size=50_000):
        if txn.isdigit() and len(txn) < 18 and int(txn) >= nxt.get(tid, 1):
            nxt[tid] = int(txn) + 1
    return nxt


class _Ids:
    """Payment ids for a chunk: from the sequence on PostgreSQL (safe beside a running server), else max + 1."""

    def __init__(self, pg: bool):
        self.pg = pg
        self.last = Payment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def take(self, k: int) -> list[int]:
        if self.pg:
            with connection.cursor() as c:
                c.execute("SELECT nextval(pg_get_serial_sequence('payments_payment', 'id')) "
                          "FROM generate_series(1, %s)", [k])
                return [r[0] for r in c.fetchall()]
        ids = list(range(self.last + 1, self.last + 1 + k))
        self.last += k
        return ids

    def finish(self):
        pass


def _columns(model, explicit_id: bool):
    fields = [f for f in model._meta.concrete_fields if explicit_id or not f.primary_key]
    return fields


def _insert(model, rows: list[dict], explicit_id: bool = False) -> None:
    """Insert `rows` (attname -> value); columns a row does not name get the field's default."""
    if not rows:
        return
    fields = _columns(model, explicit_id)
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in rows[0]}
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        buf = io.StringIO()
        for row in rows:
            buf.write("\t".join(_copy_value(f, row[f.attname] if f.attname in row else defaults[f.attname])
                                for f in fields))
            buf.write("\n")
        cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with connection.cursor() as c:
            with c.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({cols}) FROM STDIN") as copy:
                copy.write(buf.getvalue())
        return
    values = [[f.get_db_prep_save(row[f.attname] if f.attname in row else defaults[f.attname], connection)
               for f in fields] for row in rows]
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as c:
        # Names come from the model's own meta, quoted; every value is a parameter.
        sql = f"INSERT INTO {connection.ops.quote_name(table)} ({cols}) VALUES ({marks})"  # noqa: S608
        c.executemany(sql, values)


_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(field, value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_ESCAPE)
    return str(value).translate(_ESCAPE)
