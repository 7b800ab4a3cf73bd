"""Signed-request authentication: who is calling, and is it really them, now, once."""

from time import time as clock

from django.http.request import RawPostDataException

from ..errors import ApiError, Code
from ..models import Terminal
from ..nonces import nonce_remember
from ..selectors import terminal_for_auth
from ..signing import NONCE_RE, TERMINAL_RE, TIMESTAMP_RE, canonical, verify
from .render import server_time

MAX_SKEW = 300


def authenticate(request) -> Terminal:
    """The terminal that signed this request; ApiError (401) otherwise.

    The checks run in the documented order (docs/terminal-api.md): terminal, timestamp,
    nonce format, signature, nonce replay (blocked is the caller's). The nonce is remembered
    only after the signature verifies, so nobody can burn a terminal's nonces with unsigned
    requests.
    """
    meta = request.META
    number = meta.get("HTTP_X_KIT_TERMINAL", "")
    if not TERMINAL_RE.fullmatch(number):
        raise ApiError(Code.UNKNOWN_TERMINAL, "X-KIT-Terminal is missing or not a terminal number.")
    terminal = terminal_for_auth(number)
    if terminal is None or not terminal.public_key:
        terminal = terminal_for_auth(number, fresh=True)  # enrolled a moment ago, elsewhere
        if terminal is None or not terminal.public_key:
            raise ApiError(Code.UNKNOWN_TERMINAL)
    stamp = meta.get("HTTP_X_KIT_TIMESTAMP", "")
    if not TIMESTAMP_RE.fullmatch(stamp) or abs(clock() - int(stamp)) > MAX_SKEW:
        raise ApiError(Code.STALE_TIMESTAMP, extra={"server_time": server_time()})
    nonce = meta.get("HTTP_X_KIT_NONCE", "")
    if not NONCE_RE.fullmatch(nonce):
        raise ApiError(Code.BAD_SIGNATURE, "X-KIT-Nonce must be 16 to 64 characters of [A-Za-z0-9_-].")
    signature = meta.get("HTTP_X_KIT_SIGNATURE", "")
    if not signature or len(signature) > 200:
        raise ApiError(Code.BAD_SIGNATURE, "X-KIT-Signature is missing.")
    try:
        body = request.body
    except RawPostDataException:  # pragma: no cover - nothing reads the stream before us
        body = b""
    message = canonical(request.method, signed_path(request), stamp, nonce, body)
    if not verify(terminal.public_key, signature, message):
        # The cached key may be the one replaced by a re-enrollment: ask the database once.
        terminal = terminal_for_auth(number, fresh=True)
        if terminal is None or not terminal.public_key or not verify(terminal.public_key, signature, message):
            raise ApiError(Code.BAD_SIGNATURE)
    if not nonce_remember(terminal_id=terminal.pk, nonce=nonce):
        raise ApiError(Code.REPLAYED_NONCE)
    return terminal


def signed_path(request) -> str:
    """The path and query exactly as the client sent them.

    gunicorn (RAW_URI) and uWSGI (REQUEST_URI) hand over the request line's target untouched;
    elsewhere Django's re-escaped path is the same for every path the API itself uses.
    """
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if raw:
        if raw.startswith(("http://", "https://")):  # absolute-form request target
            raw = "/" + raw.split("/", 3)[3] if raw.count("/") >= 3 else "/"
        return raw
    return request.get_full_path()
