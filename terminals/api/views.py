"""Terminal API views: authenticate, parse, call one service, render. No business rules here."""

import functools
import hashlib
import json
import logging

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseNotModified
from django.views.decorators.csrf import csrf_exempt

from alerts.services import alerts_from_heartbeat
from payments.errors import TxnConflict
from payments.services import payment_accept
from payments.services.batch import payments_accept
from updates.parse import update_report
from updates.services import rollout_commands_queue, terminal_update_record

from .. import selectors
from ..commands import commands_acknowledge, commands_deliver
from ..errors import ApiError, Code, EnrollmentDenied
from ..services import heartbeat_record, terminal_enroll
from . import parse, render
from .auth import authenticate
from .openapi import SCHEMA

log = logging.getLogger(__name__)


# A database outage is short (a failover, a restart): the kiosk keeps the payment and retries.
RETRY_AFTER_SECONDS = 5
# Connection-level database failures (refused, reset, closed, pool timeout): the request was
# fine and must be sent again, so 503, never 500.
DB_UNAVAILABLE = (OperationalError, InterfaceError)


def api(*, methods: tuple[str, ...], signed: bool = True, blocked_ok: bool = False):
    """Wrap a view: method check, signature, blocked terminals, one error shape, no HTML 500."""

    def wrap(view):
        @csrf_exempt
        @functools.wraps(view)
        def inner(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError(Code.METHOD_NOT_ALLOWED, f"Use {' or '.join(methods)}.")
                if "HTTP_TRANSFER_ENCODING" in request.META:
                    # Django reads a body by Content-Length only: a chunked one would arrive empty
                    # and fail as a bad signature, which tells the kiosk nothing.
                    raise ApiError(Code.LENGTH_REQUIRED)
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
            except DB_UNAVAILABLE:
                log.warning("terminal API %s %s: database unavailable", request.method, request.path,
                            exc_info=True)
                return unavailable()
            except Exception:
                log.exception("terminal API %s %s failed", request.method, request.path)
                return render.error(ApiError(Code.INTERNAL))

        return inner

    return wrap


def unavailable():
    """503 `unavailable` with Retry-After: the request was good, the database was not there."""
    response = render.error(ApiError(Code.UNAVAILABLE))
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


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


def _batch_item(terminal, item) -> tuple[int, dict]:
    """One batch item; any failure but a database outage is that item's own answer.

    An unexpected exception becomes the item's 500 `internal` (logged with its txn) and the
    next items are still processed. A database outage is the whole batch's 503: nothing after
    it could be recorded either, and the retried batch answers the recorded items with 200.
    """
    try:
        return _accept_one(terminal, item)
    except DB_UNAVAILABLE:
        raise
    except Exception:
        txn = item.get("txn") if isinstance(item, dict) else None
        log.exception("terminal %s: batch item txn=%r failed", terminal.number, txn)
        err = ApiError(Code.INTERNAL)
        return err.status, err.body()


def _batch_together(terminal, items: list) -> list[tuple[int, dict] | None]:
    """Answers for the batch's well-formed items, accepted together (payments/services/batch.py).

    A malformed item answers its 400 here. None for every item still to be accepted one by
    one: all of them when accepting together failed for anything but a database outage.
    """
    answers: list[tuple[int, dict] | None] = [None] * len(items)
    requests, where = [], []
    for n, item in enumerate(items):
        try:
            requests.append(parse.payment(item))
            where.append(n)
        except ApiError as exc:
            answers[n] = (exc.status, exc.body())
        except Exception:  # noqa: BLE001, S112 - left to _batch_item, which answers (and logs) it on its own
            continue
    try:
        results = payments_accept(terminal=terminal, requests=requests)
    except DB_UNAVAILABLE:
        raise
    except Exception:
        log.exception("terminal %s: a batch of %d could not be accepted together; one by one", terminal.number,
                      len(requests))
        return [a if a is not None and a[0] == 400 else None for a in answers]
    for n, result in zip(where, results, strict=True):
        if isinstance(result, TxnConflict):
            err = ApiError(Code.TXN_CONFLICT, str(result))
            answers[n] = (err.status, err.body())
        else:
            payment, created = result
            answers[n] = (201 if created else 200), render.payment(payment, terminal)
    return answers


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
    answers = _batch_together(terminal, items)
    results = []
    for item, answer in zip(items, answers, strict=True):
        status, body = answer if answer is not None else _batch_item(terminal, item)
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
    from .fleet import acks  # fleet imports this module's `api`

    doc = parse.json_body(request)
    state = parse.heartbeat(doc)
    acknowledged = acks(doc)
    update = update_report(doc["update"]) if "update" in doc else None
    heartbeat_record(terminal=terminal, **state)
    if update is not None:
        terminal_update_record(terminal=terminal, **update)
    # Acknowledgements first, so a command acknowledged now is not sent again in this reply.
    commands_acknowledge(terminal=terminal, acks=acknowledged)
    rollout_commands_queue(terminal=terminal)
    alerts_from_heartbeat(terminal=terminal, content=doc)
    return render.ok({
        "server_time": render.server_time(),
        "config_version": selectors.terminal_config_version(terminal),
        "blocked": terminal.status == terminal.Status.BLOCKED,
        "commands": commands_deliver(terminal=terminal),
    })


@api(methods=("GET",), signed=False)
def openapi(request):
    return render.ok(SCHEMA)


@api(methods=("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"), signed=False)
def not_found(request, rest=""):
    raise ApiError(Code.NOT_FOUND, "No such endpoint.")
