"""The client's address as this deployment can know it."""

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or behind our own proxy (KIT_BEHIND_PROXY) the right-most X-Forwarded-For entry.

    The right-most entry is the one our proxy appended; everything left of it came from the
    client and can be forged, so it is never believed. Without a proxy the header is ignored.
    """
    if settings.KIT_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        entries = [e.strip() for e in forwarded.split(",") if e.strip()]
        if entries:
            return entries[-1]
    return request.META.get("REMOTE_ADDR", "")
