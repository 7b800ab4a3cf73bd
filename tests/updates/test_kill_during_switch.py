"""A kill at any point of the switch leaves a whole version behind `current`, the outbox as it was, and a
next start that finishes or undoes the switch by itself."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.store import Store
from kiosk.updates.install import Updater

from .kit import TRUSTED, FakeApi, current, fake_kiosk, install_root, outbox_payment, signed, tar_bytes

REPO = Path(__file__).resolve().parents[2]


class Killed(BaseException):
    """Stands for SIGKILL at a seam: nothing after it runs, no except clause catches it."""


@pytest.fixture
def world(tmp_path):
    root = install_root(tmp_path)
    api = FakeApi()
    files = fake_kiosk("0.3.0")
    archive = tar_bytes(sorted(files.items()))
    command = api.add(signed("0.3.0", files, archive), archive)
    store = Store(tmp_path / "kiosk.sqlite3")
    txn = outbox_payment(store)
    yield root, api, command, store, txn
    store.close()


def restart(tmp_path, root, api):
    """systemd starts whatever `current` points at."""
    running = current(root).removeprefix("releases/")
    return Updater(root=root, data_dir=tmp_path / "data", running_version=running, client=api, trusted=TRUSTED)


def outbox(store):
    return [(p.txn, str(p.amount)) for p in store.outbox()]


def test_killed_before_the_link_moved_the_old_version_restarts_and_tries_again(tmp_path, world, monkeypatch):
    root, api, command, store, txn = world
    up = Updater(root=root, data_dir=tmp_path / "data", running_version="0.2.0", client=api, trusted=TRUSTED)
    up.handle(command)

    def kill(target):
        raise Killed

    monkeypatch.setattr(up, "point_current", kill)
    with pytest.raises(Killed):
        up.step()

    again = restart(tmp_path, root, api)
    assert again.running_version == "0.2.0"
    assert again.recover() is False
    assert again.report()["state"] == "verified"
    assert again.step() == "switched"
    assert current(root) == "releases/0.3.0"
    assert outbox(store) == [(txn, "500.00")]


def test_killed_after_the_link_moved_the_new_version_starts_and_reports_running(tmp_path, world, monkeypatch):
    root, api, command, store, txn = world
    up = Updater(root=root, data_dir=tmp_path / "data", running_version="0.2.0", client=api, trusted=TRUSTED,
                 health=lambda release: (_ for _ in ()).throw(Killed()))
    up.handle(command)
    with pytest.raises(Killed):
        up.step()

    new = restart(tmp_path, root, api)
    assert new.running_version == "0.3.0"
    assert new.recover() is False
    new.boot()
    assert new.report() == {"version": "0.3.0", "state": "running", "reason": ""}
    assert outbox(store) == [(txn, "500.00")]


def test_a_new_version_that_keeps_crashing_on_start_puts_the_old_one_back(tmp_path, world):
    root, api, command, store, txn = world
    up = Updater(root=root, data_dir=tmp_path / "data", running_version="0.2.0", client=api, trusted=TRUSTED,
                 health=lambda release: (_ for _ in ()).throw(Killed()))
    up.handle(command)
    with pytest.raises(Killed):
        up.step()

    starts = [restart(tmp_path, root, api).recover() for _ in range(4)]

    assert starts == [False, False, False, True]
    assert current(root) == "releases/0.2.0"
    old = restart(tmp_path, root, api)
    assert old.recover() is False
    assert old.report() == {"version": "0.3.0", "state": "rolled_back", "reason": "health: did not start 3 times"}
    assert old.step() is None
    assert outbox(store) == [(txn, "500.00")]


SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from tests.updates.kit import TRUSTED, FakeApi, fake_kiosk, signed, tar_bytes
from kiosk.updates.install import Updater
files = fake_kiosk("0.3.0")
files["kiosk/__main__.py"] = b"import time\\ntime.sleep(60)\\n"
archive = tar_bytes(sorted(files.items()))
api = FakeApi()
command = api.add(signed("0.3.0", files, archive), archive)
up = Updater(root=Path({root!r}), data_dir=Path({data!r}), running_version="0.2.0", client=api, trusted=TRUSTED,
             check_seconds=60)
up.handle(command)
up.step()
"""


def test_sigkill_during_the_health_check_leaves_a_whole_version_and_the_next_start_settles_it(tmp_path, world):
    root, api, command, store, txn = world
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(repo=str(REPO), root=str(root), data=str(data))],
                            start_new_session=True)
    state = data / "update" / "state.json"
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            if state.exists() and json.loads(state.read_text()).get("state") == "switched" \
                    and current(root) == "releases/0.3.0":
                break
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    assert current(root) == "releases/0.3.0"
    assert sorted(p.name for p in (root / "releases").iterdir()) == ["0.2.0", "0.3.0"]
    new = restart(tmp_path, root, api)
    assert new.recover() is False
    new.boot()
    assert new.report()["state"] == "running"
    assert outbox(store) == [(txn, "500.00")]


def test_a_store_a_newer_version_added_to_stays_readable_and_sendable_by_this_one(tmp_path, world):
    """The rule a release keeps (additive schema changes only): after a rollback the old code reads the outbox."""
    root, api, command, store, txn = world
    store.close()
    import sqlite3

    db = sqlite3.connect(tmp_path / "kiosk.sqlite3")
    db.execute("ALTER TABLE payments ADD COLUMN loyalty_card TEXT NOT NULL DEFAULT ''")
    db.execute("CREATE TABLE IF NOT EXISTS release_0_3_notes (id INTEGER PRIMARY KEY, text TEXT)")
    db.commit()
    db.close()

    reopened = Store(tmp_path / "kiosk.sqlite3")
    assert outbox(reopened) == [(txn, "500.00")]
    assert reopened.queue_summary()["count"] == 1
    reopened.close()
