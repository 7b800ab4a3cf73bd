"""The kiosk's updater: every bad input leaves the old version running and says why; a good one switches."""

import errno
import tarfile

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.store import Store
from kiosk.sync import heartbeat_doc
from kiosk.updates import install
from kiosk.updates.build import build, successor_sign
from kiosk.updates.install import Updater
from kiosk.updates.manifest import ManifestError, verify_signed

from .kit import (
    KEY,
    TRUSTED,
    FakeApi,
    FakeFlow,
    current,
    fake_kiosk,
    install_root,
    outbox_payment,
    signed,
    tar_bytes,
)


@pytest.fixture
def api():
    return FakeApi()


@pytest.fixture
def root(tmp_path):
    return install_root(tmp_path)


def updater(tmp_path, root, api, running="0.2.0", **kw):
    return Updater(root=root, data_dir=tmp_path / "data", running_version=running, client=api, trusted=TRUSTED, **kw)


def good(api, version="0.3.0", health_exit=0, **kw):
    files = fake_kiosk(version, health_exit)
    archive = tar_bytes(sorted(files.items()))
    return api.add(signed(version, files, archive, **kw), archive)


def test_a_good_release_switches_and_the_new_version_reports_running(tmp_path, root, api):
    up = updater(tmp_path, root, api)
    assert up.handle(good(api)) == {"version": "0.3.0", "state": "pending", "reason": ""}

    assert up.step() == "switched"

    assert current(root) == "releases/0.3.0"
    assert (root / "releases/0.3.0/kiosk/__init__.py").read_text() == '__version__ = "0.3.0"\n'
    started = updater(tmp_path, root, api, running="0.3.0")
    started.boot()
    assert started.report() == {"version": "0.3.0", "state": "running", "reason": ""}


def test_a_release_built_by_the_release_tool_installs(tmp_path, root, api):
    source = tmp_path / "src"
    for name, data in fake_kiosk("0.3.0").items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    doc = build(version="0.3.0", source=source, key=KEY, out=tmp_path / "kiosk-0.3.0.tar.gz", min_version="0.1")
    command = api.add(doc, (tmp_path / "kiosk-0.3.0.tar.gz").read_bytes())
    up = updater(tmp_path, root, api)
    up.handle(command)

    assert up.step() == "switched"
    assert current(root) == "releases/0.3.0"


def test_a_new_version_that_fails_its_health_check_rolls_back_by_itself(tmp_path, root, api):
    up = updater(tmp_path, root, api)
    up.handle(good(api, health_exit=3))

    assert up.step() == "rolled_back"

    assert current(root) == "releases/0.2.0"
    report = up.report()
    assert report["state"] == "rolled_back"
    assert report["reason"] == "health: health check exit 3: health of 0.3.0"


def test_a_new_version_that_hangs_is_rolled_back_after_the_time_limit(tmp_path, root, api):
    files = fake_kiosk("0.3.0")
    files["kiosk/__main__.py"] = b"import time\ntime.sleep(30)\n"
    archive = tar_bytes(sorted(files.items()))
    up = updater(tmp_path, root, api, check_seconds=0.5)
    up.handle(api.add(signed("0.3.0", files, archive), archive))

    assert up.step() == "rolled_back"
    assert current(root) == "releases/0.2.0"
    assert up.report()["reason"] == "health: no health within 0.5 s"


def refused(tmp_path, root, api, files, entries, **kw):
    archive = tar_bytes(entries)
    up = updater(tmp_path, root, api)
    up.handle(api.add(signed("0.3.0", files, archive, **kw), archive))
    assert up.step() == "failed"
    assert current(root) == "releases/0.2.0"
    assert not (root / "releases/0.3.0").exists()
    assert not (root / "releases/0.3.0.new").exists()
    return up.report()


