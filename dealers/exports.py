"""Cabinet exports: CSV streamed from the database, XLSX written row by row.

Each kind (payments, ledger) is a header and a row iterator over the filtered queryset;
`.iterator()` reads through a server-side cursor on PostgreSQL, so a million rows stream with
flat memory. On PostgreSQL the CSV is PostgreSQL's own `COPY (the filtered query) TO STDOUT`,
with local times and status labels computed in the query: Python then only passes bytes on,
which is what makes a million rows stream at tens of thousands of rows a second. XLSX uses openpyxl's write-only mode; selections above KIT_EXPORT_INLINE_ROWS are
built by a worker (ExportJob) and downloaded from the job's page.
"""

import csv
import io
import zoneinfo
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connections, transaction
from django.db.models import Case, CharField, F, Func, Value, When
from django.db.models.functions import Coalesce
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


class _LocalText(Func):
    """`to_char(column AT TIME ZONE zone, ...)`: a local time as the Python exports write it."""

    arg_joiner = " AT TIME ZONE "
    template = "to_char(%(expressions)s, 'YYYY-MM-DD HH24:MI:SS')"
    output_field = CharField()


def _label(field: str, choices) -> Case:
    return Case(*[When(**{field: k}, then=Value(str(v))) for k, v in choices], default=F(field),
                output_field=CharField())


def _payments_columns(tz) -> list:
    return [F("id"), _LocalText(F("received_at"), Value(tz.key)), _LocalText(F("paid_at"), Value(tz.key)),
            F("terminal__number"), F("dealer__name"), Coalesce(F("provider__name"), F("provider_code")),
            F("account"), F("amount"), F("fee"), F("credited"), F("reward"), _label("status", Status.choices),
            F("reason"), F("cheque_number")]


def _ledger_columns(tz) -> list:
    return [F("id"), _LocalText(F("created_at"), Value(tz.key)), F("dealer__name"),
            _label("kind", LedgerEntry.Kind.choices), F("amount"), F("balance_after"),
            Coalesce(F("payment__cheque_number"), Value("")), F("comment")]


COPY_COLUMNS = {"payments": _payments_columns, "ledger": _ledger_columns}
COPY_CHUNK = 64 * 1024


def _copy_chunks(header: list[str], qs) -> Iterator[bytes]:
    """The header as the csv module writes it, then COPY's rows, passed on in blocks of ~64 KB."""
    buf = io.StringIO()
    buf.write("\ufeff")
    csv.writer(buf, delimiter=";", lineterminator="\n").writerow(header)
    yield buf.getvalue().encode()
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        # libpq hands COPY out a row at a time: gather them so the server writes few, large chunks.
        out = bytearray()
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, DELIMITER ';')", tuple(params)) as copy:
            for block in copy:
                out += block
                if len(out) >= COPY_CHUNK:
                    yield bytes(out)
                    out.clear()
        yield bytes(out)


def csv_export_response(kind: str, qs, tz, filename: str) -> StreamingHttpResponse:
    """The filtered rows of `kind` as a streamed CSV: COPY on PostgreSQL, the csv module elsewhere."""
    header, rows = KINDS[kind](qs, tz)
    if connections[qs.db].vendor != "postgresql":
        return csv_response(header, rows, filename)
    names = {f"c{i}": expr for i, expr in enumerate(COPY_COLUMNS[kind](tz))}
    copy_qs = qs.order_by("-id").annotate(**names).values_list(*names)
    response = StreamingHttpResponse(_copy_chunks(header, copy_qs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _csv_chunks(header: list[str], rows: Iterable[tuple]) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\n")  # as COPY ends its lines
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
