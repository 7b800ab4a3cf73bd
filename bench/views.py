"""The comparison target: a minimal Django view that parses the body and inserts one row.

Mounted under /bench/ only when KIT_BENCH is on (scripts/bench.sh); never in production.
"""

import json

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

TABLE = "bench_row"


def ensure_table() -> None:
    with connection.cursor() as c:
        c.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, txn varchar(20), "
                  "body text, created_at timestamptz)")


@csrf_exempt
@require_POST
def insert_one(request):
    try:
        body = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": {"code": "invalid"}}, status=400)
    with connection.cursor() as c:
        c.execute(f"INSERT INTO {TABLE} (txn, body, created_at) VALUES (%s, %s, %s) RETURNING id",  # noqa: S608
                  [str(body.get("txn", ""))[:20], request.body.decode("utf-8", "replace"), timezone.now()])
        row_id = c.fetchone()[0]
    return JsonResponse({"id": row_id}, status=201)