def test_a_tampered_file_is_refused(tmp_path, root, api):
    files = fake_kiosk("0.3.0")
    served = dict(files, **{"kiosk/__main__.py": b"import os\nos.system('steal')\n"})
    report = refused(tmp_path, root, api, files, sorted(served.items()))
    assert report == {"version": "0.3.0", "state": "failed",
                      "reason": "file_size: kiosk/__main__.py: 29 bytes, the manifest says 65"}


def test_a_tampered_file_of_the_same_size_is_refused_by_its_hash(tmp_path, root, api):
    files = fake_kiosk("0.3.0")
    served = dict(files, **{"kiosk/__init__.py": b'__version__ = "6.6.6"\n'})
    report = refused(tmp_path, root, api, files, sorted(served.items()))
    assert report["reason"] == "file_hash: kiosk/__init__.py is not the file the manifest signed"


def test_a_missing_file_is_refused(tmp_path, root, api):
    files = fake_kiosk("0.3.0")
    report = refused(tmp_path, root, api, files, [("kiosk/__init__.py", files["kiosk/__init__.py"])])
    assert report["reason"] == "missing_file: kiosk/__main__.py (and 0 more) not in the archive"


def test_an_extra_file_is_refused(tmp_path, root, api):
    files = fake_kiosk("0.3.0")
    report = refused(tmp_path, root, api, files, sorted(files.items()) + [("kiosk/backdoor.py", b"x")])
    assert report["reason"] == "extra_file: kiosk/backdoor.py is not in the manifest"


@pytest.mark.parametrize("name", ["../evil.py", "/etc/cron.d/evil", "kiosk/../../evil.py"])
def test_an_entry_escaping_the_install_directory_is_refused(tmp_path, root, api, name):
    files = fake_kiosk("0.3.0")
    report = refused(tmp_path, root, api, files, [(name, b"x")] + sorted(files.items()))
    assert report["reason"] == f"bad_entry: {name!r} escapes the install directory"
    assert not (tmp_path / "evil.py").exists()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE])
def test_links_and_device_files_are_refused(tmp_path, root, api, kind):
    files = fake_kiosk("0.3.0")
    info = tarfile.TarInfo("kiosk/__main__.py")
    info.type = kind
    info.linkname = "/etc/passwd"
    report = refused(tmp_path, root, api, files, [("kiosk/__init__.py", files["kiosk/__init__.py"]), info])
    assert report["reason"] == "bad_entry: kiosk/__main__.py is a link or a device, not a regular file"


def test_a_manifest_signed_by_another_key_is_refused(tmp_path, root, api):
    files = fake_kiosk("0.3.0")
    report = refused(tmp_path, root, api, files, sorted(files.items()), key=Ed25519PrivateKey.generate())
    assert report["reason"] == "bad_signature: the manifest's signature does not verify with a trusted key"


def test_a_successor_key_signed_by_the_built_in_key_is_accepted(tmp_path, root, api):
    successor = Ed25519PrivateKey.generate()
    from kiosk.signing import public_key_b64

    chain = successor_sign(key=KEY, successor_public=public_key_b64(successor))
    up = updater(tmp_path, root, api)
    up.handle(good(api, key=successor, chain=chain))
    assert up.step() == "switched"


def test_a_successor_key_not_signed_by_a_trusted_key_is_refused(tmp_path, root, api):
    rogue = Ed25519PrivateKey.generate()
    from kiosk.signing import public_key_b64

    chain = successor_sign(key=rogue, successor_public=public_key_b64(rogue))
    files = fake_kiosk("0.3.0")
    report = refused(tmp_path, root, api, files, sorted(files.items()), key=rogue, chain=chain)
    assert report["reason"] == "bad_signature: a successor key is not signed by a trusted key"


def test_a_replayed_older_release_is_refused_without_a_download(tmp_path, root, api):
    up = updater(tmp_path, root, api)
    command = good(api, version="0.1.9")
    assert up.handle(command) == {"version": "0.1.9", "state": "failed",
                                  "reason": "downgrade: 0.1.9 is not above the running 0.2.0"}
    assert up.step() is None
    assert api.requests == []
    assert current(root) == "releases/0.2.0"


