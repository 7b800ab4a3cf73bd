"""A real platform (gunicorn + a Celery worker on their own PostgreSQL database) and kiosk processes
with their devices served by simulator processes: the pieces of the end-to-end and kill tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class Platform:
    """The server on its own database `<test database>_live`, created and migrated once per module."""

    def __init__(self, database_url: str, workdir: Path):
        import psycopg

        base, _, name = database_url.rpartition("/")
        self.db_name = name.split("?")[0] + "_live"
        self.url = f"{base}/{self.db_name}"
        self.admin = admin = f"{base}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.env = {**os.environ, "DATABASE_URL": self.url, "REDIS_URL": "", "KIT_SIMULATORS": "1",
                    "KIT_DEMO_DATA": "1", "KIT_SIMULATOR_BASE_URL": self.base, "DEBUG": "0", "KIT_TLS": "0",
                    "KIT_SIM_REAL_SLEEP": "0", "DJANGO_SETTINGS_MODULE": "kit.settings",
                    "KIT_SWEEP_SECONDS": "2"}
        self.env.pop("PYTEST_CURRENT_TEST", None)
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("load_demo")
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def manage(self, *args: str) -> str:
        out = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                             timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)}: {out.stderr[-2000:]}")
        return out.stdout

    def enrollment_code(self, terminal: str) -> str:
        """What a dealer reads out of the cabinet (the kiosk program itself never runs manage.py)."""
        return self.manage("issue_enrollment_code", terminal).strip().splitlines()[-1]

    def start_web(self) -> None:
        log = open(self.workdir / "gunicorn.log", "ab")
        self.web = subprocess.Popen([str(BIN / "gunicorn"), "kit.wsgi", "-b", f"127.0.0.1:{self.port}", "-k", "gthread",
                                     "--workers", "1", "--threads", "8", "--timeout", "60"], cwd=ROOT, env=self.env,
                                    stdout=log, stderr=log)
        wait_for(self._up, 30, "gunicorn")

    def _up(self) -> bool:
        try:
            return httpx.get(self.base + "/api/terminal/v1/openapi.json", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop_web(self) -> None:
        if self.web is not None:
            self.web.terminate()
            self.web.wait(timeout=15)
            self.web = None

    def start_worker(self) -> None:
        log = open(self.workdir / "worker.log", "ab")
        self.worker = subprocess.Popen([str(BIN / "celery"), "-A", "kit", "worker", "-Q", "default,gateway",
                                        "--concurrency", "4", "--pool", "threads", "-l", "warning",
                                        "--without-heartbeat", "--without-gossip", "--without-mingle"],
                                       cwd=ROOT, env=self.env, stdout=log, stderr=log)

    def stop(self) -> None:
        self.stop_web()
        if self.worker is not None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def query(self, sql: str, *params):
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def payments(self, terminal: str) -> dict[str, tuple]:
        """txn -> (amount, status, paid_at, fee, credited) of the terminal's payments on the server."""
        rows = self.query("SELECT p.txn, p.amount, p.status, p.paid_at, p.fee, p.credited FROM payments_payment p "
                          "JOIN terminals_terminal t ON t.id = p.terminal_id WHERE t.number = %s", terminal)
        out = {}
        for txn, *rest in rows:
            assert txn not in out, f"txn {txn} twice on the server"
            out[txn] = tuple(rest)
        return out

    def upstream(self, account: str) -> int:
        return self.query("SELECT count(*) FROM simulators_simrecord WHERE account = %s AND state = 'paid'",
                          account)[0][0]


class Devices:
    """The validator and the printer simulators, each in its own process (they outlive kiosk kills)."""

    def __init__(self):
        from kiosk.devices.sim.serve import SimControl, spawn

        self.procs = []
        self.validator_proc, v = spawn("ccnet", pty=False)
        self.printer_proc, p = spawn("printer", pty=False)
        self.validator_url, self.printer_url = v["port"], p["port"]
        self.validator = SimControl(v["control"])
        self.printer = SimControl(p["control"])

    def counts(self) -> dict:
        return self.validator.call("counts")

    def stop(self) -> None:
        self.validator.close()
        self.printer.close()
        for proc in (self.validator_proc, self.printer_proc):
            proc.kill()
            proc.wait()


