"""Cabinet exports: CSV streamed from a server-side cursor, XLSX written row by row.

Each kind (payments, ledger) is a header and a row iterator over the filtered queryset;
`.iterator()` reads through a server-side cursor on PostgreSQL, so a million rows stream with
flat memory. XLSX uses openpyxl's write-only mode; selections above KIT_EXPORT_INLINE_ROWS are
built by a worker (ExportJob) and downloaded from the job's page.
"""

import csv
import io
import zoneinfo
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kit.queue import enqueue_on_commit
from payments.models import Status

from .models import Dealer, ExportJob, LedgerEntry

CHUNK = 2000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(dt: datetime | None, tz) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if dt else ""


def payments_export(qs, tz) -> tuple[list[str], Iterator[tuple]]:
    header = [_("Id"), _("Received"), _("Paid at the terminal"), _("Terminal"), _("Dealer"), _("Provider"),
              _("Account"), _("Cash"), _("Fee"), _("Credited"), _("Reward"), _("Status"), _("Reason"),
              _("Cheque")]
    labels = dict(Status.choices)
    rows = (qs.order_by("-id").values_list(
        "id", "received_at", "paid_at", "terminal__number", "dealer__name", "provider__name", "provider_code",
        "account", "amount", "fee", "credited", "reward", "status", "reason", "cheque_number")
        .iterator(chunk_size=CHUNK))

    def gen():
        for (pk, received, paid, number, dealer, provider, code, account, amount, fee, credited, reward,
             status, reason, cheque) in rows:
            yield (pk, _local(received, tz), _local(paid, tz), number, dealer, provider or code, account,
                   amount, fee, credited, reward, str(labels.get(status, status)), reason, cheque)
    return header, gen()


def ledger_export(qs, tz) -> tuple[list[str], Iterator[tuple]]:
    header = [_("Id"), _("When"), _("Dealer"), _("Kind"), _("Amount"), _("Balance after"), _("Cheque"),
              _("Comment")]
    labels = dict(LedgerEntry.Kind.choices)
    rows = (qs.order_by("-id").values_list("id", "created_at", "dealer__name", "kind", "amount", "balance_after",
                                            "payment__cheque_number", "comment").iterator(chunk_size=CHUNK))

    def gen():
        for pk, when, dealer, kind, amount, after, cheque, comment in rows:
            yield pk, _local(when, tz), dealer, str(labels.get(kind, kind)), amount, after, cheque or "", comment
    return header, gen()


KINDS = {"payments": payments_export, "ledger": ledger_export}


def _csv_chunks(header: list[str], rows: Iterable[tuple]) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";")
    # A BOM: Excel then opens the Cyrillic as UTF-8.
    buf.write("\ufeff")
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
        if n % 1000 == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


def csv_response(header: list[str], rows: Iterable[tuple], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_chunks(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_bytes(header: list[str], rows: Iterable[tuple]) -> tuple[bytes, int]:
    """The workbook as bytes and the number of data rows (write-only: rows are not kept)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(header)
    n = 0
    for row in rows:
        ws.append(row)
        n += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), n


def xlsx_response(header, rows, filename: str) -> HttpResponse:
    data, _n = xlsx_bytes(header, rows)
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def export_job_create(*, user, dealer: Dealer, kind: str, query: dict, time_zone: str) -> ExportJob:
    """Queue an XLSX export of `kind` with the filter `query` (the page's GET parameters)."""
    if kind not in KINDS:
        raise ValueError(f"no export kind {kind!r}")
    with transaction.atomic():
        job = ExportJob.objects.create(user=user, dealer=dealer, kind=kind,
                                       params={"query": query, "time_zone": time_zone,
                                               "language": translation.get_language() or settings.LANGUAGE_CODE})
        from .tasks import build_export

        enqueue_on_commit(build_export, job.pk)
    return job


def export_job_build(*, job_id: int) -> ExportJob | None:
    """Build the job's file; quietly nothing when it is done already (safe to run twice)."""
    from .cabinet.filters import filtered_queryset

    job = ExportJob.objects.select_related("dealer", "user").filter(pk=job_id).first()
    if job is None or job.state != ExportJob.State.PENDING:
        return job
    tz = zoneinfo.ZoneInfo(job.params.get("time_zone") or job.dealer.time_zone)
    try:
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            qs = filtered_queryset(job.kind, job.dealer, job.params.get("query", {}), tz)
            header, rows = KINDS[job.kind](qs, tz)
            data, n = xlsx_bytes(header, rows)
    except Exception as exc:  # noqa: BLE001 - the job records why; the page shows it failed
        ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.PENDING).update(
            state=ExportJob.State.FAILED, error=str(exc)[:255], finished_at=timezone.now())
        raise
    job.file.save(f"{job.kind}-{job.pk}.xlsx", ContentFile(data), save=False)
    ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.PENDING).update(
        state=ExportJob.State.DONE, file=job.file.name, rows=n, finished_at=timezone.now())
    job.refresh_from_db()
    return job
