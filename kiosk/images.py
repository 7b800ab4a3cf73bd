"""The images of the customer screens (the theme's logo, image ads), cached on disk by their SHA-256.

The server's config names each image by a URL (a path on the server, public, unsigned) and the
SHA-256 of its bytes. The kiosk downloads each one once, checks the bytes against the hash and that
they are a PNG, JPEG, GIF or WebP image, and keeps them as `data_dir/images/<sha256>`
(content-addressed: the same image in two places of the config is one file). Bytes that do not
match their hash are discarded and logged, never written or shown. The screens show images only
from this cache, so they show them offline too; files the cached config no longer names are pruned.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from pathlib import Path

import httpx

log = logging.getLogger(__name__)
HASH = re.compile(r"[0-9a-f]{64}")
# The server takes uploads up to KIT_SCREEN_IMAGE_MAX_BYTES (1 MB by default); a bigger answer is refused.
MAX_BYTES = 8 * 1024 * 1024
# After a failed download (wrong hash, not an image, refused): wait before the next try, doubling.
RETRY_FIRST, RETRY_MAX = 60.0, 3600.0
_sync_lock = threading.Lock()


def sniff(data: bytes) -> str | None:
    """The content type of `data` by its first bytes, if it is one of the image formats the screens show."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_ref(doc) -> tuple[str, str] | None:
    """(sha256, url) of an image document {"url", "sha256", ...} of the config, or None if it is not one."""
    if not isinstance(doc, dict):
        return None
    sha, url = doc.get("sha256"), doc.get("url")
    if not isinstance(sha, str) or not HASH.fullmatch(sha) or not isinstance(url, str):
        return None
    return sha, url


def referenced(config: dict | None) -> dict[str, str]:
    """sha256 -> url of every image the server's config names: the theme's logo and the image ads'."""
    config = config if isinstance(config, dict) else {}
    docs = []
    theme = config.get("theme")
    if isinstance(theme, dict):
        docs.append(theme.get("logo"))
    ads = config.get("ads")
    for ad in ads if isinstance(ads, list) else []:
        if isinstance(ad, dict) and ad.get("kind") == "image":
            docs.append(ad.get("image"))
    return dict(ref for ref in map(image_ref, docs) if ref is not None)


class ImageCache:
    """`directory`/<sha256> files. `sync` fetches and prunes (the heartbeat's thread); `read` serves (the screens')."""

    def __init__(self, directory: Path, *, clock=time.monotonic):
        self.dir = Path(directory)
        self.clock = clock
        self.failures: dict[str, tuple[int, float]] = {}  # sha256 -> (failed tries, not before)

    def path(self, sha: str) -> Path | None:
        """The file of a cached image; None for anything that is not a hash or not cached."""
        if not isinstance(sha, str) or not HASH.fullmatch(sha):
            return None
        path = self.dir / sha
        return path if path.is_file() else None

    def read(self, sha: str) -> tuple[bytes, str] | None:
        """(bytes, content type) of a cached image, checked against its hash again: a file damaged on
        disk is removed (and fetched again by the next sync), never shown."""
        path = self.path(sha)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        kind = sniff(data)
        if hashlib.sha256(data).hexdigest() != sha or kind is None:
            log.error("image %s: the cached file does not match its hash; removed", sha)
            path.unlink(missing_ok=True)
            return None
        return data, kind

    # -- fetching -----------------------------------------------------------------------
    def sync(self, config: dict | None, client, link=None) -> dict[str, int]:
        """Fetch every image `config` names that is not cached yet, then prune the files it no longer names.

        Returns counts {"fetched", "failed", "pruned"}. A server not reached ends the round (the
        next heartbeat tries again); a download that failed otherwise waits RETRY_FIRST seconds,
        doubling up to RETRY_MAX, before it is tried again."""
        wanted = referenced(config)
        fetched = failed = 0
        with _sync_lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            for sha, url in wanted.items():
                if self.path(sha) is not None:
                    continue
                tries, not_before = self.failures.get(sha, (0, 0.0))
                if self.clock() < not_before:
                    failed += 1
                    continue
                try:
                    ok = self.fetch(sha, url, client)
                except httpx.HTTPError as exc:
                    if link is not None:
                        link.fail()
                    log.warning("image %s: server not reached: %s", sha, exc)
                    failed += 1
                    break
                if ok:
                    fetched += 1
                    self.failures.pop(sha, None)
                else:
                    failed += 1
                    self.failures[sha] = (tries + 1, self.clock() + min(RETRY_FIRST * 2 ** tries, RETRY_MAX))
            pruned = self.prune(set(wanted))
        if fetched or failed or pruned:
            log.info("images: %d fetched, %d not (yet), %d pruned", fetched, failed, pruned)
        return {"fetched": fetched, "failed": failed, "pruned": pruned}

    def fetch(self, sha: str, url: str, client) -> bool:
        """Download one image, check it and write it as `<sha>`; False (logged) if it is refused."""
        if not url.startswith("/") or url.startswith("//"):
            log.error("image %s: %r is not a path on the server; not fetched", sha, url)
            return False
        status, data = client.download(url, max_bytes=MAX_BYTES)
        if status != 200:
            log.error("image %s: the server answered %d", sha, status)
            return False
        if data is None:
            log.error("image %s: larger than %d bytes; discarded", sha, MAX_BYTES)
            return False
        got = hashlib.sha256(data).hexdigest()
        if got != sha:
            log.error("image %s: the bytes received hash to %s; discarded, not shown", sha, got)
            return False
        if sniff(data) is None:
            log.error("image %s: not a PNG, JPEG, GIF or WebP image; discarded", sha)
            return False
        part = self.dir / f".{sha}.{os.getpid()}.{threading.get_ident()}.part"
        try:
            with open(part, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(part, self.dir / sha)  # whole or not at all: the screens never see half a file
        except OSError as exc:
            part.unlink(missing_ok=True)
            log.error("image %s: could not be written: %s", sha, exc)
            return False
        log.info("image %s: cached (%d bytes)", sha, len(data))
        return True

    def prune(self, keep: set[str]) -> int:
        """Remove every file but the images in `keep` (old images, parts of interrupted downloads)."""
        removed = 0
        for path in self.dir.iterdir() if self.dir.is_dir() else []:
            if path.name in keep and path.is_file():
                continue
            try:
                if path.is_file() or path.is_symlink():
                    path.unlink()
                    removed += 1
            except OSError:
                log.warning("images: could not remove %s", path)
        return removed


def image_cache(store) -> ImageCache:
    """The kiosk's image cache: `images/` in the data directory (beside the store's database)."""
    return ImageCache(Path(store.path).parent / "images")