KIOSK_TOML = """
[server]
url = "{url}"
terminal = "{terminal}"
key_file = "terminal.key"
timeout = 3

[kiosk]
data_dir = "data"
listen = "127.0.0.1:0"
walk_away_seconds = 60
receipt_seconds = 60
heartbeat_seconds = 1
send_interval = 0.3
backoff_base = 0.3
backoff_max = 1.5
service_pin_hash = "{pin_hash}"

[devices]
validator = "{validator}"
printer = "{printer}"
cassette_capacity = 1000
poll_interval = 0.05
"""


class KioskProcess:
    """`python -m kiosk run --config FILE` as a child process, driven through its screens over HTTP."""

    def __init__(self, directory: Path, *, platform: Platform, devices: Devices, terminal: str = "1001",
                 pin_hash: str = ""):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = self.dir / "kiosk.toml"
        self.config.write_text(KIOSK_TOML.format(url=platform.base, terminal=terminal, validator=devices.validator_url,
                                                 printer=devices.printer_url, pin_hash=pin_hash))
        self.proc: subprocess.Popen | None = None
        self.port_file = self.dir / "data" / "screens.port"
        self.http: httpx.Client | None = None

    def enroll(self, code: str) -> None:
        out = subprocess.run([PYTHON, "-m", "kiosk", "enroll", "--config", str(self.config), "--code", code],
                             cwd=ROOT, capture_output=True, text=True, timeout=60, env=self._env())
        assert out.returncode == 0, out.stdout + out.stderr

    def _env(self, crash_at: str | None = None) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
        if crash_at:
            env["KIOSK_CRASH_AT"] = crash_at
        return env

    def start(self, crash_at: str | None = None) -> None:
        if self.port_file.exists():
            self.port_file.unlink()
        log = open(self.dir / "kiosk.log", "ab")
        self.proc = subprocess.Popen([PYTHON, "-m", "kiosk", "run", "--config", str(self.config)], cwd=ROOT,
                                     env=self._env(crash_at), stdout=log, stderr=log)
        port = wait_for(lambda: self.port_file.exists() and self.port_file.read_text().strip(), 20, "kiosk screens")
        if self.http is not None:
            self.http.close()
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        wait_for(lambda: self.state() not in (None,), 20, "kiosk state")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.http is not None:
            self.http.close()
            self.http = None

    def died(self, timeout: float = 10) -> None:
        wait_for(lambda: self.proc.poll() is not None, timeout, "the crash hook to kill the kiosk")
        assert self.proc.returncode == -signal.SIGKILL

    # -- the screens --------------------------------------------------------------------
    def state(self) -> dict | None:
        try:
            return self.http.get("/state.json").json()
        except (httpx.HTTPError, ValueError):
            return None

    def wait_state(self, state: str, timeout: float = 15) -> dict:
        return wait_for(lambda: (s := self.state()) and s["state"] == state and s, timeout, f"kiosk state {state}")

    def post(self, path: str, **data) -> httpx.Response:
        return self.http.post(path, data=data)

    def start_payment(self, provider: str, account: str) -> None:
        wait_for(lambda: (s := self.state()) and s["started"] and s["state"] == "idle", 20, "an idle kiosk")
        assert self.post("/choose", provider=provider).headers.get("location") == "/account", self.state()
        for ch in account:
            self.post("/key", key=ch)
        assert self.post("/account").headers.get("location") == "/insert", self.http.get("/account").text[-800:]

    def insert(self, devices: Devices, *values, expect_total: Decimal | None = None) -> None:
        for value in values:
            devices.validator.call("insert", value)
            target = expect_total
            if target is None:
                continue
        if expect_total is not None:
            wait_for(lambda: (s := self.state()) and Decimal(s["total"]) == expect_total, 15,
                     f"total {expect_total}")

    # -- the store, read only -----------------------------------------------------------
    def store_rows(self, sql: str, *params) -> list:
        path = self.dir / "data" / "kiosk.sqlite3"
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def store_payments(self) -> dict[str, tuple]:
        """txn -> (amount, state, paid_at) of every payment with money."""
        rows = self.store_rows("SELECT txn, amount, state, paid_at FROM payments WHERE txn IS NOT NULL")
        return {txn: (Decimal(amount), state, paid_at) for txn, amount, state, paid_at in rows}

    def all_sent(self) -> bool:
        rows = self.store_rows("SELECT count(*) FROM payments WHERE state IN ('open', 'finished')")
        return rows[0][0] == 0


def dumps(x) -> str:
    return json.dumps(x, default=str)
