"""The console's reading pages: cheque lookup, payment page, queue, audit. Views only read."""

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from payments.models import Status

from . import selectors
from .access import support_view
from .codes import code_meaning, mask
from .forms import AuditFilterForm, ChequeForm, QueueFilterForm, SearchForm
from .reasons import flag_text, outcome_text, reason_text

CHEQUE_FIELDS = ("terminal", "txn", "cheque", "attempt", "account", "date_from", "date_to", "amount", "date")


def _claim_url(params: dict) -> str:
    """Register a claim, the form filled in from the cheque's keys."""
    base = reverse("claims:register")
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return f"{base}?{query}" if query else base


@require_GET
@support_view
def lookup(request):
    return render(request, "support/lookup.html", {"search": SearchForm(), "form": ChequeForm()})


def _text_claim_params(text: str) -> dict:
    parts = text.replace("/", " ").replace("-", " ", 1).split()
    if len(parts) == 2 and parts[0].isdigit():
        return {"terminal": parts[0], "txn": parts[1]}
    return {"q": text}


@require_GET
@support_view
def cheque(request):
    """Find a payment from its cheque: one hit -> its page (302); none -> "not found" (200); several -> a list."""
    tz = timezone.get_current_timezone()
    if "q" in request.GET:
        search, form = SearchForm(request.GET), ChequeForm()
        if not search.is_valid() or not search.cleaned_data["q"].strip():
            if search.is_valid():
                search.add_error("q", _("Type what is on the cheque: terminal and transaction number, "
                                        "cheque number, attempt id or phone."))
            return render(request, "support/lookup.html", {"search": search, "form": form}, status=400)
        text = search.cleaned_data["q"].strip()
        hits = selectors.payments_by_text(text)
        claim_params = _text_claim_params(text)
    else:
        search, form = SearchForm(), ChequeForm(request.GET)
        if not form.is_valid():
            return render(request, "support/lookup.html", {"search": search, "form": form}, status=400)
        d = form.cleaned_data
        key = d["key"]
        if key == "terminal_txn":
            hits = selectors.payments_by_txn(terminal=d["terminal"], txn=d["txn"])
        elif key == "cheque":
            hits = selectors.payments_by_cheque(cheque=d["cheque"])
        elif key == "attempt":
            hits = selectors.payments_by_attempt(attempt=d["attempt"])
        elif key == "account":
            start, end = form.period(tz)
            hits = selectors.payments_by_account(account=d["account"], start=start, end=end)
        else:
            start, end = form.day(tz)
            hits = selectors.payments_by_amount(terminal=d["terminal"], amount=d["amount"], start=start, end=end)
        claim_params = {k: request.GET.get(k, "") for k in CHEQUE_FIELDS}
    if len(hits) == 1:
        return redirect("support:payment", pk=hits[0].pk)
    context = {"search": search, "form": form, "hits": hits, "limit": selectors.HITS,
               "claim_url": _claim_url(claim_params) if not hits else None}
    return render(request, "support/cheque.html", context)


def _actor_text(event) -> str:
    actor = event.actor or ""
    if event.user_id:
        return _("operator %(name)s") % {"name": event.user.get_username()}
    kind, _sep, rest = actor.partition(":")
    if kind == "terminal":
        return _("terminal %(number)s") % {"number": rest}
    if kind == "user":
        return _("operator %(name)s") % {"name": rest}
    return {"worker": _("worker"), "sweeper": _("sweeper")}.get(actor, actor)


def _pretty(value) -> str:
    if value in ({}, [], None, ""):
        return ""
    return mask(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))


def _status_text(code: str) -> str:
    try:
        return str(Status(code).label)
    except ValueError:
        return code


@require_GET
@support_view
def payment(request, pk: int):
    p = selectors.payment_get(pk)
    if p is None:
        raise Http404
    story = selectors.payment_story(p)
    timeline = [{
        "at": e.created_at, "who": _actor_text(e), "from": _status_text(e.from_status) if e.from_status else "",
        "to": _status_text(e.to_status), "changed": e.from_status != e.to_status,
        "reason": reason_text(e.reason) if e.reason else "", "code": e.reason, "detail": _pretty(e.detail),
    } for e in story.events]
    attempts = [{
        "a": a, "meaning": code_meaning(a.gateway.protocol, a.result_code), "outcome": outcome_text(a.outcome),
        "message": mask(a.message),
        "exchange": [{**x, "request": mask(str(x.get("request", ""))), "response": mask(str(x.get("response", ""))),
                      "url": mask(str(x.get("url", "")))} for x in (a.exchange or []) if isinstance(x, dict)],
    } for a in story.attempts]
    audit = [{"e": e, "before": _pretty(e.before), "after": _pretty(e.after)} for e in story.audit]
    context = {
        "payment": p, "status": p.get_status_display(), "reason": reason_text(p.reason) if p.reason else "",
        "flags": [flag_text(f) for f in (p.flags or [])], "timeline": timeline, "attempts": attempts,
        "ledger": story.ledger, "audit": audit, "fields": _pretty(p.fields),
        "claim_url": _claim_url({"payment": p.pk}),
    }
    return render(request, "support/payment.html", context)


