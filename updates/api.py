"""Terminal API for releases: the signed manifest and the archive (with Range)."""

from __future__ import annotations

import re

from django.http import HttpResponse

from terminals.api.views import api
from terminals.errors import ApiError, Code

from .models import Release

RANGE_RE = re.compile(r"^bytes=(\d{0,15})-(\d{0,15})$")
VERSION_RE = re.compile(r"^[0-9]{1,6}(\.[0-9]{1,6}){0,3}$")


def _release(version: str) -> Release:
    release = Release.objects.filter(version=version).first() if VERSION_RE.fullmatch(version) else None
    if release is None:
        raise ApiError(Code.NOT_FOUND, "No such release.")
    return release


@api(methods=("GET",))
def release_manifest(request, terminal, version):
    from terminals.api import render

    return render.ok(_release(version).manifest)


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) of a single `bytes=` range; None: serve the whole file. ApiError 416 when unsatisfiable."""
    m = RANGE_RE.fullmatch(header.strip()) if header else None
    if m is None:
        return None  # absent, multi-range or unparsable: RFC 9110 lets us ignore it and send it all
    first, last = m.groups()
    if first == "" and last == "":
        return None
    if first == "":
        n = int(last)
        if n == 0:
            raise ApiError(Code.RANGE_NOT_SATISFIABLE)
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise ApiError(Code.RANGE_NOT_SATISFIABLE)
    return start, end


@api(methods=("GET",))
def release_archive(request, terminal, version):
    release = _release(version)
    size = release.size
    try:
        span = byte_range(request.META.get("HTTP_RANGE", ""), size)
    except ApiError as exc:
        from terminals.api import render

        response = render.error(exc)
        response["Content-Range"] = f"bytes */{size}"
        return response
    first, last = span or (0, size - 1)
    with release.archive.open("rb") as f:
        f.seek(first)
        body = f.read(last - first + 1)
    response = HttpResponse(body, status=206 if span else 200, content_type="application/gzip")
    if span:
        response["Content-Range"] = f"bytes {first}-{first + len(body) - 1}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = f'"{release.sha256}"'
    response["Cache-Control"] = "no-store"
    return response