def test_the_running_version_again_is_refused(tmp_path, root, api):
    up = updater(tmp_path, root, api)
    assert up.handle(good(api, version="0.2.0"))["reason"] == "downgrade: 0.2.0 is not above the running 0.2.0"


def test_a_manifest_of_another_version_than_the_command_is_refused(tmp_path, root, api):
    files = fake_kiosk("0.1.0")
    archive = tar_bytes(sorted(files.items()))
    doc = signed("0.1.0", files, archive)
    api.releases["0.3.0"] = (doc, archive)
    up = updater(tmp_path, root, api)
    up.handle({"version": "0.3.0", **doc["manifest"]["archive"]})
    assert up.step() == "failed"
    assert up.report()["reason"] == "wrong_version: the manifest is of 0.1.0"


def test_a_release_whose_minimum_version_is_above_the_running_one_is_refused(tmp_path, root, api):
    files = fake_kiosk("0.4.0")
    report_up = updater(tmp_path, root, api)
    archive = tar_bytes(sorted(files.items()))
    report_up.handle(api.add(signed("0.4.0", files, archive, min_version="0.3.0"), archive))
    assert report_up.step() == "failed"
    assert report_up.report()["reason"] == "min_version: 0.4.0 needs at least 0.3.0"
    assert current(root) == "releases/0.2.0"


def test_an_archive_that_is_not_the_signed_one_is_refused_by_its_hash(tmp_path, root, api):
    command = good(api)
    doc, archive = api.releases["0.3.0"]
    api.releases["0.3.0"] = (doc, archive[:-1] + bytes([archive[-1] ^ 1]))
    up = updater(tmp_path, root, api)
    up.handle(command)
    assert up.step() == "failed"
    assert up.report()["reason"] == "archive_hash: the archive's SHA-256 is not the manifest's"
    assert current(root) == "releases/0.2.0"


def test_a_truncated_download_keeps_the_old_version_and_resumes_where_it_stopped(tmp_path, root, api, monkeypatch):
    monkeypatch.setattr(install, "CHUNK", 64)
    up = updater(tmp_path, root, api)
    command = good(api)
    up.handle(command)
    api.fail_after = 1

    assert up.step() == "downloading"
    assert up.report()["reason"] == (f"download: interrupted at 64 of {command['size']} bytes (connection reset)")
    assert current(root) == "releases/0.2.0"

    api.fail_after = None
    assert up.step() == "switched"
    ranges = [r for p, r in api.requests if p.endswith("/archive")]
    assert ranges[:3] == ["bytes=0-63", "bytes=64-127", "bytes=64-127"]


def test_a_download_that_keeps_failing_ends_as_failed(tmp_path, root, api):
    up = updater(tmp_path, root, api)
    up.handle(good(api))
    api.fail_after = 0
    states = [up.step() for _ in range(5)]
    assert states == ["downloading"] * 4 + ["failed"]
    assert up.report()["reason"].startswith("download: interrupted at 0 of ")
    assert current(root) == "releases/0.2.0"


def test_a_full_disk_during_install_leaves_the_old_version(tmp_path, root, api, monkeypatch):
    up = updater(tmp_path, root, api)
    up.handle(good(api))

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(up, "write_file", full)
    assert up.step() == "failed"
    assert up.report()["reason"] == "install: [Errno 28] No space left on device"
    assert current(root) == "releases/0.2.0"
    assert sorted(p.name for p in (root / "releases").iterdir()) == ["0.2.0"]


def test_an_update_waits_while_a_customer_is_paying_and_keeps_the_outbox(tmp_path, root, api):
    store = Store(tmp_path / "kiosk.sqlite3")
    txn = outbox_payment(store)
    flow = FakeFlow(store, state="inserting")
    up = updater(tmp_path, root, api, flow=flow)
    up.handle(good(api))

    assert up.step() == "verified"
    assert current(root) == "releases/0.2.0"
    assert flow.updating is False

    flow.state = flow.state.__class__("idle")
    assert up.step() == "switched"
    assert current(root) == "releases/0.3.0"
    assert [p.txn for p in store.outbox()] == [txn]
    store.close()


