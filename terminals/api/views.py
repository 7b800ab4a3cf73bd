"""Terminal API views: authenticate, parse, call one service, render. No business rules here."""

import functools
import hashlib
import json
import logging

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseNotModified
from django.views.decorators.csrf import csrf_exempt

from payments.errors import TxnConflict
from payments.services import payment_accept

from .. import selectors
from ..errors import ApiError, Code, EnrollmentDenied
from ..services import heartbeat_record, terminal_enroll
from . import parse, render
from .auth import authenticate
from .openapi import SCHEMA

log = logging.getLogger(__name__)


def api(*, methods: tuple[str, ...], signed: bool = True, blocked_ok: bool = False):
    """Wrap a view: method check, signature, blocked terminals, one error shape, no HTML 500."""

    def wrap(view):
        @csrf_exempt
        @functools.wraps(view)
        def inner(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError(Code.METHOD_NOT_ALLOWED, f"Use {' or '.join(methods)}.")
                if signed:
                    terminal = authenticate(request)
                    if terminal.status == terminal.Status.BLOCKED and not blocked_ok:
                        raise ApiError(Code.TERMINAL_BLOCKED)
                    return view(request, terminal, *args, **kwargs)
                return view(request, *args, **kwargs)
            except ApiError as exc:
                response = render.error(exc)
                if exc.code == Code.METHOD_NOT_ALLOWED:
                    response["Allow"] = ", ".join(methods)
                return response
            except RequestDataTooBig:
                return render.error(ApiError(Code.TOO_LARGE))
            except Exception:
                log.exception("terminal API %s %s failed", request.method, request.path)
                return render.error(ApiError(Code.INTERNAL))

        return inner

    return wrap


def _accept_one(terminal, item) -> tuple[int, dict]:
    """One payment object -> (HTTP status, body), exactly as POST /payments answers it."""
    try:
        request = parse.payment(item)
        payment, created = payment_accept(terminal=terminal, request=request)
    except ApiError as exc:
        return exc.status, exc.body()
    except TxnConflict as exc:
        err = ApiError(Code.TXN_CONFLICT, str(exc))
        return err.status, err.body()
    return (201 if created else 200), render.payment(payment, terminal)


@api(methods=("POST",), signed=False)
def enroll(request):
    number, code, public_key = parse.enrollment(parse.json_body(request))
    try:
        terminal = terminal_enroll(number=number, code=code, public_key=public_key)
    except EnrollmentDenied:
        raise ApiError(Code.ENROLLMENT_DENIED) from None
    return render.ok({"terminal": terminal.number, "server_time": render.server_time()})


@api(methods=("POST",), blocked_ok=True)
def payments(request, terminal):
    status, body = _accept_one(terminal, parse.json_body(request))
    return render.ok(body, status)


@api(methods=("POST",), blocked_ok=True)
def payments_batch(request, terminal):
    items = parse.batch(parse.json_body(request))
    results = []
    for item in items:
        status, body = _accept_one(terminal, item)
        txn = item.get("txn") if isinstance(item, dict) else None
        results.append({"txn": txn if isinstance(txn, str) and len(txn) <= 64 else None,
                        "http_status": status, "body": body})
    return render.ok({"results": results})


@api(methods=("GET",))
def payment_status(request, terminal, txn):
    payment = selectors.payment_for_terminal(terminal=terminal, txn=txn) if parse.TXN_RE.fullmatch(txn) else None
    if payment is None:
        raise ApiError(Code.NOT_FOUND, "No payment with this txn from this terminal.")
    return render.ok(render.payment(payment, terminal))


@api(methods=("GET",))
def config(request, terminal):
    doc = selectors.terminal_config(terminal)
    doc["last_txn"] = selectors.last_txn(terminal)
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
    if _etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(raw, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


def _etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


@api(methods=("POST",), blocked_ok=True)
def heartbeat(request, terminal):
    state = parse.heartbeat(parse.json_body(request))
    heartbeat_record(terminal=terminal, **state)
    return render.ok({
        "server_time": render.server_time(),
        "config_version": selectors.terminal_config(terminal)["config_version"],
        "blocked": terminal.status == terminal.Status.BLOCKED,
        "commands": [],
    })


@api(methods=("GET",), signed=False)
def openapi(request):
    return render.ok(SCHEMA)


@api(methods=("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"), signed=False)
def not_found(request, rest=""):
    raise ApiError(Code.NOT_FOUND, "No such endpoint.")
