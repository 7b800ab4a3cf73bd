"""The server stores and distributes releases it can verify, and never signs one."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.files.uploadedfile import SimpleUploadedFile

from kiosk.updates.install import Updater
from updates.errors import Refusal, ReleaseRefused
from updates.models import Release, TerminalUpdate
from updates.services import release_upload

from .kit import KEY, TRUSTED, fake_kiosk, install_root, signed, tar_bytes

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _release_keys(settings, tmp_path):
    settings.KIT_RELEASE_PUBLIC_KEYS = TRUSTED
    settings.MEDIA_ROOT = str(tmp_path / "media")


def release_files(version="0.3.0", key=KEY):
    files = fake_kiosk(version)
    archive = tar_bytes(sorted(files.items()))
    return archive, json.dumps(signed(version, files, archive, key=key)).encode()


def upload(archive, manifest):
    return release_upload(archive=SimpleUploadedFile("k.tar.gz", archive), manifest=manifest, by="admin")


def test_a_release_signed_with_the_release_key_is_stored():
    archive, manifest = release_files()
    release = upload(archive, manifest)
    assert (release.version, release.min_version, release.size, release.file_count) == ("0.3.0", "0", len(archive), 2)
    assert release.sha256 == hashlib.sha256(archive).hexdigest()
    assert release.archive.read() == archive


def test_a_release_signed_by_another_key_is_refused():
    archive, manifest = release_files(key=Ed25519PrivateKey.generate())
    with pytest.raises(ReleaseRefused) as exc:
        upload(archive, manifest)
    assert exc.value.code == Refusal.BAD_SIGNATURE
    assert Release.objects.count() == 0


def test_an_unsigned_manifest_is_refused():
    archive, manifest = release_files()
    doc = json.loads(manifest)
    doc["signature"] = ""
    with pytest.raises(ReleaseRefused) as exc:
        upload(archive, json.dumps(doc).encode())
    assert exc.value.code == Refusal.UNSIGNED


def test_a_manifest_changed_after_signing_is_refused():
    archive, manifest = release_files()
    doc = json.loads(manifest)
    doc["manifest"]["min_version"] = "0.0.1"
    with pytest.raises(ReleaseRefused) as exc:
        upload(archive, json.dumps(doc).encode())
    assert exc.value.code == Refusal.BAD_SIGNATURE


def test_an_archive_that_is_not_the_signed_one_is_refused():
    archive, manifest = release_files()
    with pytest.raises(ReleaseRefused) as exc:
        upload(archive + b"x", manifest)
    assert exc.value.code == Refusal.ARCHIVE_MISMATCH


def test_the_same_version_twice_is_refused():
    archive, manifest = release_files()
    upload(archive, manifest)
    with pytest.raises(ReleaseRefused) as exc:
        upload(archive, manifest)
    assert exc.value.code == Refusal.DUPLICATE_VERSION
    assert Release.objects.count() == 1


def test_no_release_key_configured_refuses_every_upload(settings):
    settings.KIT_RELEASE_PUBLIC_KEYS = []
    with pytest.raises(ReleaseRefused) as exc:
        upload(*release_files())
    assert exc.value.code == Refusal.NO_KEYS


def test_the_admin_refuses_a_wrongly_signed_release_with_a_clear_message(client, admin_user):
    archive, manifest = release_files(key=Ed25519PrivateKey.generate())
    client.force_login(admin_user)
    response = client.post("/admin/updates/release/add/", {
        "archive_file": SimpleUploadedFile("kiosk-0.3.0.tar.gz", archive),
        "manifest_file": SimpleUploadedFile("kiosk-0.3.0.tar.gz.manifest.json", manifest)})
    assert response.status_code == 200
    assert "bad_signature" in response.content.decode()
    assert Release.objects.count() == 0


def test_the_admin_stores_a_release_signed_with_the_release_key(client, admin_user):
    archive, manifest = release_files()
    client.force_login(admin_user)
    response = client.post("/admin/updates/release/add/", {
        "archive_file": SimpleUploadedFile("kiosk-0.3.0.tar.gz", archive),
        "manifest_file": SimpleUploadedFile("kiosk-0.3.0.tar.gz.manifest.json", manifest)})
    assert response.status_code == 302
    assert list(Release.objects.values_list("version", "uploaded_by")) == [("0.3.0", "admin")]


SERVER_APPS = ["updates", "terminals", "kit", "dealers", "payments", "support", "accounts", "providers", "gateways",
               "claims"]


def test_no_server_module_holds_a_private_key_or_signs():
    offenders = []
    for app in SERVER_APPS:
        for path in (REPO / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for needle in ("Ed25519PrivateKey", "kiosk.updates.build", "kiosk.signing", "manifest_message",
                           "successor_message"):
                if needle in text:
                    offenders.append(f"{path.relative_to(REPO)}: {needle}")
    assert offenders == []


def test_the_running_server_never_loads_the_release_signing_tool():
    code = ("import django, sys; django.setup(); "
            "from django.urls import resolve; import kit.urls, updates.admin, updates.services, updates.api, "
            "terminals.api.views; print(sorted(m for m in sys.modules if m in "
            "('kiosk.updates.build', 'kiosk.signing')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "kit.settings"})
    assert done.stdout.strip().splitlines()[-1:] == ["[]"], done.stderr[-2000:]


# -- the terminal API -------------------------------------------------------------------------


def test_the_archive_is_served_whole_and_by_range(kiosk):
    archive, manifest = release_files()
    upload(archive, manifest)

    whole = kiosk.call("GET", "/releases/0.3.0/archive")
    part = kiosk.call("GET", "/releases/0.3.0/archive", headers={"Range": "bytes=10-19"})
    tail = kiosk.call("GET", "/releases/0.3.0/archive", headers={"Range": "bytes=-5"})

    assert (whole.status_code, whole.content, whole.headers["Accept-Ranges"]) == (200, archive, "bytes")
    assert (part.status_code, part.content) == (206, archive[10:20])
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(archive)}"
    assert (tail.status_code, tail.content) == (206, archive[-5:])


def test_a_range_beyond_the_archive_is_416(kiosk):
    archive, manifest = release_files()
    upload(archive, manifest)
    response = kiosk.call("GET", "/releases/0.3.0/archive", headers={"Range": f"bytes={len(archive)}-"})
    assert response.status_code == 416
    assert response.json()["error"]["code"] == "range_not_satisfiable"
    assert response.headers["Content-Range"] == f"bytes */{len(archive)}"


def test_the_manifest_is_served_as_signed(kiosk):
    archive, manifest = release_files()
    upload(archive, manifest)
    response = kiosk.call("GET", "/releases/0.3.0/manifest")
    assert response.status_code == 200
    assert response.json() == json.loads(manifest)


def test_an_unknown_release_is_404(kiosk):
    assert kiosk.call("GET", "/releases/9.9.9/archive").json()["error"]["code"] == "not_found"
    assert kiosk.call("GET", "/releases/..%2Fsecret/manifest").status_code == 404


def test_an_unsigned_download_is_refused(kiosk):
    upload(*release_files())
    response = kiosk.request("GET", "/api/terminal/v1/releases/0.3.0/archive".removeprefix("/api/terminal/v1"),
                             sign=False)
    assert response.status_code == 401


def test_the_heartbeat_stores_the_update_state(kiosk, terminal):
    response = kiosk.heartbeat({"software_version": "kit-kiosk/0.2.0", "update": {
        "version": "0.3.0", "state": "rolled_back", "reason": "health: validator failure"}})
    assert response.status_code == 200
    row = TerminalUpdate.objects.get(terminal=terminal)
    assert (row.version, row.state, row.reason) == ("0.3.0", "rolled_back", "health: validator failure")


def test_a_malformed_update_report_is_400(kiosk, terminal):
    response = kiosk.heartbeat({"update": {"version": "0.3.0", "state": "exploded"}})
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert "update.state" in body["fields"]
    assert not TerminalUpdate.objects.exists()


def test_the_openapi_schema_describes_the_release_endpoints_and_the_update_report(kiosk):
    schema = kiosk.openapi().json()
    assert "/releases/{version}/archive" in schema["paths"]
    assert "/releases/{version}/manifest" in schema["paths"]
    assert "206" in schema["paths"]["/releases/{version}/archive"]["get"]["responses"]
    assert schema["components"]["schemas"]["HeartbeatIn"]["properties"]["update"]["required"] == ["version", "state"]


def test_a_kiosk_updates_from_the_platform_end_to_end(kiosk, tmp_path, monkeypatch):
    from kiosk.updates import install

    monkeypatch.setattr(install, "CHUNK", 100)  # several ranges, as a resumed download makes
    archive, manifest = release_files()
    release = upload(archive, manifest)
    root = install_root(tmp_path)
    up = Updater(root=root, data_dir=tmp_path / "data", running_version="0.2.0", client=kiosk, trusted=TRUSTED)
    up.handle({"version": "0.3.0", "sha256": release.sha256, "size": release.size})

    assert up.step() == "switched"
    assert (root / "current").readlink().as_posix() == "releases/0.3.0"
    response = kiosk.heartbeat({"software_version": "kit-kiosk/0.3.0", "update": up.report()})
    assert response.status_code == 200
    assert TerminalUpdate.objects.get().state == "switched"


@pytest.mark.parametrize("part", [{"version": "0.3.0", "state": "failed", "reason": "bad\x00byte"},
                                  {"version": "0.3\x00", "state": "pending"}])
def test_an_update_report_with_a_control_character_is_refused_not_stored(part):
    from terminals.errors import ApiError
    from updates.parse import update_report

    with pytest.raises(ApiError) as refused:
        update_report(part)
    assert refused.value.code == "invalid"
