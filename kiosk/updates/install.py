"""The kiosk side of an update: download (resumable), verify, install beside, switch, check, roll back.

Layout under `root` (default /opt/kit-kiosk): `releases/<version>/` holds each installed version's files,
`current` is a symlink to the running one; systemd starts `current`. The switch is one rename of a new
symlink over `current` (atomic on POSIX), so a power cut leaves either the old or the new version.

The updater never touches the store's payments: it only reads whether a payment is open, and it holds
new payments off (the flow's `updating` reason) only for the switch and the new version's health check.
The outcome is kept in `data_dir/update/state.json` and reported in every heartbeat (`update`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import httpx

from .keys import RELEASE_PUBLIC_KEYS
from .manifest import SHA256_RE, ManifestError, safe_path, verify_signed, version_tuple

log = logging.getLogger(__name__)

PENDING, DOWNLOADING, VERIFIED, SWITCHED, RUNNING, ROLLED_BACK, FAILED = (
    "pending", "downloading", "verified", "switched", "running", "rolled_back", "failed")
STATES = (PENDING, DOWNLOADING, VERIFIED, SWITCHED, RUNNING, ROLLED_BACK, FAILED)
CHUNK = 1 << 20
MAX_ARCHIVE = 512 << 20
MAX_DOWNLOAD_TRIES = 5
CHECK_SECONDS = 60.0
MAX_BOOTS = 3
MAX_SWITCHES = 3
VERSION_TEXT = re.compile(r"^[0-9.]{1,27}$")


class Refused(Exception):
    """The update is refused for good: `code` is stable (reported as `reason` "code: detail")."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def run_health_check(release_dir: Path, config_path: Path | None, timeout: float) -> tuple[bool, str]:
    """Run the new version's own `python -m kiosk health` from its directory: it starts, opens the store and
    asks the devices; it never asks the server (a kiosk may be offline)."""
    cmd = [sys.executable, "-m", "kiosk", "health"]
    if config_path is not None:
        cmd += ["--config", str(config_path)]
    env = {**os.environ, "PYTHONPATH": str(release_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(cmd, cwd=release_dir, env=env, timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return False, f"no health within {timeout:g} s"
    except OSError as exc:
        return False, f"did not start: {exc}"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        return False, f"health check exit {done.returncode}: {tail[0][:150]}"
    return True, ""


class Updater:
    """One kiosk's updater. `handle(args)` is the `update` command's handler; `step()` does the work when
    no customer is paying; `boot()` marks a freshly switched version as running."""

    def __init__(self, *, root: Path, data_dir: Path, running_version: str, client=None, flow=None,
                 config_path: Path | None = None, trusted: list[str] | None = None, health=None,
                 check_seconds: float = CHECK_SECONDS, on_switched=None):
        self.root = Path(root)
        self.dir = Path(data_dir) / "update"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.running_version = running_version
        self.client = client
        self.flow = flow
        self.config_path = config_path
        self.trusted = list(RELEASE_PUBLIC_KEYS if trusted is None else trusted)
        self.health = health or (lambda release_dir: run_health_check(release_dir, self.config_path,
                                                                      self.check_seconds))
        self.check_seconds = check_seconds
        self.on_switched = on_switched or (lambda version: None)
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = threading.Event()

    # -- the state file ------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.dir / "state.json"

    def state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return {}

    def _save(self, **values) -> dict:
        doc = {**self.state(), **values, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, ensure_ascii=False))
        os.replace(tmp, self.state_path)
        log.info("update %s: %s %s", doc.get("version"), doc.get("state"), doc.get("reason", ""))
        return doc

    def report(self) -> dict | None:
        """The heartbeat's `update` part: {version, state, reason}; None before any update."""
        doc = self.state()
        if not doc.get("state"):
            return None
        return {"version": doc.get("version", ""), "state": doc["state"], "reason": doc.get("reason", "")[:255]}

    # -- the command ---------------------------------------------------------------------
    def handle(self, args: dict) -> dict:
        """The `update` command: {"version", "sha256", "size", ...}. Records it as pending (the work is done by
        step() when no payment is open); refuses at once what can never be installed. Returns the report."""
        with self.lock:
            version = args.get("version") if isinstance(args, dict) else None
            sha = args.get("sha256") if isinstance(args, dict) else None
            size = args.get("size") if isinstance(args, dict) else None
            if not (isinstance(version, str) and VERSION_TEXT.fullmatch(version) and isinstance(sha, str)
                    and SHA256_RE.fullmatch(sha) and isinstance(size, int) and 0 < size <= MAX_ARCHIVE):
                self._save(version=str(version)[:27], state=FAILED, reason="bad_command: version, sha256, size")
                return self.report()
            current = self.state()
            if current.get("version") == version and current.get("state") in (PENDING, DOWNLOADING, VERIFIED,
                                                                                 SWITCHED, RUNNING):
                return self.report()  # the same command again (a resent heartbeat reply): nothing new
            try:
                if version_tuple(version) <= version_tuple(self.running_version):
                    raise Refused("downgrade", f"{version} is not above the running {self.running_version}")
            except ManifestError as exc:
                self._save(version=version, state=FAILED, reason=f"bad_version: {exc}")
                return self.report()
            except Refused as exc:
                self._save(version=version, state=FAILED, reason=str(exc))
                return self.report()
            self._save(version=version, state=PENDING, reason="", sha256=sha, size=size, tries=0)
        self.wake.set()
        return self.report()

    def command(self, args: dict) -> tuple[bool, str]:
        """The remote command executor's form of handle(): (accepted, message for the acknowledgement). The
        outcome of the update itself follows in the heartbeat's `update` part."""
        report = self.handle(args)
        ok = report["state"] != FAILED
        return ok, f"{report['version']} {report['state']}{': ' + report['reason'] if report['reason'] else ''}"[:255]

    # -- the work ------------------------------------------------------------------------
    def paying(self) -> bool:
        """A customer is in the middle of a payment (or a session with money is open)."""
        if self.flow is None:
            return False
        from ..flow.table import S

        return self.flow.state not in (S.IDLE, S.OUT_OF_SERVICE) or self.flow.store.open_session() is not None

    def step(self) -> str | None:
        """Move a pending update as far as it can go now; returns the state reached (None: nothing to do)."""
        with self.lock:
            doc = self.state()
            if doc.get("state") not in (PENDING, DOWNLOADING, VERIFIED):
                return None
            version = doc["version"]
            try:
                release = self._prepare(doc)
                if release is None:
                    return self.state().get("state")
                return self._switch(version, release)
            except Refused as exc:
                self._cleanup(version)
                self._save(state=FAILED, reason=str(exc)[:255])
                return FAILED

    def _prepare(self, doc: dict) -> Path | None:
        """Download, check and install beside the running version; the release directory, or None to retry."""
        version = doc["version"]
        release = self.root / "releases" / version
        if doc["state"] == VERIFIED and release.is_dir():
            return release
        if not (self.root / "current").is_symlink():
            raise Refused("not_installed", f"{self.root / 'current'} is not a symlink to a release")
        self._save(state=DOWNLOADING)
        signed = self._fetch_manifest(version)
        manifest = self._check_manifest(signed, version, doc)
        archive = self._download(version, manifest["archive"]["size"])
        if archive is None:
            return None
        if sha256_file(archive) != manifest["archive"]["sha256"]:
            archive.unlink(missing_ok=True)
            raise Refused("archive_hash", "the archive's SHA-256 is not the manifest's")
        self._install(archive, manifest, release)
        archive.unlink(missing_ok=True)
        self._save(state=VERIFIED, reason="")
        return release

    def _fetch_manifest(self, version: str) -> dict:
        try:
            response = self.client.call("GET", f"/releases/{version}/manifest")
        except (httpx.HTTPError, OSError) as exc:
            raise Refused("download", f"manifest: {exc}"[:200]) from None
        if response.status_code != 200:
            raise Refused("download", f"manifest answered {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise Refused("unsigned", "the manifest is not JSON") from None

    def _check_manifest(self, signed, version: str, doc: dict) -> dict:
        try:
            manifest = verify_signed(signed, self.trusted)
            if manifest["version"] != version:
                raise Refused("wrong_version", f"the manifest is of {manifest['version']}")
            running = version_tuple(self.running_version)
            if version_tuple(manifest["version"]) <= running:
                raise Refused("downgrade", f"{version} is not above the running {self.running_version}")
            if version_tuple(manifest["min_version"]) > running:
                raise Refused("min_version", f"{version} needs at least {manifest['min_version']}")
        except ManifestError as exc:
            raise Refused(exc.code, str(exc)) from None
        if manifest["archive"] != {"size": doc["size"], "sha256": doc["sha256"]}:
            raise Refused("archive_hash", "the command's size or sha256 is not the signed manifest's")
        return manifest

    def _download(self, version: str, size: int) -> Path | None:
        """Fetch the archive in ranges, appending to a .part file that survives restarts; None: try later."""
        part = self.dir / f"{version}.part"
        have = part.stat().st_size if part.exists() else 0
        if have > size:
            part.unlink()
            have = 0
        while have < size:
            end = min(size, have + CHUNK) - 1
            try:
                response = self.client.call("GET", f"/releases/{version}/archive",
                                            headers={"Range": f"bytes={have}-{end}"})
            except (httpx.HTTPError, OSError) as exc:
                return self._interrupted(version, have, size, str(exc))
            if response.status_code not in (200, 206):
                return self._interrupted(version, have, size, f"answered {response.status_code}")
            body = response.content
            if response.status_code == 200:  # a server that ignores Range sends it all again
                have, mode = 0, "wb"
            else:
                if not response.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
                    return self._interrupted(version, have, size, "wrong Content-Range")
                mode = "ab"
            if not body:
                return self._interrupted(version, have, size, "empty range")
            with part.open(mode) as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            have = part.stat().st_size
            if have > size:
                part.unlink()
                raise Refused("archive_size", "the archive is longer than the manifest says")
        return part

    def _interrupted(self, version: str, have: int, size: int, why: str) -> None:
        tries = self.state().get("tries", 0) + 1
        reason = f"download: interrupted at {have} of {size} bytes ({why})"[:255]
        if tries >= MAX_DOWNLOAD_TRIES:
            (self.dir / f"{version}.part").unlink(missing_ok=True)
            raise Refused("download", f"interrupted at {have} of {size} bytes, {tries} tries ({why})"[:200])
        self._save(state=DOWNLOADING, reason=reason, tries=tries)
        return None

    def _install(self, archive: Path, manifest: dict, release: Path) -> None:
        """Unpack into releases/<version>.new checking every entry, then rename into place."""
        expected = {f["path"]: f for f in manifest["files"]}
        staging = release.with_name(release.name + ".new")
        if release.exists():
            shutil.rmtree(release)
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        seen = set()
        try:
            with tarfile.open(archive, "r:gz") as tar:
                for member in tar:
                    name = member.name
                    if not safe_path(name):
                        raise Refused("bad_entry", f"{name!r} escapes the install directory")
                    if member.isdir():
                        continue
                    if not member.isreg():
                        raise Refused("bad_entry", f"{name} is a link or a device, not a regular file")
                    item = expected.get(name)
                    if item is None:
                        raise Refused("extra_file", f"{name} is not in the manifest")
                    if name in seen:
                        raise Refused("bad_entry", f"{name} twice in the archive")
                    if member.size != item["size"]:
                        raise Refused("file_size", f"{name}: {member.size} bytes, the manifest says {item['size']}")
                    data = tar.extractfile(member).read()
                    if len(data) != item["size"] or hashlib.sha256(data).hexdigest() != item["sha256"]:
                        raise Refused("file_hash", f"{name} is not the file the manifest signed")
                    self.write_file(staging / name, data)
                    seen.add(name)
            missing = sorted(set(expected) - seen)
            if missing:
                raise Refused("missing_file", f"{missing[0]} (and {len(missing) - 1} more) not in the archive")
            os.rename(staging, release)
        except (tarfile.TarError, EOFError, OSError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise Refused("install", str(exc)[:200]) from None
        except Refused:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def write_file(self, path: Path, data: bytes) -> None:
        """The one place an installed file is written (tests put a full disk here)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    def _cleanup(self, version: str) -> None:
        if (self.root / "current").resolve() == (self.root / "releases" / version).resolve():
            return
        shutil.rmtree(self.root / "releases" / f"{version}.new", ignore_errors=True)
        shutil.rmtree(self.root / "releases" / version, ignore_errors=True)

    # -- the switch ----------------------------------------------------------------------
    def point_current(self, target: str) -> None:
        """Point `current` at releases/<target> with one rename (atomic)."""
        link = self.root / "current"
        tmp = self.root / "current.swap"
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(f"releases/{target}", tmp)
        os.replace(tmp, link)
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _switch(self, version: str, release: Path) -> str:
        """Hold payments off, swap the link, run the new version's health check; roll back if it fails."""
        if not self._hold_payments():
            return VERIFIED  # a customer is paying: try again at the next step
        try:
            previous = os.readlink(self.root / "current").removeprefix("releases/")
            switches = self.state().get("switches", 0) + 1
            # The intent is written before the link moves: a kill at any point after it is undone by recover().
            self._save(state=SWITCHED, previous=previous, reason="", switches=switches, boots=0)
            self.point_current(version)
            ok, why = self.health(release)
            if not ok:
                self.point_current(previous)
                self._save(state=ROLLED_BACK, reason=f"health: {why}"[:255])
                return ROLLED_BACK
        except OSError as exc:
            self._rollback_link()
            self._save(state=ROLLED_BACK, reason=f"switch: {exc}"[:255])
            return ROLLED_BACK
        finally:
            self._release_payments()
        self.on_switched(version)
        return SWITCHED

    def _rollback_link(self) -> None:
        previous = self.state().get("previous")
        if previous and (self.root / "releases" / previous).is_dir():
            try:
                self.point_current(previous)
            except OSError:
                log.exception("update: could not point current back at %s", previous)

    def _hold_payments(self) -> bool:
        if self.flow is None:
            return True
        with self.flow.lock:
            if self.paying():
                return False
            self.flow.updating = True
        return True

    def _release_payments(self) -> None:
        if self.flow is not None:
            self.flow.updating = False

    def recover(self) -> bool:
        """At start, before anything else: finish or undo a switch a kill interrupted. True: exit now, so that
        systemd starts the version `current` now points at.

        The new version that crashes on start `MAX_BOOTS` times puts the previous one back by itself; the old
        version restarted mid-switch points `current` back at itself and tries the switch again later (at most
        `MAX_SWITCHES` times)."""
        doc = self.state()
        if doc.get("state") != SWITCHED or not doc.get("previous"):
            return False
        previous, version = doc["previous"], doc["version"]
        if self.running_version == version:
            boots = doc.get("boots", 0) + 1
            if boots <= MAX_BOOTS:
                self._save(boots=boots)
                return False
            self.point_current(previous)
            self._save(state=ROLLED_BACK, reason=f"health: did not start {MAX_BOOTS} times")
            return True
        if os.readlink(self.root / "current") != f"releases/{previous}":
            self.point_current(previous)
        if doc.get("switches", 0) >= MAX_SWITCHES:
            self._save(state=ROLLED_BACK, reason=f"switch: interrupted {MAX_SWITCHES} times")
        else:
            self._save(state=VERIFIED, reason="switch interrupted; trying again")
        return False

    def boot(self) -> None:
        """Called by a version that has started, opened its store and found its devices: if it is the one just
        switched to, it is now running (the report says so)."""
        doc = self.state()
        if doc.get("state") == SWITCHED and doc.get("version") == self.running_version:
            self._save(state=RUNNING, reason="")

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.step()
            except Exception:  # the updater must never take the kiosk down
                log.exception("update step")
            self.wake.wait(30.0)
            self.wake.clear()
