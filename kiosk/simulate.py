"""`python -m kiosk simulate`: one kiosk posting a realistic mix of payments and watching them finish.

It talks to the platform only over the terminal API: a terminal without a key enrolls with a one-time
code given as --code or in $KIOSK_ENROLL_CODE (issued in the cabinet or by an admin)."""

from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .client import KioskClient
from .signing import key_load, key_save

REPO = Path(__file__).resolve().parent.parent
FINAL = {"succeeded", "failed", "cancelled"}
# The gateway simulators decide by the account's last four digits (gateways/simulators/base.py).
MAGIC = ["0001", "0002", "0003", "0004", "0005", "0006", "0007"]
MAGIC_PROVIDERS = ["mts", "rostelecom"]
AMOUNTS = ["50", "100", "100", "150", "200", "250.50", "300", "500", "1000", "75.25"]
KOPECK = Decimal("0.01")
# The one-time enrollment code may come from the environment instead of --code (kept out of `ps`).
CODE_ENV = "KIOSK_ENROLL_CODE"


def account_for(code: str, rng: random.Random, suffix: str | None = None) -> str:
    """An account in the demo provider's format (mobile 9XXXXXXXXX, rostelecom 12 digits, utilities 10)."""
    length = {"rostelecom": 12, "mosenergosbyt": 10}.get(code, 10)
    while True:
        digits = "".join(rng.choice("0123456789") for _ in range(length))
        if length == 10 and code != "mosenergosbyt":
            digits = "9" + digits[1:]
        if suffix:
            return digits[:-4] + suffix
        if digits[-4:] not in MAGIC:
            return digits


def fee_for(provider: dict, amount: Decimal) -> Decimal:
    """The fee the kiosk prints, from the config's rule (the server applies the same rule)."""
    rule = provider.get("fee")
    if not rule:
        return Decimal("0.00")
    fee = (amount * Decimal(rule["percent"]) / 100).quantize(KOPECK, ROUND_HALF_UP) + Decimal(rule["fixed"])
    fee = max(fee, Decimal(rule["minimum"]))
    return min(fee.quantize(KOPECK, ROUND_HALF_UP), amount)


def make_payments(config: dict, start_txn: int, count: int, rng: random.Random) -> list[dict]:
    providers = {p["code"]: p for p in config["providers"]}
    plan: list[tuple[str, str | None]] = [(code, m) for code in MAGIC_PROVIDERS if code in providers for m in MAGIC]
    plan = plan[:count]
    codes = sorted(providers)
    while len(plan) < count:
        plan.append((rng.choice(codes), None))
    rng.shuffle(plan)
    now = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
    out = []
    for i, (code, magic) in enumerate(plan):
        provider = providers[code]
        amount = max(Decimal(rng.choice(AMOUNTS)), Decimal(provider["limits"]["min"])).quantize(KOPECK)
        fee = fee_for(provider, amount)
        out.append({"txn": str(start_txn + i), "provider": code, "account": account_for(code, rng, magic),
                    "amount": f"{amount:.2f}", "fee": f"{fee:.2f}", "credited": f"{amount - fee:.2f}",
                    "paid_at": now, "fields": {}})
    return out


class NeedCode(SystemExit):
    pass


def ensure_enrolled(client: KioskClient, key_path: Path, code: str | None, out) -> None:
    """Use the stored key while the server knows it; else enroll a new one with the one-time code
    (a dealer issues it in the cabinet; an admin on the server with the issue_enrollment_code command)."""
    if key_path.exists():
        client.key = key_load(key_path)
        probe = client.config()
        if probe.status_code not in (401,) or probe.json()["error"]["code"] not in ("unknown_terminal",
                                                                                     "bad_signature"):
            return
        print(f"stored key for terminal {client.terminal} is not known to the server: enrolling again", file=out)
    code = code or os.environ.get(CODE_ENV)
    if not code:
        raise NeedCode(f"terminal {client.terminal} has no key the server knows: give --code CODE "
                       f"(or set {CODE_ENV}) with a one-time enrollment code")
    key = Ed25519PrivateKey.generate()
    response = client.enroll(code, key)
    if response.status_code != 200:
        raise SystemExit(f"enrollment failed: {response.status_code} {response.text}")
    key_save(key, key_path)
    print(f"terminal {client.terminal} enrolled; key stored in {key_path}", file=out)


def simulate(*, base: str, terminal: str, count: int, timeout: float, repo: Path = REPO, seed: int | None = None,
             transport=None, out=sys.stdout, poll_every: float = 1.0, code: str | None = None) -> dict[str, int]:
    """Post `count` payments as `terminal`, poll them until final or `timeout`; print and return the tally."""
    rng = random.Random(seed)
    key_path = repo / "var" / "kiosk" / f"{terminal}.key"
    with KioskClient(base, terminal, transport=transport) as client:
        ensure_enrolled(client, key_path, code, out)
        client.heartbeat({"software_version": "kiosk-sim/0.1",
                          "devices": {"bill_validator": {"state": "ok", "error": ""},
                                      "printer": {"state": "ok", "paper": "ok"}},
                          "cash": {"notes": 0, "amount": "0.00"}})
        response = client.config()
        if response.status_code != 200:
            raise SystemExit(f"GET /config: {response.status_code} {response.text}")
        config = response.json()
        start = int(config.get("last_txn") or 0) + 1
        payments = make_payments(config, start, count, rng)
        state: dict[str, dict] = {}
        for p in payments:
            r = client.post_payment(p)
            body = r.json()
            if r.status_code in (200, 201):
                state[p["txn"]] = body
            else:
                state[p["txn"]] = {"status": f"http {r.status_code}", "reason": body.get("error", {}).get("code", "")}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            waiting = [t for t, b in state.items() if b.get("status") not in FINAL and "id" in b]
            if not waiting:
                break
            time.sleep(poll_every)
            for txn in waiting:
                r = client.get_payment(txn)
                if r.status_code == 200:
                    state[txn] = r.json()
    tally: Counter[str] = Counter()
    print(f"{'txn':>8}  {'provider':<14} {'account':<13} {'amount':>9}  {'status':<12} reason", file=out)
    for p in payments:
        b = state[p["txn"]]
        status = b.get("status", "?")
        if status not in FINAL and not status.startswith("http"):
            status = f"{status} (not final after {timeout:g} s)"
        tally[b.get("status", "?")] += 1
        print(f"{p['txn']:>8}  {p['provider']:<14} {p['account']:<13} {p['amount']:>9}  {status:<12} "
              f"{b.get('reason', '')}", file=out)
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(tally.items()))
    print(f"{len(payments)} payments from terminal {terminal}: {summary}", file=out)
    return dict(tally)