def _cursor_parse(value: str) -> tuple[datetime, int] | None:
    micros, _sep, pk = value.partition("_")
    if not (micros.isdigit() and pk.isdigit()) or len(micros) > 20:
        raise ValueError(value)
    return datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC), int(pk)


def _cursor_text(cursor: tuple[datetime, int]) -> str:
    at, pk = cursor
    return f"{round(at.timestamp() * 1_000_000)}_{pk}"


COUNTS_KEY, COUNTS_SECONDS = "support:queue-counts", 5


def _counts_context() -> dict:
    # Every open queue page asks every 20 s; a few seconds' cache lets many operators share one count.
    cached = cache.get(COUNTS_KEY)
    if cached is None:
        cached = (selectors.queue_counts(), timezone.now())
        cache.set(COUNTS_KEY, cached, COUNTS_SECONDS)
    counts, at = cached
    rows = [{"status": s, "status_text": _status_text(s), "reason": r, "reason_text": reason_text(r) if r else "",
             "n": n} for s, r, n in counts]
    return {"counts": rows, "total": sum(r["n"] for r in rows), "counted_at": at}


def _selects(form) -> list[dict]:
    """The filter form's selects as plain data (name, label, choices, chosen value, errors)."""
    out = []
    for name, field in form.fields.items():
        value = form.data.get(name, "") if form.is_bound else ""
        choices = [(str(k), str(v)) for k, v in field.choices]
        out.append({"name": name, "label": field.label, "choices": choices, "value": str(value),
                    "errors": form.errors.get(name, "") if form.is_bound else ""})
    return out


@require_GET
@support_view
def queue(request):
    """Failed and held payments and those processing with a reason for support, oldest first."""
    if request.headers.get("HX-Request"):
        return render(request, "support/_queue_counts.html", _counts_context())
    form = QueueFilterForm(request.GET or None)
    after = None
    cursor_error = ""
    if request.GET.get("after"):
        try:
            after = _cursor_parse(request.GET["after"])
        except (ValueError, OverflowError, OSError):
            cursor_error = _("This page link is broken; here is the first page.")
    if form.is_bound and not form.is_valid():
        return render(request, "support/queue.html", {"form": form, "selects": _selects(form), **_counts_context()},
                      status=400)
    f = form.queue_filter(timezone.now()) if form.is_bound else selectors.QueueFilter()
    rows, next_cursor = selectors.queue_page(f, after=after)
    filters = request.GET.copy()
    filters.pop("after", None)
    query = filters.urlencode()
    bulk = reverse("support:bulk_resend")
    context = {
        "form": form, "selects": _selects(form), "rows": [{
            **r, "url": reverse("support:payment", args=[r["id"]]), "status_text": _status_text(r["status"]),
            "reason_text": reason_text(r["reason"]) if r["reason"] else ""} for r in rows],
        "query": query, "next": _cursor_text(next_cursor) if next_cursor else "", "paged": after is not None,
        "cursor_error": cursor_error, "bulk_url": f"{bulk}?{query}" if query else bulk,
        **_counts_context(),
    }
    return render(request, "support/queue.html", context, status=400 if cursor_error else 200)


@require_GET
@support_view
def audit(request):
    tz = timezone.get_current_timezone()
    form = AuditFilterForm(request.GET or None)
    before = None
    raw = request.GET.get("before", "")
    if raw:
        if not raw.isdigit() or len(raw) > 18:
            return render(request, "support/audit.html", {"form": form, "rows": [],
                          "cursor_error": _("This page link is broken.")}, status=400)
        before = int(raw)
    if form.is_bound and not form.is_valid():
        return render(request, "support/audit.html", {"form": form, "rows": []}, status=400)
    f = form.audit_filter(tz) if form.is_bound else selectors.AuditFilter()
    rows, next_before = selectors.audit_page(f, before=before)
    filters = request.GET.copy()
    filters.pop("before", None)
    context = {"form": form, "query": filters.urlencode(), "next": next_before, "paged": before is not None,
               "rows": [{"e": e, "before": _pretty(e.before), "after": _pretty(e.after)} for e in rows]}
    return render(request, "support/audit.html", context)