def test_an_update_waits_while_a_payment_session_is_open(tmp_path, root, api):
    store = Store(tmp_path / "kiosk.sqlite3")
    store.session_open(provider="demo", provider_name="Demo", account="1", fields={}, offline=False,
                       now="2026-12-07T01:00:00+00:00")
    up = updater(tmp_path, root, api, flow=FakeFlow(store, state="idle"))
    up.handle(good(api))
    assert up.step() == "verified"
    assert current(root) == "releases/0.2.0"
    store.close()


def test_payments_are_held_off_during_the_health_check_and_released_after(tmp_path, root, api):
    store = Store(tmp_path / "kiosk.sqlite3")
    flow = FakeFlow(store)
    seen = []

    def health(release_dir):
        seen.append(flow.updating)
        return False, "validator failure"

    up = updater(tmp_path, root, api, flow=flow, health=health)
    up.handle(good(api))
    assert up.step() == "rolled_back"
    assert seen == [True]
    assert flow.updating is False
    store.close()


def test_the_heartbeat_carries_the_update_outcome(tmp_path, root, api, make_kiosk):
    kiosk = make_kiosk()
    up = updater(tmp_path, root, api)
    up.handle(good(api, version="0.1.0"))
    doc = heartbeat_doc(kiosk.flow, up)
    assert doc["update"] == {"version": "0.1.0", "state": "failed",
                             "reason": "downgrade: 0.1.0 is not above the running 0.2.0"}


def test_the_same_command_twice_does_not_restart_the_work(tmp_path, root, api):
    up = updater(tmp_path, root, api)
    command = good(api)
    up.handle(command)
    up.step()
    assert up.handle(command)["state"] == "switched"


def test_a_bad_command_is_reported(tmp_path, root, api):
    up = updater(tmp_path, root, api)
    assert up.handle({"version": "0.3.0", "sha256": "zz", "size": 1}) == {
        "version": "0.3.0", "state": "failed", "reason": "bad_command: version, sha256, size"}


def test_an_unsigned_manifest_is_refused():
    with pytest.raises(ManifestError) as exc:
        verify_signed({"manifest": {"format": 1}}, TRUSTED)
    assert exc.value.code == "unsigned"


def test_the_release_tool_refuses_a_link_in_the_source(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.py").write_bytes(b"x")
    (source / "link.py").symlink_to("/etc/passwd")
    with pytest.raises(ManifestError):
        build(version="0.3.0", source=source, key=KEY, out=tmp_path / "out.tar.gz")


def _health_config(tmp_path, validator):
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[server]\nurl = "http://127.0.0.1:9"\nterminal = "1001"\n[kiosk]\ndata_dir = "data"\n'
                   f'[devices]\nvalidator = "{validator}"\nprinter = "kitsim://printer/main"\n')
    return cfg


def test_the_health_check_passes_with_answering_devices_and_never_asks_the_server(tmp_path, fresh_devices):
    from kiosk.app import health
    from kiosk.config import load

    assert health(load(_health_config(tmp_path, "kitsim://ccnet/main")), timeout=5) == (True, "")


def test_the_health_check_fails_when_the_validator_cannot_be_opened(tmp_path, fresh_devices):
    from kiosk.app import health
    from kiosk.config import load

    ok, why = health(load(_health_config(tmp_path, str(tmp_path / "no-such-port"))), timeout=1)
    assert ok is False
    assert why.startswith("devices: [Errno 2] could not open port")


def test_the_command_form_acknowledges_a_pending_update_and_refuses_a_downgrade(tmp_path, root, api):
    up = updater(tmp_path, root, api)
    assert up.command(good(api, version="0.1.0")) == (False, "0.1.0 failed: downgrade: 0.1.0 is not above the "
                                                              "running 0.2.0")
    assert up.command(good(api)) == (True, "0.3.0 pending")
