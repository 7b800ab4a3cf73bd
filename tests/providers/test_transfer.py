"""Catalogue import and export: lossless round trip, all-or-nothing, matched by codes."""

import io
import json
import zipfile
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from gateways.models import Route
from providers.models import (
    BlacklistedAccount,
    Category,
    FeeRule,
    Provider,
    ProviderField,
    ProviderStateChange,
    RewardRule,
)
from providers.transfer import ImportRefused, catalogue_import, export_json, export_zip

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich(world, demo):
    """The demo catalogue plus a dealer override, a closed rule, a blacklist entry and a disabled provider."""
    mts = Provider.objects.get(code="mts")
    FeeRule.objects.create(provider=mts, dealer=demo, percent=Decimal("0.5"), fixed=Decimal("1.00"),
                           valid_from=datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")),
                           valid_to=datetime(2026, 6, 1, tzinfo=ZoneInfo("UTC")))
    BlacklistedAccount.objects.create(provider=None, kind="prefix", account="4276", reason="cards", created_by="a")
    BlacklistedAccount.objects.create(provider=mts, account="9160000000", reason="fraud",
                                      expires_at=datetime(2027, 1, 1, 12, 30, tzinfo=ZoneInfo("UTC")))
    Provider.objects.filter(code="tele2").update(is_active=False, logo="logos/tele2.png")
    return world


def wipe_catalogue():
    """A database with the same gateways and dealers but no catalogue."""
    BlacklistedAccount.objects.all().delete()
    Route.objects.all().delete()
    for model in (FeeRule, RewardRule, ProviderField, ProviderStateChange):
        model.objects.all().delete()
    from terminals.models import Terminal

    for t in Terminal.objects.all():
        t.providers.clear()
    from providers.models import OperatorProvider

    OperatorProvider.objects.all().delete()
    Provider.objects.all().delete()
    Category.objects.all().delete()


def test_the_json_round_trip_gives_the_same_bytes(rich):
    first = export_json()
    wipe_catalogue()
    assert Provider.objects.count() == 0
    catalogue_import(name="catalogue.json", raw=first)
    assert export_json() == first
    assert Provider.objects.get(code="tele2").is_active is False
    assert json.loads(first)["providers"][0]["code"] == "beeline"


def test_the_csv_zip_round_trip_gives_the_same_bytes(rich):
    first = export_zip()
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == ["categories.csv", "providers.csv", "fields.csv", "fee_rules.csv", "reward_rules.csv",
                     "routes.csv", "blacklist.csv"]
    wipe_catalogue()
    catalogue_import(name="catalogue.zip", raw=first)
    assert export_zip() == first


def test_importing_the_same_file_again_changes_nothing(rich):
    raw = export_json()
    report = catalogue_import(name="c.json", raw=raw)
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0


def test_a_broken_file_is_refused_with_file_line_and_reason_and_nothing_is_imported(rich):
    doc = export_json().decode()
    wipe_catalogue()
    lines = doc.splitlines()
    n = next(i for i, line in enumerate(lines) if '"code": "mts"' in line and '"category"' in line)
    lines[n] = lines[n].replace('"min_amount": "1.00"', '"min_amount": "one"')
    with pytest.raises(ImportRefused) as exc:
        catalogue_import(name="broken.json", raw="\n".join(lines).encode())
    assert [(e.file, e.line) for e in exc.value.errors] == [("broken.json", n + 1)]
    assert "min_amount" in exc.value.errors[0].reason
    assert Category.objects.count() == 0 and Provider.objects.count() == 0


def test_a_file_naming_an_unknown_gateway_or_dealer_is_refused(rich):
    raw = export_zip()
    zin = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name).decode()
            if name == "routes.csv":
                data = data.replace("mts,cyberplat,", "mts,nowhere-pay,")
            if name == "fee_rules.csv":
                data = data.replace("7700000001", "7799999999")
            zout.writestr(name, data)
    before = Route.objects.count()
    Route.objects.filter(provider__code="mts").update(remote_id="changed")
    with pytest.raises(ImportRefused) as exc:
        catalogue_import(name="x.zip", raw=out.getvalue())
    reasons = {(e.file, e.reason.split(":")[0]) for e in exc.value.errors}
    assert ("routes.csv", "gateway") in reasons and ("fee_rules.csv", "dealer_inn") in reasons
    assert all(e.line >= 2 for e in exc.value.errors)
    assert Route.objects.count() == before and Route.objects.get(provider__code="mts").remote_id == "changed"


def test_an_import_never_deletes_what_the_file_leaves_out(rich):
    doc = json.loads(export_json())
    doc["providers"] = [p for p in doc["providers"] if p["code"] == "mts"]
    for table in ("fields", "fee_rules", "reward_rules", "routes", "blacklist"):
        doc[table] = []
    doc["providers"][0]["name"] = "МТС (новое имя)"
    catalogue_import(name="part.json", raw=json.dumps(doc, ensure_ascii=False).encode())
    assert Provider.objects.count() == 7
    assert Provider.objects.get(code="mts").name == "МТС (новое имя)"


def test_the_dry_run_reports_changes_and_writes_nothing(rich, capsys, tmp_path):
    doc = json.loads(export_json())
    doc["providers"][0]["name"] = "Другое имя"
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    call_command("catalogue_import", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "providers: 0 new, 1 changed, 6 unchanged" in out and "dry run" in out
    assert Provider.objects.get(code="beeline").name == "Билайн"


def test_the_commands_export_and_refuse_with_the_line(rich, tmp_path, capsys):
    path = tmp_path / "c.json"
    call_command("catalogue_export", str(path))
    assert path.read_bytes() == export_json()
    text = path.read_text(encoding="utf-8").replace('"kind": "prefix"', '"kind": "sometimes"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("catalogue_import", str(path))
    assert "c.json:" in capsys.readouterr().err


def test_a_rule_change_that_overlaps_another_is_refused_on_import(rich):
    doc = json.loads(export_json())
    rule = dict(next(r for r in doc["fee_rules"] if r["provider"] == "mts" and r["dealer_inn"] is None))
    rule["valid_from"] = "2021-01-01T00:00:00+00:00"
    doc["fee_rules"].append(rule)
    with translation.override("en"), pytest.raises(ImportRefused) as exc:
        catalogue_import(name="o.json", raw=json.dumps(doc).encode())
    assert "overlaps" in exc.value.errors[0].reason
    assert FeeRule.objects.filter(provider__code="mts", dealer=None).count() == 1


def test_the_admin_page_exports_and_imports(client, admin_user, rich):
    client.force_login(admin_user)
    assert client.get("/admin/providers/provider/transfer/").status_code == 200
    response = client.get("/admin/providers/provider/export/json/")
    assert response.status_code == 200 and response.content == export_json()
    from django.core.files.uploadedfile import SimpleUploadedFile

    broken = SimpleUploadedFile("b.json", b'{"format": "kit-catalogue", "version": 1, "categories": [{"code": 1}]}')
    page = client.post("/admin/providers/provider/transfer/", {"file": broken})
    assert b"b.json:1: code: must be text" in page.content
