"""GET /sim/<code>/registry?date=YYYY-MM-DD: a simulator's registry of one (Moscow) day.

Every simulator keeps the same book (`SimRecord`), so one view serves them all, in the
format of docs/gateways/reconciliation.md. Counter rows and bare checks are not payments
and are left out; a record is listed under the day it was created (when the pay arrived).
"""

import datetime as dt

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.views.decorators.http import require_GET

from ..reconcile import registry
from .models import SimRecord

# The simulated gateways that keep a book (one per protocol, as mounted in urls.py).
SIMULATORS = ("cyberplat", "osmp", "contact", "comepay", "provider")


@require_GET
def view(request, code: str):
    if code not in SIMULATORS:
        return HttpResponseNotFound("no such simulator\n", content_type="text/plain")
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return HttpResponseBadRequest("date=YYYY-MM-DD is required\n", content_type="text/plain")
    start, end = registry.day_bounds(day)
    records = (SimRecord.objects.filter(code=code, created_at__gte=start, created_at__lt=end,
                                        state__in=registry.STATUSES)
               .order_by("created_at", "id"))
    rows = [{"key": r.key, "upstream_id": r.upstream_id, "account": r.account, "amount": r.amount,
             "status": r.state, "created_at": r.created_at} for r in records]
    response = HttpResponse(registry.render(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{code}-{day:%Y-%m-%d}.csv"'
    return response
